"""A cluster's counters, and the ``statistics`` list DescribeClusters shows for them.

The cluster document keeps ECS's top-level counters (``runningTasksCount``,
``pendingTasksCount``, ``activeServicesCount``, ``registeredContainerInstancesCount``)
and, under ``"stats"``, the per-launch-type counters below.  Whatever changes tasks,
services or container instances updates those fields on the cluster document; the
statistics are always computed from them through :func:`cluster_statistics`.

ECS API Reference, Cluster.statistics: "Additional information about your clusters that
are separated by launch type. They include the following: runningEC2TasksCount,
RunningFargateTasksCount, pendingEC2TasksCount, pendingFargateTasksCount,
activeEC2ServiceCount, activeFargateServiceCount, drainingEC2ServiceCount,
drainingFargateServiceCount".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAT_NAMES: tuple[str, ...] = (
    "runningEC2TasksCount",
    "runningFargateTasksCount",
    "pendingEC2TasksCount",
    "pendingFargateTasksCount",
    "activeEC2ServiceCount",
    "activeFargateServiceCount",
    "drainingEC2ServiceCount",
    "drainingFargateServiceCount",
)

#: ECS's top-level counters on the cluster document
COUNTERS: tuple[str, ...] = (
    "registeredContainerInstancesCount",
    "runningTasksCount",
    "pendingTasksCount",
    "activeServicesCount",
)


def zero_stats() -> dict[str, int]:
    return dict.fromkeys(STAT_NAMES, 0)


def cluster_statistics(stats: Mapping[str, Any]) -> list[dict[str, str]]:
    """``[{name, value}]`` in ECS's order; values are strings, as ECS sends them."""
    return [{"name": n, "value": str(_count(stats.get(n)))} for n in STAT_NAMES]


def _count(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0


def services_held(doc: Mapping[str, Any]) -> int:
    """Services that keep a cluster from being deleted: ACTIVE ones and DRAINING ones."""
    stats = doc.get("stats") or {}
    draining = _count(stats.get("drainingEC2ServiceCount")) + _count(
        stats.get("drainingFargateServiceCount")
    )
    return _count(doc.get("activeServicesCount")) + draining


def instances_held(doc: Mapping[str, Any]) -> int:
    return _count(doc.get("registeredContainerInstancesCount"))


def tasks_held(doc: Mapping[str, Any]) -> int:
    return _count(doc.get("runningTasksCount")) + _count(doc.get("pendingTasksCount"))
