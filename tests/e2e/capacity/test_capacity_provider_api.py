"""Capacity provider API through boto3 and the AWS CLI: defaults, name rules, the
group checks, Delete refused while in use, Describe with FARGATE/FARGATE_SPOT, tags and
pagination.  Groups keep desired capacity 0: no agent is started."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import aws_cli, client, expect_error

USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=cp >> /etc/ecs/ecs.config\n"


@pytest.fixture
def asg(url: str) -> Any:
    a = client("autoscaling", url)
    a.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                  InstanceType="t3.small", UserData=USER_DATA)
    return a


def group(asg: Any, name: str = "g", protected: bool = False) -> str:
    asg.create_auto_scaling_group(AutoScalingGroupName=name, LaunchConfigurationName="lc",
                                  MinSize=0, MaxSize=5, AvailabilityZones=["us-east-1a"],
                                  NewInstancesProtectedFromScaleIn=protected)
    g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return str(g["AutoScalingGroupARN"])


def test_create_with_ecs_defaults(ecs: Any, asg: Any) -> None:
    arn = group(asg)
    cp = ecs.create_capacity_provider(
        name="cp1", autoScalingGroupProvider={"autoScalingGroupArn": arn},
        tags=[{"key": "team", "value": "a"}])["capacityProvider"]
    assert cp["name"] == "cp1"
    assert cp["capacityProviderArn"] == "arn:aws:ecs:us-east-1:000000000000:capacity-provider/cp1"
    assert cp["status"] == "ACTIVE"
    assert cp["type"] == "EC2_AUTOSCALING"
    p = cp["autoScalingGroupProvider"]
    assert p["autoScalingGroupArn"] == arn
    assert p["managedScaling"] == {"status": "DISABLED", "targetCapacity": 100,
                                   "minimumScalingStepSize": 1,
                                   "maximumScalingStepSize": 10000,
                                   "instanceWarmupPeriod": 300}
    assert p["managedTerminationProtection"] == "DISABLED"
    assert p["managedDraining"] == "ENABLED"
    assert cp["tags"] == [{"key": "team", "value": "a"}]


def test_managed_scaling_given_is_enabled_and_update_merges(ecs: Any, asg: Any) -> None:
    arn = group(asg, protected=True)
    cp = ecs.create_capacity_provider(
        name="cp1", autoScalingGroupProvider={
            "autoScalingGroupArn": arn, "managedScaling": {"targetCapacity": 80},
            "managedTerminationProtection": "ENABLED"})["capacityProvider"]
    ms = cp["autoScalingGroupProvider"]["managedScaling"]
    assert ms["status"] == "ENABLED" and ms["targetCapacity"] == 80
    cp = ecs.update_capacity_provider(
        name="cp1", autoScalingGroupProvider={"managedScaling": {
            "maximumScalingStepSize": 3, "instanceWarmupPeriod": 0}})["capacityProvider"]
    ms = cp["autoScalingGroupProvider"]["managedScaling"]
    assert ms == {"status": "ENABLED", "targetCapacity": 80, "minimumScalingStepSize": 1,
                  "maximumScalingStepSize": 3, "instanceWarmupPeriod": 0}
    assert cp["updateStatus"] == "UPDATE_COMPLETE"


def test_create_errors_change_nothing(ecs: Any, asg: Any) -> None:
    arn = group(asg)
    for bad in ("aws-x", "ECS1", "fargateish", "FARGATE"):
        msg = expect_error(lambda n=bad: ecs.create_capacity_provider(
            name=n, autoScalingGroupProvider={"autoScalingGroupArn": arn}),
            "InvalidParameterException")
        assert "prefixed" in msg
    expect_error(lambda: ecs.create_capacity_provider(
        name="has space", autoScalingGroupProvider={"autoScalingGroupArn": arn}),
        "InvalidParameterException")
    expect_error(lambda: ecs.create_capacity_provider(
        name="cp", autoScalingGroupProvider={"autoScalingGroupArn": arn + "x"}),
        "ClientException")
    # managed termination protection needs the group's scale-in protection
    msg = expect_error(lambda: ecs.create_capacity_provider(
        name="cp", autoScalingGroupProvider={
            "autoScalingGroupArn": arn, "managedScaling": {"status": "ENABLED"},
            "managedTerminationProtection": "ENABLED"}), "InvalidParameterException")
    assert "instance protection from scale in" in msg
    # targetCapacity 1–100 (the model's range)
    expect_error(lambda: ecs.create_capacity_provider(
        name="cp", autoScalingGroupProvider={
            "autoScalingGroupArn": arn, "managedScaling": {"targetCapacity": 101}}),
        "ValidationException")
    assert [c["name"] for c in ecs.describe_capacity_providers()["capacityProviders"]] == [
        "FARGATE", "FARGATE_SPOT"]
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
        "autoScalingGroupArn": arn})
    msg = expect_error(lambda: ecs.create_capacity_provider(
        name="cp", autoScalingGroupProvider={"autoScalingGroupArn": arn}), "ClientException")
    assert "already exists" in msg
    msg = expect_error(lambda: ecs.create_capacity_provider(
        name="cp2", autoScalingGroupProvider={"autoScalingGroupArn": arn}), "ClientException")
    assert "already being used by another capacity provider" in msg


def test_delete_refused_while_a_cluster_or_service_uses_it(ecs: Any, asg: Any) -> None:
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
        "autoScalingGroupArn": group(asg)})
    ecs.create_cluster(clusterName="c", capacityProviders=["cp"],
                       defaultCapacityProviderStrategy=[{"capacityProvider": "cp",
                                                         "weight": 1}])
    msg = expect_error(lambda: ecs.delete_capacity_provider(capacityProvider="cp"),
                       "ClientException")
    assert msg == "The specified capacity provider is in use and cannot be removed."
    ecs.put_cluster_capacity_providers(cluster="c", capacityProviders=[],
                                       defaultCapacityProviderStrategy=[])
    gone = ecs.delete_capacity_provider(capacityProvider="cp")["capacityProvider"]
    assert gone["status"] == "INACTIVE"
    out = ecs.describe_capacity_providers(capacityProviders=["cp"])
    assert out["capacityProviders"] == []
    assert out["failures"] == [{"arn": gone["capacityProviderArn"], "reason": "MISSING"}]
    expect_error(lambda: ecs.delete_capacity_provider(capacityProvider="cp"),
                 "ClientException")
    expect_error(lambda: ecs.delete_capacity_provider(capacityProvider="FARGATE"),
                 "InvalidParameterException")
    # a provider that is not there cannot be associated
    expect_error(lambda: ecs.put_cluster_capacity_providers(
        cluster="c", capacityProviders=["cp"], defaultCapacityProviderStrategy=[]),
        "InvalidParameterException")


def test_describe_pages_and_tags(ecs: Any, asg: Any, url: str) -> None:
    for i in range(3):
        ecs.create_capacity_provider(
            name=f"cp{i}", autoScalingGroupProvider={"autoScalingGroupArn": group(asg, f"g{i}")},
            tags=[{"key": "i", "value": str(i)}])
    names: list[str] = []
    token: str | None = None
    for _ in range(10):
        kw: dict[str, Any] = {"maxResults": 2, "include": ["TAGS"]}
        if token:
            kw["nextToken"] = token
        out = ecs.describe_capacity_providers(**kw)
        names += [c["name"] for c in out["capacityProviders"]]
        for c in out["capacityProviders"]:
            if c["name"].startswith("cp"):
                assert c["tags"] == [{"key": "i", "value": c["name"][2:]}]
        token = out.get("nextToken")
        if not token:
            break
    assert names == ["FARGATE", "FARGATE_SPOT", "cp0", "cp1", "cp2"]
    plain = ecs.describe_capacity_providers(capacityProviders=["cp1", "FARGATE_SPOT"])
    assert [c["name"] for c in plain["capacityProviders"]] == ["cp1", "FARGATE_SPOT"]
    assert "tags" not in plain["capacityProviders"][0]
    expect_error(lambda: ecs.describe_capacity_providers(maxResults=11),
                 "InvalidParameterException")
    cli = json.loads(aws_cli(url, "ecs", "describe-capacity-providers",
                             "--capacity-providers", "cp2").stdout)
    assert cli["capacityProviders"][0]["autoScalingGroupProvider"]["managedDraining"] == "ENABLED"


def test_a_strategy_cannot_mix_fargate_and_group_providers(ecs: Any, asg: Any) -> None:
    ecs.create_capacity_provider(name="cp", autoScalingGroupProvider={
        "autoScalingGroupArn": group(asg)})
    ecs.create_cluster(clusterName="m", capacityProviders=["cp", "FARGATE"])
    ecs.register_task_definition(family="t", containerDefinitions=[
        {"name": "main", "image": "busybox", "memory": 64}])
    msg = expect_error(lambda: ecs.run_task(cluster="m", taskDefinition="t",
                                            capacityProviderStrategy=[
                                                {"capacityProvider": "cp", "weight": 1},
                                                {"capacityProvider": "FARGATE", "weight": 1}]),
                       "InvalidParameterException")
    assert "cannot contain a mix of capacity providers" in msg
    # the group provider has no instance and no managed scaling: a failure, no task
    out = ecs.run_task(cluster="m", taskDefinition="t",
                       capacityProviderStrategy=[{"capacityProvider": "cp", "weight": 1}])
    assert out["tasks"] == []
    assert out["failures"][0]["reason"] == "RESOURCE:CPU"
