"""Amazon SQS (json 1.0, query-compatible): one class, its operations in mixins.

Queues live in the store (:mod:`queue_store`); each queue in use also has an in-memory
index (:mod:`queue_state`) so that sending, receiving and deleting cost the same at any
queue depth.  A background loop on the app clock expires messages past their retention
period in queues held in memory and runs message move tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from cargobay.clock import wait_event
from cargobay.services.sqs import queue_store as qs
from cargobay.services.sqs.errors import register_shapes
from cargobay.services.sqs.messages import SendOps
from cargobay.services.sqs.move_tasks import MoveTaskOps
from cargobay.services.sqs.names import QueueRef
from cargobay.services.sqs.queue_state import QueueState
from cargobay.services.sqs.queues import QueueOps
from cargobay.services.sqs.receive import ReceiveOps
from cargobay.services.sqs.tags import TagOps
from cargobay.services.sqs.visibility import VisibilityOps

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.sqs")

#: seconds between sweeps (retention of idle queues); 1 while a move task runs
SWEEP_INTERVAL = 60.0
MOVE_INTERVAL = 1.0


class SqsService(QueueOps, SendOps, ReceiveOps, VisibilityOps, TagOps, MoveTaskOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.queues: dict[str, QueueState] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._kick: asyncio.Event | None = None
        register_shapes()

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._kick = asyncio.Event()
        self._task = asyncio.create_task(self._background(), name="sqs-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    def reset(self) -> None:
        """Forget the in-memory queues (the store is cleared by the app)."""
        queues, self.queues = self.queues, {}
        for st in queues.values():
            st.deleted = True
            st.wake()

    def wake_loop(self) -> None:
        if self._kick is not None:
            self._kick.set()

    async def _background(self) -> None:
        while True:
            interval = MOVE_INTERVAL if self.running_tasks() else SWEEP_INTERVAL
            await self._sleep(interval)
            try:
                self.sweep()
            except Exception:  # keep the loop alive; the next sweep retries
                log.exception("sqs sweep failed")

    async def _sleep(self, seconds: float) -> None:
        kick = self._kick
        assert kick is not None
        await wait_event(self.clock, kick, seconds)
        kick.clear()

    def sweep(self) -> None:
        for st in list(self.queues.values()):
            self.tick(st)
        self.step_move_tasks()

    # -- metrics hook ------------------------------------------------------------------
    def queue_depths(self, account_id: str, region: str) -> dict[str, dict[str, int]]:
        """ApproximateNumberOfMessages(Visible), …NotVisible and …Delayed per queue name,
        for publishing to CloudWatch (AWS/SQS) once that service exists."""
        prefix = f"{account_id}/{region}/"
        out: dict[str, dict[str, int]] = {}
        for key, _doc in self.store.scan(qs.QUEUES, prefix):
            name = key[len(prefix):]
            st = self.load(QueueRef(account_id, region, name))
            if st is not None:
                out[name] = st.depths()
        return out
