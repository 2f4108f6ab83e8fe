"""A job run every so many seconds on the app clock, in one task.

``Periodic(clock, interval, job, name)``: after :meth:`start`, ``job()`` runs once
every ``interval`` seconds of clock time (the first one interval after the start); a
job that raises is logged and the next round runs anyway; :meth:`stop` cancels the
task and waits for it.  The sweeps of expired things use it (logs retention, secrets
scheduled for deletion, SNS FIFO deduplication ids, expired STS sessions)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from cargobay.clock import Clock

log = logging.getLogger("cargobay.periodic")


class Periodic:
    def __init__(self, clock: Clock, interval: float, job: Callable[[], object],
                 name: str) -> None:
        self.clock = clock
        self.interval = interval
        self.name = name
        self._job = job
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self.clock.sleep(self.interval)
            try:
                self._job()
            except Exception:  # keep the loop alive; the next round retries
                log.exception("%s failed", self.name)
