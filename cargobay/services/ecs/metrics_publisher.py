"""ECS's CloudWatch metrics, published once a minute on the app's clock.

What ECS documents ("Amazon ECS CloudWatch metrics", "Amazon ECS service utilization
metrics"), from the usage the agents report on the poll (usage_samples) and the
reservations the control plane holds:

- namespace ``AWS/ECS``, dimensions ``{ClusterName, ServiceName}``:
  ``CPUUtilization`` = CPU units used by the service's RUNNING tasks × 100 ÷ CPU units
  reserved for them (task-level ``cpu``, else the sum of the containers' ``cpu``, as
  placement reserves it); ``MemoryUtilization`` likewise in MiB (task-level ``memory``,
  else each container's ``memoryReservation``, else its ``memory``).  Published as a
  statistic set: Average is the formula above, Minimum and Maximum the least and most
  loaded task's own utilization, SampleCount the number of tasks;
- dimensions ``{ClusterName}`` (tasks on container instances only):
  ``CPUUtilization`` / ``MemoryUtilization`` = used by the cluster's tasks ÷ registered
  on its ACTIVE and DRAINING instances × 100; ``CPUReservation`` /
  ``MemoryReservation`` = reserved by tasks ÷ registered, on the same instances;
- namespace ``ECS/ContainerInsights``, for clusters with the ``containerInsights``
  setting ``enabled`` (or ``enhanced``): ``RunningTaskCount`` per
  ``{ClusterName, ServiceName}``.

A cluster or service with no RUNNING task publishes nothing that minute (as ECS
documents).  A task whose agent sent no usage that minute (nor in the one before) is
left out of the utilization metrics, both above and below the line.  Each datapoint is
stamped with the start of the minute it covers (the one just ended), so an alarm
evaluating the last complete periods sees it.  ``period`` is 60 s as in ECS; a shorter
one (tests on the real clock only) publishes high-resolution datapoints
(StorageResolution 1).  CloudWatch errors are logged, never
raised: metrics are best effort, as ECS's own telemetry is.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import service_store as services
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.usage_samples import TaskUsage

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.ecs")

PERIOD = 60.0
NAMESPACE = "AWS/ECS"
INSIGHTS_NAMESPACE = "ECS/ContainerInsights"
#: PutMetricData's limit on datums per call
BATCH = 1000
INSIGHTS_ON = ("enabled", "enhanced")

Datum = dict[str, Any]
Scope = tuple[str, str]  # (account, region)


@dataclass
class _Group:
    """Use and reservations summed over some tasks."""

    cpu_used: float = 0.0
    cpu_reserved: float = 0.0
    mem_used: float = 0.0
    mem_reserved: float = 0.0
    tasks: int = 0
    cpu_ratios: list[float] = field(default_factory=list)
    mem_ratios: list[float] = field(default_factory=list)


@dataclass
class _Capacity:
    """What a cluster's ACTIVE and DRAINING instances registered, and what is reserved."""

    cpu: int = 0
    memory: int = 0
    cpu_reserved: int = 0
    mem_reserved: int = 0


def _resource(doc: dict[str, Any], member: str, name: str) -> int:
    for r in doc.get(member) or []:
        if r.get("name") == name:
            return int(r.get("integerValue") or 0)
    return 0


def _dims(cluster: str, service: str | None = None) -> list[dict[str, str]]:
    out = [{"Name": "ClusterName", "Value": cluster}]
    if service is not None:
        out.append({"Name": "ServiceName", "Value": service})
    return out


def _percent(part: float, whole: float) -> float:
    return part * 100.0 / whole


def _stat_set(name: str, dims: list[dict[str, str]], ts: float, total: float,
              reserved: float, ratios: list[float]) -> Datum:
    avg = _percent(total, reserved)
    n = len(ratios)
    return {
        "MetricName": name,
        "Dimensions": dims,
        "Timestamp": ts,
        "StatisticValues": {
            "SampleCount": float(n),
            "Sum": avg * n,
            "Minimum": min(ratios),
            "Maximum": max(ratios),
        },
        "Unit": "Percent",
    }


def _value(name: str, dims: list[dict[str, str]], ts: float, value: float,
           unit: str = "Percent") -> Datum:
    return {"MetricName": name, "Dimensions": dims, "Timestamp": ts, "Value": value,
            "Unit": unit}


class MetricsPublisher:
    def __init__(
        self,
        app: App,
        running_count: Callable[[str], int],
        period: float = PERIOD,
    ) -> None:
        self.app = app
        #: RUNNING tasks of the service stored under a key (the scheduler's task index)
        self.running_count = running_count
        self.period = period
        #: datums published so far (for tests and the console)
        self.published = 0

    async def run(self) -> None:
        """Publish at each period boundary of the clock, forever."""
        clock = self.app.clock
        for _ in range(10**12):  # bounded: one pass per period
            now = clock.now()
            await clock.sleep(self.period - (now % self.period) or self.period)
            try:
                await self.publish()
            except Exception:  # a bug here must not stop ECS's loops
                log.exception("publishing ECS metrics failed")

    async def publish(self) -> int:
        """Compute and send one period's metrics; the number of datums sent."""
        now = self.app.clock.now()
        sent = 0
        for (scope, namespace), datums in self.compute(now).items():
            account, region = scope
            for i in range(0, len(datums), BATCH):
                chunk = datums[i : i + BATCH]
                if self.period < 60:  # high resolution, or CloudWatch folds it per minute
                    chunk = [{**d, "StorageResolution": 1} for d in chunk]
                try:
                    await self.app.dispatcher.call(
                        "cloudwatch", "PutMetricData",
                        {"Namespace": namespace, "MetricData": chunk},
                        region=region, account_id=account,
                    )
                except AwsError as e:
                    log.warning("PutMetricData %s in %s: %s", namespace, region, e)
                    continue
                sent += len(chunk)
        self.published += sent
        return sent

    def compute(self, now: float) -> dict[tuple[Scope, str], list[Datum]]:
        """The datums of the period that ends at ``now``, by (scope, namespace)."""
        ts = now - self.period
        ts -= ts % self.period  # the start of the period just ended
        usage = self.app.agent_channel.usage.take(now, 2 * self.period)
        by_service, by_cluster = self._group(usage)
        capacity = self._capacity()
        out: dict[tuple[Scope, str], list[Datum]] = defaultdict(list)
        for (scope, cluster, service), g in sorted(by_service.items()):
            datums = out[(scope, NAMESPACE)]
            dims = _dims(cluster, service)
            if g.cpu_reserved > 0:
                datums.append(_stat_set("CPUUtilization", dims, ts, g.cpu_used,
                                        g.cpu_reserved, g.cpu_ratios))
            if g.mem_reserved > 0:
                datums.append(_stat_set("MemoryUtilization", dims, ts, g.mem_used,
                                        g.mem_reserved, g.mem_ratios))
        for scope, cluster, doc in self._clusters_running():
            datums = out[(scope, NAMESPACE)]
            dims = _dims(cluster)
            cap = capacity.get((scope, cluster))
            used = by_cluster.get((scope, cluster))
            if cap is not None and cap.cpu > 0:
                datums.append(_value("CPUReservation", dims, ts,
                                     _percent(cap.cpu_reserved, cap.cpu)))
                if used is not None:
                    datums.append(_value("CPUUtilization", dims, ts,
                                         _percent(used.cpu_used, cap.cpu)))
            if cap is not None and cap.memory > 0:
                datums.append(_value("MemoryReservation", dims, ts,
                                     _percent(cap.mem_reserved, cap.memory)))
                if used is not None:
                    datums.append(_value("MemoryUtilization", dims, ts,
                                         _percent(used.mem_used, cap.memory)))
            if _insights(doc):
                out[(scope, INSIGHTS_NAMESPACE)].extend(
                    self._running_counts(scope, cluster, ts)
                )
        return {k: v for k, v in out.items() if v}

    # -- gathering ----------------------------------------------------------------------

    def _group(
        self, usage: dict[str, TaskUsage]
    ) -> tuple[dict[tuple[Scope, str, str], _Group], dict[tuple[Scope, str], _Group]]:
        by_service: dict[tuple[Scope, str, str], _Group] = defaultdict(_Group)
        by_cluster: dict[tuple[Scope, str], _Group] = defaultdict(_Group)
        store = self.app.store
        for key, use in usage.items():
            task = store.get(tasks.TABLE, key)
            if task is None or task.get("lastStatus") != "RUNNING":
                continue
            account, region = key.split("/", 2)[:2]
            scope = (account, region)
            cluster = str(task.get("_cluster", ""))
            needs = task.get("_needs") or {}
            cpu_reserved = float(needs.get("cpu") or 0)
            mem_reserved = float(needs.get("memory") or 0)
            group = str(task.get("group") or "")
            targets: list[_Group] = []
            if group.startswith("service:"):
                targets.append(by_service[(scope, cluster, group[len("service:"):])])
            if task.get("_instanceKey"):
                targets.append(by_cluster[(scope, cluster)])
            for g in targets:
                g.tasks += 1
                g.cpu_used += use.cpu
                g.mem_used += use.memory
                g.cpu_reserved += cpu_reserved
                g.mem_reserved += mem_reserved
                if cpu_reserved > 0:
                    g.cpu_ratios.append(_percent(use.cpu, cpu_reserved))
                if mem_reserved > 0:
                    g.mem_ratios.append(_percent(use.memory, mem_reserved))
        return by_service, by_cluster

    def _capacity(self) -> dict[tuple[Scope, str], _Capacity]:
        out: dict[tuple[Scope, str], _Capacity] = defaultdict(_Capacity)
        for key, doc in self.app.store.scan(instances.TABLE):
            if doc.get("status") not in (instances.ACTIVE, instances.DRAINING):
                continue
            account, region = key.split("/", 2)[:2]
            cap = out[((account, region), str(doc.get("_cluster", "")))]
            cpu = _resource(doc, "registeredResources", "CPU")
            memory = _resource(doc, "registeredResources", "MEMORY")
            cap.cpu += cpu
            cap.memory += memory
            cap.cpu_reserved += max(0, cpu - _resource(doc, "remainingResources", "CPU"))
            cap.mem_reserved += max(
                0, memory - _resource(doc, "remainingResources", "MEMORY")
            )
        return out

    def _clusters_running(self) -> Iterable[tuple[Scope, str, dict[str, Any]]]:
        for key, doc in self.app.store.scan(clusters.TABLE):
            if doc.get("status") != clusters.ACTIVE or not doc.get("runningTasksCount"):
                continue
            account, region = key.split("/", 2)[:2]
            yield (account, region), str(doc.get("clusterName", "")), doc

    def _running_counts(self, scope: Scope, cluster: str, ts: float) -> list[Datum]:
        prefix = f"{scope[0]}/{scope[1]}/{cluster}/"
        out: list[Datum] = []
        for key, doc in self.app.store.scan(services.TABLE, prefix):
            if doc.get("status") != services.ACTIVE:
                continue
            out.append(_value("RunningTaskCount", _dims(cluster, str(doc["serviceName"])),
                              ts, float(self.running_count(key)), unit="Count"))
        return out


def _insights(cluster: dict[str, Any]) -> bool:
    return any(
        s.get("name") == "containerInsights" and s.get("value") in INSIGHTS_ON
        for s in cluster.get("settings") or []
    )
