"""Fargate tasks count in their service's CPU and memory utilization (ECS metrics).

In-process: the control plane with its Fargate fleet on the process runtime; a FARGATE
service of one task that keeps a core busy (bounded: it exits after 60 s).  The fleet's
usage loop samples the real process and hands its use to the metrics publisher, which
computes AWS/ECS CPUUtilization for ClusterName+ServiceName from it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from cargobay.app import App
from cargobay.config import Config
from cargobay.protocol.base import RequestContext

BURN = "end=$(( $(date +%s) + 60 )); while [ $(date +%s) -lt $end ]; do :; done"


def ctx(op: str) -> RequestContext:
    return RequestContext("ecs", op, "us-east-1", "000000000000", uuid.uuid4().hex, "json")


async def call(ecs: Any, op: str, name: str, req: dict[str, Any]) -> Any:
    out = getattr(ecs, op)(ctx(name), req)
    return await out if asyncio.iscoroutine(out) else out


def test_a_busy_fargate_service_shows_cpu_utilization(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARGOBAY_FARGATE_RUNTIME", "process")

    async def scenario() -> None:
        app = App(Config(data_dir=None, auth_mode="off"))
        await app.start()
        ecs: Any = app.services["ecs"]
        try:
            await call(ecs, "create_cluster", "CreateCluster", {"clusterName": "fg"})
            await call(ecs, "register_task_definition", "RegisterTaskDefinition", {
                "family": "burn", "requiresCompatibilities": ["FARGATE"],
                "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "containerDefinitions": [
                    {"name": "main", "image": "busybox", "command": ["sh", "-c", BURN]}],
            })
            await call(ecs, "create_service", "CreateService", {
                "cluster": "fg", "serviceName": "web", "taskDefinition": "burn",
                "desiredCount": 1, "launchType": "FARGATE",
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
            })
            deadline = time.monotonic() + 30
            recorded = 0
            while time.monotonic() < deadline:
                recorded = ecs.fargate.usage.report_once()
                if recorded:
                    break
                await asyncio.sleep(0.25)
            assert recorded == 1, "the fleet never measured its task"
            datums = ecs.metrics.compute(app.clock.now())
            cpu = [
                d for batch in datums.values() for d in batch
                if d["MetricName"] == "CPUUtilization"
                and {x["Name"] for x in d["Dimensions"]} == {"ClusterName", "ServiceName"}
            ]
            assert len(cpu) == 1, datums
            stats = cpu[0]["StatisticValues"]
            average = stats["Sum"] / stats["SampleCount"]
            # a busy shell loop uses well over a tenth of its 256 reserved units
            assert average > 10, stats
            mem = [d for batch in datums.values() for d in batch
                   if d["MetricName"] == "MemoryUtilization"]
            assert mem, datums
        finally:
            await app.stop()

    asyncio.run(scenario())
