"""The tasks' CPU and memory use as agents report it on the poll (``usage``,
docs/agent-protocol.md §2), kept until the metrics publisher takes it once a minute.

Samples live in memory only: they are a minute's worth of measurements, not state a
user acknowledged, so a restart of the control plane loses at most one minute of
metrics (as a restart of ECS's telemetry would).  Per task (by its store key) the
samples received since the last :meth:`UsageSamples.take` are averaged; a task with
none in that minute is represented by its latest sample while that is younger than
``max_age``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class TaskUsage:
    """A task's average use over one publishing period."""

    cpu: float  # CPU units (1024 per vCPU)
    memory: float  # MiB


@dataclass(slots=True)
class _Acc:
    cpu_sum: float = 0.0
    memory_sum: float = 0.0
    count: int = 0
    last_cpu: float = 0.0
    last_memory: float = 0.0
    last_at: float = 0.0


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) and f >= 0 else None


class UsageSamples:
    def __init__(self) -> None:
        self._tasks: dict[str, _Acc] = {}

    def record(self, task_key: str, sample: Any, now: float) -> bool:
        """Add one agent sample ``{"cpu": units, "memory": MiB}`` for the task stored
        under ``task_key``; False (and nothing kept) when it is not that shape."""
        if not isinstance(sample, dict):
            return False
        cpu, memory = _number(sample.get("cpu")), _number(sample.get("memory"))
        if cpu is None or memory is None:
            return False
        acc = self._tasks.get(task_key)
        if acc is None:
            acc = self._tasks[task_key] = _Acc()
        acc.cpu_sum += cpu
        acc.memory_sum += memory
        acc.count += 1
        acc.last_cpu, acc.last_memory, acc.last_at = cpu, memory, now
        return True

    def take(self, now: float, max_age: float) -> dict[str, TaskUsage]:
        """Each task's use since the last call (see the module docstring), and start a
        new period.  Tasks not heard from for ``max_age`` seconds are forgotten."""
        out: dict[str, TaskUsage] = {}
        for key in list(self._tasks):
            acc = self._tasks[key]
            if acc.count:
                out[key] = TaskUsage(acc.cpu_sum / acc.count, acc.memory_sum / acc.count)
                acc.cpu_sum = acc.memory_sum = 0.0
                acc.count = 0
            elif now - acc.last_at <= max_age:
                out[key] = TaskUsage(acc.last_cpu, acc.last_memory)
            else:
                del self._tasks[key]
        return out

    def forget(self, task_key: str) -> None:
        self._tasks.pop(task_key, None)

    def clear(self) -> None:
        self._tasks.clear()

    def __len__(self) -> int:
        return len(self._tasks)
