"""Amazon CloudWatch (smithy-rpc-v2-cbor, json 1.0 and query): metrics and alarms.

One class, its operations in mixins: put_metric_data.py, metrics_read.py
(GetMetricStatistics, ListMetrics), metric_data.py (GetMetricData, metric math in
metric_math.py), alarms.py, history.py; evaluation in evaluation.py (the rule) and
evaluator.py (the tick); actions in actions.py.  Datapoints are indexed in memory per
metric (series.py) and written to the store before PutMetricData answers.
A background loop on the app clock evaluates alarms each minute (high-resolution ones
every 10 seconds) and applies retention hourly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from cargobay.services.cloudwatch import history
from cargobay.services.cloudwatch.evaluator import Evaluator
from cargobay.services.cloudwatch.metric_data import MetricDataOps
from cargobay.services.cloudwatch.metrics_read import MetricReadOps
from cargobay.services.cloudwatch.put_metric_data import PutMetricDataOps
from cargobay.services.cloudwatch.series import MetricIndex

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.cloudwatch")

TICK = 10.0
COMPACT_EVERY = 3600.0


class CloudWatchService(PutMetricDataOps, MetricReadOps, MetricDataOps, history.HistoryOps,
                        Evaluator):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.index = MetricIndex(app.store)
        self.index.load()
        self.alarms = {}
        self.load_alarms()
        self.last_fired = {}
        self._task: asyncio.Task[None] | None = None
        self._minute: float | None = None
        self._compacted = 0.0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="cloudwatch-alarms")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    def reset(self) -> None:
        self.index.reset()
        self.alarms.clear()
        self.last_fired.clear()

    async def _loop(self) -> None:
        while True:
            now = self.clock.now()
            wait = TICK - now % TICK
            if wait < 1e-6:  # on a boundary already (float error): the next one
                wait += TICK
            await self.clock.sleep(wait)
            try:
                await self.tick()
            except Exception:  # keep evaluating; the next tick retries
                log.exception("cloudwatch alarm evaluation failed")

    async def tick(self) -> None:
        """One pass of the evaluator (the loop calls it every 10 seconds)."""
        now = self.clock.now()
        minute = now - now % 60
        if minute != self._minute:
            self._minute = minute
            await self.evaluate_all(now)
        else:
            await self.evaluate_all(now, high_res_only=True)
        if now - self._compacted >= COMPACT_EVERY:
            self._compacted = now
            self.index.compact(now)
            history.prune(self.store, now)
