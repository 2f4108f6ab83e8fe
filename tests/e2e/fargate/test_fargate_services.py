"""A FARGATE service runs: its tasks need no container instance and the service reaches
a steady state; scaling in stops tasks and frees their addresses.  Bad Fargate
services are refused with ECS's errors and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.fargate.conftest import until
from tests.e2e.fargate.test_fargate_tasks import NETWORK, details, register
from tests.support import expect_error

SLEEP = ["sleep", "600"]


@pytest.mark.parametrize("runtime_kind", ["process"])
def test_a_fargate_service_reaches_a_steady_state(fecs: Any) -> None:
    ecs = fecs
    td = register(ecs, "fg-svc", SLEEP)
    svc = ecs.create_service(
        cluster=ecs.cluster, serviceName="api", taskDefinition=td, desiredCount=3,
        launchType="FARGATE", networkConfiguration=NETWORK,
    )["service"]
    assert svc["launchType"] == "FARGATE" and svc["platformVersion"] == "LATEST"

    def steady() -> Any:
        s = ecs.describe_services(cluster=ecs.cluster, services=["api"])["services"][0]
        msgs = [e["message"] for e in s["events"]]
        return s["runningCount"] == 3 and any("steady state" in m for m in msgs) and s

    s = until(steady)
    assert s["deployments"][0]["rolloutState"] == "COMPLETED"
    arns = ecs.list_tasks(cluster=ecs.cluster, serviceName="api")["taskArns"]
    tasks = ecs.describe_tasks(cluster=ecs.cluster, tasks=arns)["tasks"]
    assert len(tasks) == 3
    assert all(t["launchType"] == "FARGATE" and "containerInstanceArn" not in t for t in tasks)
    assert all(t["group"] == "service:api" for t in tasks)
    ips = {details(t)["privateIPv4Address"] for t in tasks}
    assert len(ips) == 3
    cluster = ecs.describe_clusters(clusters=[ecs.cluster], include=["STATISTICS"])[
        "clusters"][0]
    stats = {s["name"]: s["value"] for s in cluster["statistics"]}
    assert stats.get("runningFargateTasksCount") == "3"

    ecs.update_service(cluster=ecs.cluster, service="api", desiredCount=1)
    until(lambda: len(ecs.list_tasks(cluster=ecs.cluster, serviceName="api")["taskArns"]) == 1)

    def two_stopped() -> list[dict[str, Any]] | None:
        found = [t for t in ecs.describe_tasks(cluster=ecs.cluster, tasks=arns)["tasks"]
                 if t["lastStatus"] == "STOPPED"]
        return found if len(found) == 2 else None

    stopped = until(two_stopped)
    assert all(t["stopCode"] == "ServiceSchedulerInitiated" for t in stopped)
    ecs.update_service(cluster=ecs.cluster, service="api", desiredCount=0)
    ecs.delete_service(cluster=ecs.cluster, service="api")


def test_fargate_service_refusals(ecs: Any) -> None:
    ecs.create_cluster(clusterName="default")
    td = register(ecs, "fg-bad", SLEEP)
    ecs.register_task_definition(family="bridge", containerDefinitions=[
        {"name": "a", "image": "x", "memory": 64}])
    base = {"serviceName": "s", "taskDefinition": td, "desiredCount": 1,
            "launchType": "FARGATE", "networkConfiguration": NETWORK}
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        ({"networkConfiguration": None}, "InvalidParameterException", None),
        ({"networkConfiguration": {"awsvpcConfiguration": {"subnets": []}}},
         "InvalidParameterException", "subnets can not be empty."),
        ({"platformVersion": "0.9.9"}, "PlatformUnknownException",
         "The specified platform version doesn't exist."),
        ({"platformVersion": "1.3.0"}, "UnsupportedFeatureException", None),
        ({"placementConstraints": [{"type": "distinctInstance"}]}, "InvalidParameterException",
         "Placement constraints are not supported with FARGATE launch type."),
        ({"placementStrategy": [{"type": "random"}]}, "InvalidParameterException",
         "Placement strategies are not supported with FARGATE launch type."),
        ({"taskDefinition": "bridge"}, "InvalidParameterException",
         "Task definition does not support launch_type FARGATE."),
    ]
    for change, code, message in cases:
        req = {k: v for k, v in {**base, **change}.items() if v is not None}
        got = expect_error(lambda r=req: ecs.create_service(**r), code)  # type: ignore[misc]
        if message is not None:
            assert got == message, change
    assert ecs.list_services()["serviceArns"] == []
