"""Amazon CloudWatch Logs (json 1.1): log groups, streams, events, filter patterns,
retention and tags.  One class, its operations in mixins; one loop on the app clock
deletes events past their group's retention (retention.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cargobay.services.logs.groups import GroupOps
from cargobay.services.logs.put_events import PutEventsOps
from cargobay.services.logs.read_events import ReadEventsOps
from cargobay.services.logs.retention import SWEEP_INTERVAL, RetentionSweep
from cargobay.services.logs.streams import StreamOps
from cargobay.services.logs.tags import TagOps
from cargobay.services.periodic import Periodic

if TYPE_CHECKING:
    from cargobay.app import App


class LogsService(GroupOps, StreamOps, PutEventsOps, ReadEventsOps, TagOps, RetentionSweep):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self._sweeps = Periodic(app.clock, SWEEP_INTERVAL, self.sweep_retention,
                                "logs-retention")
        #: the server's event loop (tests drive a SimClock through it)
        self.loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self._sweeps.start()

    async def stop(self) -> None:
        await self._sweeps.stop()
