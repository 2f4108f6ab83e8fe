"""Amazon CloudWatch Logs (json 1.1): log groups, streams, events, filter patterns,
retention and tags.  One class, its operations in mixins; one loop on the app clock
deletes events past their group's retention (retention.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from cargobay.services.logs.groups import GroupOps
from cargobay.services.logs.put_events import PutEventsOps
from cargobay.services.logs.read_events import ReadEventsOps
from cargobay.services.logs.retention import SWEEP_INTERVAL, RetentionSweep
from cargobay.services.logs.streams import StreamOps
from cargobay.services.logs.tags import TagOps

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.logs")


class LogsService(GroupOps, StreamOps, PutEventsOps, ReadEventsOps, TagOps, RetentionSweep):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self._task: asyncio.Task[None] | None = None
        #: the server's event loop (tests drive a SimClock through it)
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._sweeper(), name="logs-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _sweeper(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_INTERVAL)
            try:
                self.sweep_retention()
            except Exception:  # keep the loop alive; the next sweep retries
                log.exception("logs retention sweep failed")
