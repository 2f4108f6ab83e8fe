"""ECS's CloudWatch metrics from the usage agents report on the poll, with a fake
CloudWatch that records PutMetricData (the real one is tested end to end in
tests/e2e/test_scaling_real_load.py).

Rules checked ("Amazon ECS CloudWatch metrics", "Amazon ECS service utilization
metrics" in the ECS developer guide):
- service CPUUtilization = CPU units used by the service's tasks × 100 ÷ CPU units
  reserved for them (task-level cpu, else the containers'); Minimum / Maximum are the
  least / most loaded task's own utilization; MemoryUtilization likewise in MiB;
- cluster CPUReservation = reserved by tasks ÷ registered on ACTIVE or DRAINING
  instances; cluster CPUUtilization = used ÷ registered;
- metrics are sent once a minute; nothing for a cluster or service without RUNNING tasks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from cargobay.app import App, default_services
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.http import HttpRequest
from cargobay.services.ecs.usage_samples import UsageSamples
from tests.unit.ecs.test_scheduler_sim import CTX, START, Host, Plane


class FakeCloudWatch:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def put_metric_data(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((ctx.account_id, ctx.region, req))
        return {}

    def datums(self, namespace: str = "AWS/ECS") -> list[dict[str, Any]]:
        return [d for _, _, r in self.calls if r["Namespace"] == namespace
                for d in r["MetricData"]]

    def find(self, name: str, **dims: str) -> list[dict[str, Any]]:
        return [
            d for d in self.datums()
            if d["MetricName"] == name
            and {x["Name"]: x["Value"] for x in d.get("Dimensions", [])} == dims
        ]


class MetricsPlane(Plane):
    """The scheduler tests' plane, with the fake CloudWatch among its services."""

    def __init__(self, cw: FakeCloudWatch) -> None:
        self.clock = SimClock(START)

        def services(app: App) -> dict[str, object]:
            return {**default_services(app), "cloudwatch": cw}

        self.app = App(Config(data_dir=None, agent_timeout=3600, agent_task_timeout=7200),
                       clock=self.clock, services=services)
        self.ecs: Any = self.app.services["ecs"]
        self.hosts: list[Host] = []
        self.ecs.create_cluster(CTX, {})


def run(scenario: Callable[[Plane, FakeCloudWatch], Awaitable[None]]) -> None:
    async def main() -> None:
        cw = FakeCloudWatch()
        plane = MetricsPlane(cw)
        await plane.app.start()
        try:
            await scenario(plane, cw)
        finally:
            await plane.app.stop()

    asyncio.run(main())


async def send_usage(h: Host, usage: dict[str, Any]) -> int:
    body = {"containerInstanceArn": h.arn, "version": 10**6, "wait": 0, "usage": usage}
    resp = await h.plane.app.agent_channel.handle(
        HttpRequest("POST", "/_cargobay/agent/poll", body=json.dumps(body).encode())
    )
    return resp.status


async def service_of_two(p: Plane, task_cpu: str | None = None) -> tuple[Host, list[str]]:
    h = p.host(cpu=2048, memory=4096)
    if task_cpu is None:
        p.taskdef(cpu=256, memory=512)
    else:  # task-level cpu, containers without any
        p.ecs.register_task_definition(CTX, {
            "family": "web", "cpu": task_cpu,
            "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 512}]})
    p.create(desiredCount=2)
    await p.settle()
    await p.converge()
    arns = sorted(t["taskArn"] for t in p.running())
    assert len(arns) == 2
    return h, arns


def test_service_utilization_is_used_over_reserved_with_min_and_max_per_task() -> None:
    async def scenario(p: Plane, cw: FakeCloudWatch) -> None:
        h, (a, b) = await service_of_two(p)
        # two samples for a within the minute (averaged: 192 units), one for b
        assert await send_usage(h, {a: {"cpu": 128, "memory": 100}}) == 200
        both = {a: {"cpu": 256, "memory": 300}, b: {"cpu": 64, "memory": 56}}
        assert await send_usage(h, both) == 200
        await p.clock.advance(60 - p.clock.now() % 60 + 1)  # the publisher's minute
        cpu = cw.find("CPUUtilization", ClusterName="default", ServiceName="web")
        assert len(cpu) == 1
        stats = cpu[0]["StatisticValues"]
        # (192 + 64) × 100 / (256 × 2) = 50 %; per task 75 % and 25 %
        assert stats["SampleCount"] == 2
        assert stats["Sum"] / stats["SampleCount"] == pytest.approx(50.0)
        assert (stats["Minimum"], stats["Maximum"]) == (pytest.approx(25.0), pytest.approx(75.0))
        assert cpu[0]["Unit"] == "Percent"
        assert cpu[0]["Timestamp"] % 60 == 0 and cpu[0]["Timestamp"] < p.clock.now()
        mem = cw.find("MemoryUtilization", ClusterName="default", ServiceName="web")[0]
        # (200 + 56) × 100 / (512 × 2) = 25 %
        assert mem["StatisticValues"]["Sum"] / 2 == pytest.approx(25.0)

    run(scenario)


def test_cluster_reservation_and_utilization_are_over_registered_capacity() -> None:
    async def scenario(p: Plane, cw: FakeCloudWatch) -> None:
        h, (a, b) = await service_of_two(p)
        await send_usage(h, {a: {"cpu": 512, "memory": 256}, b: {"cpu": 512, "memory": 256}})
        await p.clock.advance(60 - p.clock.now() % 60 + 1)

        def one(name: str) -> float:
            found = cw.find(name, ClusterName="default")
            assert len(found) == 1, (name, found)
            return float(found[0]["Value"])

        assert one("CPUReservation") == pytest.approx(512 * 100 / 2048)
        assert one("MemoryReservation") == pytest.approx(1024 * 100 / 4096)
        assert one("CPUUtilization") == pytest.approx(1024 * 100 / 2048)
        assert one("MemoryUtilization") == pytest.approx(512 * 100 / 4096)

    run(scenario)


def test_task_level_cpu_is_the_reservation_when_given() -> None:
    async def scenario(p: Plane, cw: FakeCloudWatch) -> None:
        h, (a, b) = await service_of_two(p, task_cpu="1024")
        await send_usage(h, {a: {"cpu": 512, "memory": 1}, b: {"cpu": 0, "memory": 1}})
        await p.clock.advance(60 - p.clock.now() % 60 + 1)
        stats = cw.find("CPUUtilization", ClusterName="default",
                        ServiceName="web")[0]["StatisticValues"]
        assert stats["Sum"] / 2 == pytest.approx(512 * 100 / 2048)

    run(scenario)


def test_once_a_minute_and_nothing_without_running_tasks() -> None:
    async def scenario(p: Plane, cw: FakeCloudWatch) -> None:
        p.host()
        await p.clock.advance(180)
        assert cw.datums() == []  # no RUNNING task anywhere: no metrics at all
        h, (a, b) = await service_of_two(p)
        await p.clock.advance(60 - p.clock.now() % 60 + 1)
        # RUNNING tasks but no usage yet: the cluster's reservations only
        assert {d["MetricName"] for d in cw.datums()} == {"CPUReservation", "MemoryReservation"}
        before = len(cw.calls)
        for _ in range(3):
            await send_usage(h, {a: {"cpu": 10, "memory": 10}, b: {"cpu": 10, "memory": 10}})
            await p.clock.advance(60)
        assert len(cw.calls) == before + 3  # one PutMetricData per minute
        stamps = sorted({d["Timestamp"] for d in cw.find("CPUUtilization", ClusterName="default",
                                                         ServiceName="web")})
        assert [b - a for a, b in itertools.pairwise(stamps)] == [60.0, 60.0]

    run(scenario)


def test_usage_of_tasks_not_on_the_instance_and_bad_samples_are_ignored() -> None:
    async def scenario(p: Plane, cw: FakeCloudWatch) -> None:
        h, (a, b) = await service_of_two(p)
        other = p.host()
        # another instance cannot report for h's tasks; junk entries are dropped
        assert await send_usage(other, {a: {"cpu": 99999, "memory": 1}}) == 200
        assert await send_usage(h, {a: {"cpu": -1, "memory": 1}, b: "x"}) == 200
        assert await send_usage(h, {a: {"cpu": True, "memory": 1}}) == 200
        await p.clock.advance(60 - p.clock.now() % 60 + 1)
        assert cw.find("CPUUtilization", ClusterName="default", ServiceName="web") == []
        # a usage that is not an object is a bad poll
        assert await send_usage(h, "nope") == 400  # type: ignore[arg-type]

    run(scenario)


def test_container_insights_running_task_count() -> None:
    async def scenario(p: Plane, cw: FakeCloudWatch) -> None:
        p.ecs.update_cluster_settings(CTX, {"cluster": "default", "settings": [
            {"name": "containerInsights", "value": "enabled"}]})
        await service_of_two(p)
        await p.clock.advance(60 - p.clock.now() % 60 + 1)
        counts = cw.datums("ECS/ContainerInsights")
        assert [(d["MetricName"], d["Value"], d["Unit"]) for d in counts] == [
            ("RunningTaskCount", 2.0, "Count")]

    run(scenario)


def test_samples_are_averaged_per_minute_and_stale_ones_forgotten() -> None:
    s = UsageSamples()
    assert s.record("k", {"cpu": 100, "memory": 10}, 0.0)
    assert s.record("k", {"cpu": 300, "memory": 30}, 10.0)
    assert not s.record("k", {"cpu": float("nan"), "memory": 1}, 11.0)
    assert not s.record("k", {"cpu": 1}, 11.0)
    got = s.take(60.0, 120.0)["k"]
    assert (got.cpu, got.memory) == (200.0, 20.0)
    # no sample in the next minute: the latest one stands in while it is fresh
    got = s.take(120.0, 120.0)["k"]
    assert (got.cpu, got.memory) == (300.0, 30.0)
    assert s.take(200.0, 120.0) == {} and len(s) == 0
