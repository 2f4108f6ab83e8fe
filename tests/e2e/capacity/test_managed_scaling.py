"""Issue 9's end-to-end run of managed scaling, on the simulated clock with real agent
processes: an empty group (min 0, targetCapacity 100) behind a capacity provider, a
service of 12 tasks that each need half an instance.  Instances are launched, every
task ends RUNNING on the provider, CapacityProviderReservation reaches 100; with
desiredCount 0 the group returns to its minimum and no task is stopped by a scale-in.

The issue says MaxSize 5, but 12 half-instance tasks need 6 instances: the group here
has MaxSize 6 so that "every task ends RUNNING" can hold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.capacity.simserver import SimServer
from tests.support import client

USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=X >> /etc/ecs/ecs.config\n"


@pytest.fixture
def sim() -> Iterator[SimServer]:
    s = SimServer()
    s.start()
    try:
        yield s
    finally:
        s.stop()


def managed_group(sim: SimServer, *, max_size: int, protect: bool) -> tuple[Any, Any, Any]:
    """Cluster X, an empty t3.small group behind provider ``cp`` (managed scaling, target
    100, the cluster's default strategy), task definition ``half`` (half an instance);
    the autoscaling, ECS and CloudWatch clients."""
    asg, ecs = client("autoscaling", sim.url), client("ecs", sim.url)
    cw = client("cloudwatch", sim.url)
    ecs.create_cluster(clusterName="X")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                    InstanceType="t3.small", UserData=USER_DATA)
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                  MinSize=0, MaxSize=max_size, DesiredCapacity=0,
                                  NewInstancesProtectedFromScaleIn=protect,
                                  AvailabilityZones=["us-east-1a"])
    group_arn = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0][
        "AutoScalingGroupARN"]
    provider: dict[str, Any] = {
        "autoScalingGroupArn": group_arn,
        "managedScaling": {"status": "ENABLED", "targetCapacity": 100,
                           "instanceWarmupPeriod": 60}}
    if protect:
        provider["managedTerminationProtection"] = "ENABLED"
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider=provider)
    ecs.put_cluster_capacity_providers(
        cluster="X", capacityProviders=["cp"],
        defaultCapacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    ecs.register_task_definition(family="half", cpu="1024", memory="1024",
                                 containerDefinitions=[{
                                     "name": "main", "image": "cargobay-test/busybox:latest",
                                     "command": ["sh", "-c", "sleep 3600"]}])
    return asg, ecs, cw


def test_service_scales_the_group_out_and_back_in(sim: SimServer) -> None:
    asg, ecs, cw = managed_group(sim, max_size=6, protect=True)
    svc = ecs.create_service(cluster="X", serviceName="s", taskDefinition="half",
                             desiredCount=12)["service"]
    assert svc["capacityProviderStrategy"][0]["capacityProvider"] == "cp"
    assert "launchType" not in svc

    def group() -> dict[str, Any]:
        return dict(asg.describe_auto_scaling_groups()["AutoScalingGroups"][0])

    def running() -> list[dict[str, Any]]:
        arns = ecs.list_tasks(cluster="X", desiredStatus="RUNNING")["taskArns"]
        if not arns:
            return []
        found = ecs.describe_tasks(cluster="X", tasks=arns)["tasks"]
        return [t for t in found if t["lastStatus"] == "RUNNING"]

    # no placement failure: the tasks wait in PROVISIONING for the provider's scale-out
    def waiting() -> list[dict[str, Any]]:
        arns = ecs.list_tasks(cluster="X", desiredStatus="RUNNING")["taskArns"]
        found = ecs.describe_tasks(cluster="X", tasks=arns)["tasks"] if arns else []
        return [t for t in found if t["lastStatus"] == "PROVISIONING"]

    first = sim.advance_until(lambda: len(waiting()) == 12 and waiting(), 1.0, limit=10)
    assert all("containerInstanceArn" not in t for t in first)
    assert {t["capacityProviderName"] for t in first} == {"cp"}
    sim.advance_until(lambda: group()["DesiredCapacity"] == 6, 20.0)
    def all_running() -> list[dict[str, Any]]:
        r = running()
        return r if len(r) == 12 else []

    got = sim.advance_until(all_running, 10.0, limit=60)
    assert {t["capacityProviderName"] for t in got} == {"cp"}
    assert {t["taskArn"] for t in got} == {t["taskArn"] for t in first}  # the same tasks
    assert len({t["containerInstanceArn"] for t in got}) == 6
    g = group()
    assert len(g["Instances"]) == 6
    # managed termination protection: every instance with tasks is protected
    sim.advance_until(lambda: all(i["ProtectedFromScaleIn"] for i in group()["Instances"]),
                  60.0, limit=5)
    events = ecs.describe_services(cluster="X", services=["s"])["services"][0]["events"]
    assert not any("unable to place" in e["message"] for e in events)

    def reservations() -> list[float]:
        now = datetime.fromtimestamp(sim.clock.now(), tz=UTC)
        pts = cw.get_metric_statistics(
            Namespace="AWS/ECS/ManagedScaling", MetricName="CapacityProviderReservation",
            Dimensions=[{"Name": "ClusterName", "Value": "X"},
                        {"Name": "CapacityProviderName", "Value": "cp"}],
            StartTime=now - timedelta(hours=2), EndTime=now + timedelta(minutes=1),
            Period=60, Statistics=["Maximum"])["Datapoints"]
        return [p["Maximum"] for p in pts]

    sim.advance_until(lambda: 100.0 in reservations(), 60.0, limit=5)
    assert max(reservations()) == 200.0  # M > 0, N = 0 at the start

    ecs.update_service(cluster="X", service="s", desiredCount=0)
    sim.advance_until(lambda: not group()["Instances"] and group()["DesiredCapacity"] == 0,
                  60.0, limit=40)
    arns = ecs.list_tasks(cluster="X", desiredStatus="STOPPED")["taskArns"]
    stopped = ecs.describe_tasks(cluster="X", tasks=arns)["tasks"]
    assert len(stopped) == 12
    # every task was stopped by the service's scale-down, none by an instance going away
    assert {t["stopCode"] for t in stopped} == {"ServiceSchedulerInitiated"}
    assert 0.0 in reservations()


def test_with_max_size_five_the_group_stops_at_five_and_two_tasks_keep_waiting(
    sim: SimServer,
) -> None:
    """The issue's numbers as written (MaxSize 5): the group never passes its maximum, ten
    tasks run, the two that fit nowhere keep waiting in PROVISIONING (not failed), and
    the reservation stays above target: M = 6 instances needed, N = 5 → 120."""
    asg, ecs, cw = managed_group(sim, max_size=5, protect=False)
    ecs.create_service(cluster="X", serviceName="s", taskDefinition="half", desiredCount=12)

    def by_status() -> dict[str, int]:
        arns = ecs.list_tasks(cluster="X", desiredStatus="RUNNING")["taskArns"]
        found = ecs.describe_tasks(cluster="X", tasks=arns)["tasks"] if arns else []
        out: dict[str, int] = {}
        for t in found:
            out[t["lastStatus"]] = out.get(t["lastStatus"], 0) + 1
        return out

    sim.advance_until(lambda: by_status() == {"RUNNING": 10, "PROVISIONING": 2}, 10.0,
                      limit=80)
    group = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 5 and len(group["Instances"]) == 5

    def latest_reservation() -> float | None:
        now = datetime.fromtimestamp(sim.clock.now(), tz=UTC)
        pts = cw.get_metric_statistics(
            Namespace="AWS/ECS/ManagedScaling", MetricName="CapacityProviderReservation",
            Dimensions=[{"Name": "ClusterName", "Value": "X"},
                        {"Name": "CapacityProviderName", "Value": "cp"}],
            StartTime=now - timedelta(minutes=3), EndTime=now + timedelta(minutes=1),
            Period=60, Statistics=["Maximum"])["Datapoints"]
        return max(pts, key=lambda p: p["Timestamp"])["Maximum"] if pts else None

    sim.advance_until(lambda: latest_reservation() == 120.0, 60.0, limit=5)
    assert by_status() == {"RUNNING": 10, "PROVISIONING": 2}  # waiting, not failed
    assert len(asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]) == 5
