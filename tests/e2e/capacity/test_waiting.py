"""Tasks of a managed-scaling provider wait in PROVISIONING: RunTask answers them (no
failure), StopTask stops one at once, and one that never finds capacity is stopped
after the wait timeout.  The group's MaxSize is 0, so no instance ever comes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.services.ecs.capacity_waiting import WAIT_CODE, WAIT_REASON, WAIT_TIMEOUT
from tests.e2e.capacity.simserver import SimServer
from tests.support import client

USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=W >> /etc/ecs/ecs.config\n"


@pytest.fixture
def sim() -> Iterator[SimServer]:
    s = SimServer()
    s.start()
    try:
        yield s
    finally:
        s.stop()


def in_process(sim: SimServer, op: str, params: dict[str, Any]) -> dict[str, Any]:
    """An ECS call without SigV4 (the simulated clock runs past the allowed skew)."""
    return asyncio.run_coroutine_threadsafe(
        sim.app.dispatcher.call("ecs", op, params, region="us-east-1"), sim.loop).result(10)


def test_tasks_wait_then_time_out(sim: SimServer) -> None:
    asg, ecs = client("autoscaling", sim.url), client("ecs", sim.url)
    ecs.create_cluster(clusterName="W")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                    InstanceType="t3.small", UserData=USER_DATA)
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                  MinSize=0, MaxSize=0, AvailabilityZones=["us-east-1a"])
    arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
        "autoScalingGroupArn": arn, "managedScaling": {"status": "ENABLED"}})
    ecs.put_cluster_capacity_providers(
        cluster="W", capacityProviders=["cp"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    ecs.register_task_definition(family="t", cpu="256", memory="256", containerDefinitions=[
        {"name": "main", "image": "cargobay-test/busybox:latest", "command": ["true"]}])
    out = ecs.run_task(cluster="W", taskDefinition="t", count=3)
    assert out["failures"] == []
    assert [t["lastStatus"] for t in out["tasks"]] == ["PROVISIONING"] * 3
    assert {t["capacityProviderName"] for t in out["tasks"]} == {"cp"}
    assert all("containerInstanceArn" not in t for t in out["tasks"])
    cluster = ecs.describe_clusters(clusters=["W"])["clusters"][0]
    assert cluster["pendingTasksCount"] == 3

    # StopTask of a waiting task: STOPPED at once, no agent has it
    first = out["tasks"][0]["taskArn"]
    ecs.stop_task(cluster="W", task=first, reason="not needed")
    sim.advance_until(lambda: ecs.describe_tasks(cluster="W", tasks=[first])["tasks"][0][
        "lastStatus"] == "STOPPED", 1.0, limit=12)
    t = ecs.describe_tasks(cluster="W", tasks=[first])["tasks"][0]
    assert (t["stopCode"], t["stoppedReason"]) == ("UserInitiated", "not needed")

    # the other two never find capacity
    sim.advance(WAIT_TIMEOUT + 2.0)
    rest = [t["taskArn"] for t in out["tasks"][1:]]
    got = in_process(sim, "DescribeTasks", {"cluster": "W", "tasks": rest})["tasks"]
    assert [(t["lastStatus"], t["stopCode"], t["stoppedReason"]) for t in got] == [
        ("STOPPED", WAIT_CODE, WAIT_REASON)] * 2
    cluster = in_process(sim, "DescribeClusters", {"clusters": ["W"]})["clusters"][0]
    assert (cluster["pendingTasksCount"], cluster["runningTasksCount"]) == (0, 0)
