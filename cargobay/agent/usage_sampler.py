"""Real CPU and memory use of the agent's running tasks, sent on the poll (``usage``).

The control plane turns these samples into ECS's CloudWatch metrics
(cargobay/services/ecs/metrics_publisher.py).  Each reading asks the runtime for
:class:`~cargobay.agent.runtime.ContainerStats` (the same numbers the metadata
endpoint's ``/stats`` shows): CPU time used since start, and memory in use.

CPU use is **real**: CPU-seconds a container consumed per second of real elapsed time,
measured with :func:`cargobay.clock.perf_counter` between two readings at least
:data:`MIN_WINDOW` apart, never with the agent's clock, so a run on a simulated clock
with real processes still measures real load.  It is reported in ECS CPU units (1024 per
vCPU); memory in MiB.

Readings are taken by a background refresh the poll loop starts when one is due (at
most every :data:`REFRESH_EVERY` real seconds, and never more than :data:`COST_SHARE`
of real time: a refresh of many containers that took 0.5 s waits 10 s before the next),
so a burst of polls does not read every container each time; the first poll after a
reading finished carries it (once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from cargobay.agent.runtime import ContainerHandle, ContainerRuntimeError, ContainerStats
from cargobay.clock import Clock, perf_counter

log = logging.getLogger("cargobay.agent")

#: CPU units per vCPU (ECS)
CPU_UNITS = 1024
MIB = 1 << 20
#: the least real time (seconds) a CPU rate is measured over
MIN_WINDOW = 0.5
#: the least real time (seconds) between two refreshes
REFRESH_EVERY = 1.0
#: the most of real time refreshes may take
COST_SHARE = 0.05


class _Stats(Protocol):
    async def stats(self, handle: ContainerHandle) -> ContainerStats: ...


class _Container(Protocol):
    name: str
    status: str
    handle: ContainerHandle | None


@dataclass
class _Reading:
    at: float  # perf_counter
    cpu_seconds: float


@dataclass
class _ContainerUsage:
    base: _Reading
    #: CPU-seconds per real second over the last window (None until one window passed)
    rate: float | None = None
    memory_bytes: int = 0


class UsageSampler:
    def __init__(
        self,
        runtime: Callable[[], _Stats | None],
        clock: Clock,
        *,
        perf: Callable[[], float] = perf_counter,
        refresh_every: float = REFRESH_EVERY,
    ) -> None:
        self._runtime = runtime
        self._clock = clock
        self._perf = perf
        self._refresh_every = refresh_every
        #: (task ARN, container name, runtime id) -> its usage
        self._usage: dict[tuple[str, str, str], _ContainerUsage] = {}
        self._refresh: asyncio.Task[None] | None = None
        self._next_at = 0.0
        #: readings finished, and the one last sent
        self._readings = 0
        self._sent = 0

    # -- what the poll loop calls -----------------------------------------------------

    def report(self, runners: dict[str, Any]) -> dict[str, dict[str, float]]:
        """The poll body's ``usage`` (see :meth:`snapshot`) when a reading finished since
        the last one sent, else ``{}`` (nothing to send): each reading is sent once, so a
        burst of polls does not carry the same numbers again and again.  Starts a
        refresh when one is due."""
        self._maybe_refresh(runners)
        if self._readings == self._sent:
            return {}
        self._sent = self._readings
        return self.snapshot(runners)

    def snapshot(self, runners: dict[str, Any]) -> dict[str, dict[str, float]]:
        """Per task ARN ``{"cpu": CPU units used, "memory": MiB in use}``, for each task
        whose running containers all have a measured rate."""
        out: dict[str, dict[str, float]] = {}
        for arn, runner in runners.items():
            measured = [
                self._usage.get((arn, c.name, c.handle.id))
                for c in _running(runner)
                if c.handle is not None
            ]
            if not measured or any(u is None or u.rate is None for u in measured):
                continue
            cpu = sum(u.rate or 0.0 for u in measured if u is not None)
            memory = sum(u.memory_bytes for u in measured if u is not None)
            out[arn] = {"cpu": round(cpu * CPU_UNITS, 3), "memory": round(memory / MIB, 3)}
        return out

    async def refresh(self, runners: dict[str, Any]) -> None:
        """Read every running container of ``runners`` once."""
        runtime = self._runtime()
        if runtime is None:
            return
        started = self._perf()
        live: set[tuple[str, str, str]] = set()
        for arn, runner in list(runners.items()):
            for c in _running(runner):
                assert c.handle is not None
                key = (arn, c.name, c.handle.id)
                try:
                    stats = await runtime.stats(c.handle)
                except (ContainerRuntimeError, OSError) as e:
                    log.debug("usage of %s/%s: %s", arn, c.name, e)
                    continue
                live.add(key)
                self._observe(key, stats, self._perf())
            await self._clock.sleep(0)  # let the loop breathe between tasks
        for key in [k for k in self._usage if k not in live]:
            del self._usage[key]
        self._readings += 1
        cost = self._perf() - started
        # a runtime whose stats cost more than our own time shows (the Docker engine
        # walks cgroups for each) asks for readings further apart
        every = max(self._refresh_every, float(getattr(runtime, "stats_interval", 0.0)))
        self._next_at = self._perf() + max(every, cost / COST_SHARE)

    def close(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None

    # -- internals ----------------------------------------------------------------------

    def _maybe_refresh(self, runners: dict[str, Any]) -> None:
        if self._refresh is not None and not self._refresh.done():
            return
        if self._perf() < self._next_at:
            return
        self._refresh = asyncio.ensure_future(self._refresh_quietly(runners))

    async def _refresh_quietly(self, runners: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await self.refresh(runners)

    def _observe(self, key: tuple[str, str, str], stats: ContainerStats, at: float) -> None:
        u = self._usage.get(key)
        if u is None:
            self._usage[key] = _ContainerUsage(
                _Reading(at, stats.cpu_seconds), memory_bytes=stats.memory_bytes
            )
            return
        u.memory_bytes = stats.memory_bytes
        window = at - u.base.at
        if window >= MIN_WINDOW:
            u.rate = max(0.0, stats.cpu_seconds - u.base.cpu_seconds) / window
            u.base = _Reading(at, stats.cpu_seconds)


def _running(runner: Any) -> Iterable[_Container]:
    for c in runner.containers.values():
        if c.status == "RUNNING" and c.handle is not None:
            yield c
