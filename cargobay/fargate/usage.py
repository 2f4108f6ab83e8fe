"""The Fargate fleet's share of ECS's metrics: its tasks' real CPU and memory use.

Agents send their tasks' use on the poll (cargobay/agent/usage_sampler.py →
services/ecs/usage_samples.py); the fleet has no poll, so this loop reads its tasks'
containers with the same sampler and hands each task's numbers to the same
:class:`~cargobay.services.ecs.usage_samples.UsageSamples`, under the task's store key.
The metrics publisher then counts Fargate tasks in their service's CPUUtilization and
MemoryUtilization exactly as it counts tasks on instances (and, as on ECS, not in the
cluster's, which are relative to registered instances).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cargobay.agent.usage_sampler import UsageSampler

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.fargate")

#: how often (clock seconds) the fleet hands its tasks' latest use to the control plane;
#: the publisher averages what it got over each minute
REPORT_EVERY = 10.0
#: the same with no task running (nothing to measure; keeps a simulated clock cheap)
IDLE_EVERY = 60.0


class FleetUsage:
    """Samples the fleet's running tasks and records their use for the metrics."""

    def __init__(self, app: App, runtime: Callable[[], Any], runners: dict[str, Any]) -> None:
        self.app = app
        #: the fleet's runners by task store key (the same dict the fleet keeps)
        self.runners = runners
        self.sampler = UsageSampler(runtime, app.clock)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fargate-usage")

    async def stop(self) -> None:
        self.sampler.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def report_once(self) -> int:
        """Record the latest reading of every measured task; how many were recorded."""
        by_arn = {r.task.task_arn: key for key, r in self.runners.items()}
        usage = self.sampler.report({arn: self.runners[key] for arn, key in by_arn.items()})
        now = self.app.clock.now()
        recorded = 0
        for arn, sample in usage.items():
            key = by_arn.get(arn)
            if key is not None and self.app.agent_channel.usage.record(key, sample, now):
                recorded += 1
        return recorded

    async def _run(self) -> None:
        for _ in range(1_000_000_000):  # bounded: one report per REPORT_EVERY
            if self.runners:
                try:
                    self.report_once()
                except Exception:  # a bad reading must not end the loop
                    log.exception("Fargate usage report failed")
            await self.app.clock.sleep(REPORT_EVERY if self.runners else IDLE_EVERY)
