"""Auto Scaling groups whose instances are real ``cargobay agent`` processes.

The issue-9 scenario: a group of two t3.small instances for cluster X registers two
container instances of t3.small's size (2 vCPU = 2048 units, 2 GiB = 2048 MiB) with
the instance type and zone attributes; a task runs on one; scaling to 0 drains the
instances (DRAINING), stops the agents and the task (no process left) and deregisters
them (INACTIVE), each step recorded as a scaling activity."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from tests.e2e.autoscaling.procs import pids_with
from tests.support import client, expect_error

T = TypeVar("T")
USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=X >> /etc/ecs/ecs.config\n"


def wait_for(what: Callable[[], T | None], timeout: float = 30.0, step: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def group(asg: Any, name: str = "g") -> dict[str, Any]:
    found = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return dict(found[0]) if found else {}


def in_service(asg: Any, n: int, name: str = "g") -> list[dict[str, Any]] | None:
    insts = group(asg, name).get("Instances", [])
    ready = [i for i in insts if i["LifecycleState"] == "InService"]
    return ready if len(ready) == n and len(insts) == n else None


def setup_group(asg: Any, ecs: Any, desired: int, **extra: Any) -> None:
    ecs.create_cluster(clusterName="X")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-0abc",
                                    InstanceType="t3.small", UserData=USER_DATA)
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                  MinSize=0, MaxSize=4, DesiredCapacity=desired,
                                  AvailabilityZones=["us-east-1a", "us-east-1b"], **extra)


@pytest.fixture
def asg(asg_url: str) -> Any:
    return client("autoscaling", asg_url)


@pytest.fixture
def ecs(asg_url: str) -> Any:
    return client("ecs", asg_url)


def test_two_t3_small_instances_run_a_task_and_scale_to_zero(asg: Any, ecs: Any) -> None:
    setup_group(asg, ecs, 2)
    insts = wait_for(lambda: in_service(asg, 2))
    assert {i["InstanceType"] for i in insts} == {"t3.small"}
    assert sorted(i["AvailabilityZone"] for i in insts) == ["us-east-1a", "us-east-1b"]
    ids = {i["InstanceId"] for i in insts}
    for iid in ids:
        assert len(pids_with(iid)) == 1, "one agent process per instance"

    arns = ecs.list_container_instances(cluster="X")["containerInstanceArns"]
    cis = ecs.describe_container_instances(cluster="X", containerInstances=arns)[
        "containerInstances"]
    assert {c["ec2InstanceId"] for c in cis} == ids
    for c in cis:
        res = {r["name"]: r.get("integerValue") for r in c["registeredResources"]}
        assert (res["CPU"], res["MEMORY"]) == (2048, 2048)
        attrs = {a["name"]: a.get("value") for a in c["attributes"]}
        assert attrs["ecs.instance-type"] == "t3.small"
        assert attrs["ecs.ami-id"] == "ami-0abc"
        zone = next(i["AvailabilityZone"] for i in insts if i["InstanceId"] == c["ec2InstanceId"])
        assert attrs["ecs.availability-zone"] == zone

    marker = f"asg-task-{uuid.uuid4().hex[:8]}"
    ecs.register_task_definition(family="sleeper", containerDefinitions=[{
        "name": "main", "image": "cargobay-test/busybox:latest", "memory": 64,
        "command": ["sh", "-c", f"sleep 600; echo {marker}"]}])
    task = ecs.run_task(cluster="X", taskDefinition="sleeper")["tasks"][0]
    wait_for(lambda: ecs.describe_tasks(cluster="X", tasks=[task["taskArn"]])["tasks"][0][
        "lastStatus"] == "RUNNING")
    assert pids_with(marker), "the task runs as a process"

    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=0)
    # drained first: the container instances go DRAINING
    wait_for(lambda: any(c["status"] == "DRAINING" for c in ecs.describe_container_instances(
        cluster="X", containerInstances=arns)["containerInstances"]), timeout=10, step=0.05)
    assert {i["LifecycleState"] for i in group(asg)["Instances"]} == {"Terminating"}
    wait_for(lambda: not group(asg)["Instances"], timeout=40)
    # stopped: no agent, no task process left
    for iid in ids:
        assert pids_with(iid) == []
    assert pids_with(marker) == []
    # deregistered, and the task ended
    final = ecs.describe_container_instances(cluster="X", containerInstances=arns)
    assert {c["status"] for c in final["containerInstances"]} == {"INACTIVE"}
    assert ecs.list_container_instances(cluster="X")["containerInstanceArns"] == []
    stopped = ecs.describe_tasks(cluster="X", tasks=[task["taskArn"]])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED"

    acts = asg.describe_scaling_activities(AutoScalingGroupName="g")["Activities"]
    launches = [a for a in acts if a["Description"].startswith("Launching a new EC2 instance: ")]
    ends = [a for a in acts if a["Description"].startswith("Terminating EC2 instance: ")]
    assert len(launches) == 2 and len(ends) == 2
    assert all(a["StatusCode"] == "Successful" and a["Progress"] == 100 for a in acts)
    assert "a user request created an AutoScalingGroup" in launches[0]["Cause"]
    assert "an instance was started in response to a difference between desired and actual " \
           "capacity, increasing the capacity from 0 to 2." in launches[0]["Cause"]
    assert "a user request explicitly set group desired capacity changing the desired " \
           "capacity from 2 to 0." in ends[0]["Cause"]
    assert "shrinking the capacity from 2 to 0." in ends[0]["Cause"]
    assert acts[0]["StartTime"] >= acts[-1]["StartTime"], "newest first"
    asg.delete_auto_scaling_group(AutoScalingGroupName="g")
    assert group(asg) == {}


def test_protection_terminate_and_delete_rules(asg: Any, ecs: Any) -> None:
    setup_group(asg, ecs, 2, NewInstancesProtectedFromScaleIn=True)
    insts = wait_for(lambda: in_service(asg, 2))
    assert all(i["ProtectedFromScaleIn"] for i in insts)
    one, two = sorted(i["InstanceId"] for i in insts)
    details = asg.describe_auto_scaling_instances(InstanceIds=[one])["AutoScalingInstances"]
    assert details[0]["AutoScalingGroupName"] == "g"
    assert details[0]["LifecycleState"] == "InService"
    assert details[0]["HealthStatus"] == "Healthy"

    msg = expect_error(lambda: asg.delete_auto_scaling_group(AutoScalingGroupName="g"),
                       "ResourceInUse")
    assert msg.startswith("You cannot delete an AutoScalingGroup while there are instances")
    # protected instances survive a scale-in
    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=1)
    time.sleep(1.0)
    assert len(in_service(asg, 2) or []) == 2
    asg.set_instance_protection(AutoScalingGroupName="g", InstanceIds=[two],
                                ProtectedFromScaleIn=False)
    wait_for(lambda: [i["InstanceId"] for i in group(asg)["Instances"]] == [one])
    assert pids_with(two) == []

    # a user's termination without decrement is replaced
    act = asg.terminate_instance_in_auto_scaling_group(
        InstanceId=one, ShouldDecrementDesiredCapacity=False)["Activity"]
    assert act["Description"] == f"Terminating EC2 instance: {one}"
    assert f"instance {one} was taken out of service in response to a user request" in \
        act["Cause"]
    replaced = wait_for(lambda: in_service(asg, 1))
    assert replaced[0]["InstanceId"] != one
    assert group(asg)["DesiredCapacity"] == 1
    # with decrement: the group shrinks
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MinSize=1)
    msg = expect_error(lambda: asg.terminate_instance_in_auto_scaling_group(
        InstanceId=replaced[0]["InstanceId"], ShouldDecrementDesiredCapacity=True),
        "ValidationError")
    assert "can not decrement below minimum" in msg
    assert in_service(asg, 1)
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MinSize=0)
    asg.terminate_instance_in_auto_scaling_group(
        InstanceId=replaced[0]["InstanceId"], ShouldDecrementDesiredCapacity=True)
    assert group(asg)["DesiredCapacity"] == 0
    wait_for(lambda: not group(asg)["Instances"])
    asg.delete_auto_scaling_group(AutoScalingGroupName="g")


def test_force_delete_terminates_protected_instances(asg: Any, ecs: Any) -> None:
    setup_group(asg, ecs, 1, NewInstancesProtectedFromScaleIn=True)
    (inst,) = wait_for(lambda: in_service(asg, 1))
    asg.delete_auto_scaling_group(AutoScalingGroupName="g", ForceDelete=True)
    assert group(asg).get("Status") == "Delete in progress"
    expect_error(lambda: asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=1),
                 "ScalingActivityInProgress")
    wait_for(lambda: not group(asg), timeout=30)
    assert pids_with(inst["InstanceId"]) == []
    assert ecs.list_container_instances(cluster="X")["containerInstanceArns"] == []


def test_an_instance_whose_agent_dies_is_replaced(asg: Any, ecs: Any) -> None:
    """The EC2 health check: a stopped instance is taken out of service and replaced."""
    import os
    import signal

    setup_group(asg, ecs, 1)
    (inst,) = wait_for(lambda: in_service(asg, 1))
    (pid,) = pids_with(inst["InstanceId"])
    os.kill(pid, signal.SIGKILL)
    new = wait_for(lambda: [i for i in (in_service(asg, 1) or [])
                            if i["InstanceId"] != inst["InstanceId"]])
    assert new[0]["HealthStatus"] == "Healthy"
    acts = asg.describe_scaling_activities(AutoScalingGroupName="g")["Activities"]
    ended = next(a for a in acts if a["Description"] == f"Terminating EC2 instance: "
                 f"{inst['InstanceId']}")
    assert "in response to an EC2 health check indicating it has been terminated or " \
           "stopped." in ended["Cause"]
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MinSize=0, MaxSize=0)
    wait_for(lambda: not group(asg)["Instances"])


def test_an_agent_that_cannot_start_fails_the_launch_and_backs_off() -> None:
    """CARGOBAY_ASG_RUNTIME names a runtime the agent refuses: it exits at once (2); the
    launch activity fails and the group waits before launching again."""
    from tests.e2e.autoscaling.conftest import ASG_ENV
    from tests.support import ServerProcess

    srv = ServerProcess(env={**ASG_ENV, "CARGOBAY_ASG_RUNTIME": "no-such-runtime"}).start()
    try:
        asg2 = client("autoscaling", srv.url)
        asg2.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                         InstanceType="t3.micro")
        asg2.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                       MinSize=1, MaxSize=1, AvailabilityZones=["us-east-1a"])
        failed = wait_for(lambda: [a for a in asg2.describe_scaling_activities()["Activities"]
                                   if a["StatusCode"] == "Failed"], timeout=20)
        assert "exited before it registered" in failed[0]["StatusMessage"]
        time.sleep(1.5)
        launches = [a for a in asg2.describe_scaling_activities()["Activities"]
                    if a["Description"].startswith("Launching")]
        assert len(launches) == 1, "no relaunch within the retry delay"
    finally:
        srv.stop()
