"""EC2 Auto Scaling API through boto3: launch configurations, groups, errors.

Groups here keep desired capacity 0 unless a test says otherwise, so no agent is
started on the shared server (test_asg_instances.py runs real instances)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.support import aws_cli, client, expect_error

#: boto3 base64-encodes UserData itself (botocore's handler for CreateLaunchConfiguration)
USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=X >> /etc/ecs/ecs.config\n"
ENCODED = base64.b64encode(USER_DATA.encode()).decode()


@pytest.fixture
def asg(url: str) -> Any:
    return client("autoscaling", url)


def make_lc(asg: Any, name: str = "lc", itype: str = "t3.small", **extra: Any) -> None:
    asg.create_launch_configuration(LaunchConfigurationName=name, ImageId="ami-12345678",
                                    InstanceType=itype, UserData=USER_DATA, **extra)


def make_group(asg: Any, name: str = "g", **extra: Any) -> None:
    args: dict[str, Any] = {"AutoScalingGroupName": name, "LaunchConfigurationName": "lc",
                            "MinSize": 0, "MaxSize": 5,
                            "AvailabilityZones": ["us-east-1a", "us-east-1b"]}
    args.update(extra)
    asg.create_auto_scaling_group(**args)


def test_launch_configuration_round_trip(asg: Any) -> None:
    make_lc(asg, IamInstanceProfile="ecsInstanceRole", SecurityGroups=["sg-1"])
    lcs = asg.describe_launch_configurations()["LaunchConfigurations"]
    assert len(lcs) == 1
    lc = lcs[0]
    assert lc["LaunchConfigurationName"] == "lc"
    assert lc["InstanceType"] == "t3.small"
    assert lc["ImageId"] == "ami-12345678"
    assert lc["UserData"] == ENCODED
    assert lc["IamInstanceProfile"] == "ecsInstanceRole"
    assert lc["SecurityGroups"] == ["sg-1"]
    assert lc["LaunchConfigurationARN"].startswith(
        "arn:aws:autoscaling:us-east-1:000000000000:launchConfiguration:")
    assert lc["LaunchConfigurationARN"].endswith(":launchConfigurationName/lc")
    assert asg.describe_launch_configurations(
        LaunchConfigurationNames=["nope"])["LaunchConfigurations"] == []
    asg.delete_launch_configuration(LaunchConfigurationName="lc")
    assert asg.describe_launch_configurations()["LaunchConfigurations"] == []


def test_launch_configuration_errors(asg: Any) -> None:
    make_lc(asg)
    msg = expect_error(lambda: make_lc(asg), "AlreadyExists")
    assert "already exists" in msg
    expect_error(lambda: make_lc(asg, "bad", itype="x9.huge"), "ValidationError")
    msg = expect_error(lambda: asg.delete_launch_configuration(LaunchConfigurationName="nope"),
                       "ValidationError")
    assert "Launch configuration name not found" in msg
    make_group(asg)
    msg = expect_error(lambda: asg.delete_launch_configuration(LaunchConfigurationName="lc"),
                       "ResourceInUse")
    assert "attached to AutoScalingGroup" in msg
    assert len(asg.describe_launch_configurations()["LaunchConfigurations"]) == 1


def test_launch_configuration_paging(asg: Any) -> None:
    for i in range(5):
        make_lc(asg, f"lc{i}")
    page = asg.describe_launch_configurations(MaxRecords=2)
    names = [lc["LaunchConfigurationName"] for lc in page["LaunchConfigurations"]]
    while page.get("NextToken"):
        page = asg.describe_launch_configurations(MaxRecords=2, NextToken=page["NextToken"])
        names += [lc["LaunchConfigurationName"] for lc in page["LaunchConfigurations"]]
    assert names == [f"lc{i}" for i in range(5)]
    expect_error(lambda: asg.describe_launch_configurations(NextToken="garbage!"),
                 "InvalidNextToken")


def test_group_create_describe_defaults(asg: Any) -> None:
    make_lc(asg)
    make_group(asg, Tags=[{"Key": "team", "Value": "a", "PropagateAtLaunch": True}],
               NewInstancesProtectedFromScaleIn=True, DefaultCooldown=60)
    g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]
    assert g["MinSize"] == 0 and g["MaxSize"] == 5 and g["DesiredCapacity"] == 0
    assert g["DefaultCooldown"] == 60
    assert g["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert g["HealthCheckType"] == "EC2"
    assert g["NewInstancesProtectedFromScaleIn"] is True
    assert g["Instances"] == []
    assert g["TerminationPolicies"] == ["Default"]
    assert g["Tags"] == [{"ResourceId": "g", "ResourceType": "auto-scaling-group",
                          "Key": "team", "Value": "a", "PropagateAtLaunch": True}]
    assert ":autoScalingGroupName/g" in g["AutoScalingGroupARN"]
    by_tag = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:team", "Values": ["a"]}])
    assert [x["AutoScalingGroupName"] for x in by_tag["AutoScalingGroups"]] == ["g"]
    none = asg.describe_auto_scaling_groups(Filters=[{"Name": "tag:team", "Values": ["b"]}])
    assert none["AutoScalingGroups"] == []


def test_group_errors(asg: Any) -> None:
    make_lc(asg)
    msg = expect_error(lambda: make_group(asg, MinSize=3, MaxSize=2), "ValidationError")
    assert msg == "Max bound, 2, must be greater than or equal to min bound, 3"
    msg = expect_error(lambda: make_group(asg, DesiredCapacity=9), "ValidationError")
    assert msg == "Desired capacity:9 must be between the specified min size:0 and max size:5"
    expect_error(lambda: make_group(asg, LaunchConfigurationName="nope"), "ValidationError")
    expect_error(lambda: asg.create_auto_scaling_group(
        AutoScalingGroupName="nolc", MinSize=0, MaxSize=1, AvailabilityZones=["us-east-1a"]),
        "ValidationError")
    msg = expect_error(lambda: asg.create_auto_scaling_group(
        AutoScalingGroupName="lt", MinSize=0, MaxSize=1, AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateName": "my-template"}), "ValidationError")
    assert "launch template" in msg
    msg = expect_error(lambda: make_group(asg, AvailabilityZones=[]), "ValidationError")
    assert "Availability Zone or VPC Subnet" in msg
    make_group(asg)
    msg = expect_error(lambda: make_group(asg), "AlreadyExists")
    assert "already exists" in msg
    missing = expect_error(lambda: asg.set_desired_capacity(
        AutoScalingGroupName="nope", DesiredCapacity=1), "ValidationError")
    assert "AutoScalingGroup name not found" in missing
    msg = expect_error(lambda: asg.set_desired_capacity(
        AutoScalingGroupName="g", DesiredCapacity=6), "ValidationError")
    assert msg == "New SetDesiredCapacity value 6 is above max value 5 for the AutoScalingGroup."
    expect_error(lambda: asg.update_auto_scaling_group(
        AutoScalingGroupName="g", MinSize=4, MaxSize=3), "ValidationError")
    expect_error(lambda: asg.update_auto_scaling_group(
        AutoScalingGroupName="nope", MaxSize=3), "ValidationError")
    # nothing changed by the refusals
    g = asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [(x["AutoScalingGroupName"], x["MinSize"], x["MaxSize"], x["DesiredCapacity"])
            for x in g] == [("g", 0, 5, 0)]
    expect_error(lambda: asg.terminate_instance_in_auto_scaling_group(
        InstanceId="i-0123456789abcdef0", ShouldDecrementDesiredCapacity=False),
        "ValidationError")
    msg = expect_error(lambda: asg.set_instance_protection(
        AutoScalingGroupName="g", InstanceIds=["i-0123456789abcdef0"],
        ProtectedFromScaleIn=True), "ValidationError")
    assert "is not part of Auto Scaling group g" in msg
    expect_error(lambda: asg.delete_auto_scaling_group(AutoScalingGroupName="nope"),
                 "ValidationError")


def test_missing_parameter_is_a_query_error(asg: Any) -> None:
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        asg.create_auto_scaling_group(AutoScalingGroupName="g", MinSize=0)  # type: ignore


def test_update_moves_desired_to_new_bounds(asg: Any) -> None:
    make_lc(asg)
    make_group(asg, MaxSize=0)
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MaxSize=4)
    g = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (0, 4, 0)
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MaxSize=0)
    make_group(asg, "zero", DefaultCooldown=0)
    assert asg.describe_auto_scaling_groups(AutoScalingGroupNames=["zero"])[
        "AutoScalingGroups"][0]["DefaultCooldown"] == 0
    asg.update_auto_scaling_group(AutoScalingGroupName="g", VPCZoneIdentifier="subnet-1,subnet-2",
                                  DefaultCooldown=10, NewInstancesProtectedFromScaleIn=True)
    g = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert g["VPCZoneIdentifier"] == "subnet-1,subnet-2"
    assert g["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert g["DefaultCooldown"] == 10 and g["NewInstancesProtectedFromScaleIn"] is True


def test_a_new_min_size_raises_the_desired_capacity(asg: Any) -> None:
    # an instance profile that does not exist: launches fail, no agent is started here
    make_lc(asg, "nolaunch", IamInstanceProfile="missing-profile")
    make_group(asg, LaunchConfigurationName="nolaunch", MaxSize=4)
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MinSize=2)
    g = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (2, 4, 2)
    asg.update_auto_scaling_group(AutoScalingGroupName="g", MinSize=1, MaxSize=1)
    g = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (1, 1, 1)


def test_delete_empty_group_and_activities_of_deleted_groups(asg: Any) -> None:
    make_lc(asg)
    make_group(asg)
    asg.delete_auto_scaling_group(AutoScalingGroupName="g")
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert asg.describe_scaling_activities(AutoScalingGroupName="g")["Activities"] == []
    asg.delete_launch_configuration(LaunchConfigurationName="lc")


def test_aws_cli_speaks_to_it(url: str) -> None:
    aws_cli(url, "autoscaling", "create-launch-configuration", "--launch-configuration-name",
            "cli-lc", "--image-id", "ami-1", "--instance-type", "m5.large")
    out = aws_cli(url, "autoscaling", "describe-launch-configurations")
    assert '"m5.large"' in out.stdout
    bad = aws_cli(url, "autoscaling", "delete-launch-configuration",
                  "--launch-configuration-name", "nope", check=False)
    assert bad.returncode != 0 and "ValidationError" in bad.stderr


def test_group_tags(asg: Any) -> None:
    make_lc(asg)
    make_group(asg, Tags=[{"Key": "a", "Value": "1"}])
    make_group(asg, "h")
    asg.create_or_update_tags(Tags=[
        {"ResourceId": "g", "ResourceType": "auto-scaling-group", "Key": "AmazonECSManaged",
         "Value": "", "PropagateAtLaunch": True},
        {"ResourceId": "h", "ResourceType": "auto-scaling-group", "Key": "a", "Value": "2",
         "PropagateAtLaunch": False}])
    tags = asg.describe_tags()["Tags"]
    assert [(t["ResourceId"], t["Key"], t["Value"]) for t in tags] == [
        ("g", "AmazonECSManaged", ""), ("g", "a", "1"), ("h", "a", "2")]
    only = asg.describe_tags(Filters=[{"Name": "value", "Values": ["2"]}])["Tags"]
    assert [(t["ResourceId"], t["Key"]) for t in only] == [("h", "a")]
    first = asg.describe_tags(MaxRecords=2)
    rest = asg.describe_tags(MaxRecords=2, NextToken=first["NextToken"])
    assert [t["ResourceId"] for t in first["Tags"] + rest["Tags"]] == ["g", "g", "h"]
    asg.delete_tags(Tags=[{"ResourceId": "g", "ResourceType": "auto-scaling-group", "Key": "a"}])
    g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["g"])["AutoScalingGroups"][0]
    assert [t["Key"] for t in g["Tags"]] == ["AmazonECSManaged"]
    expect_error(lambda: asg.create_or_update_tags(Tags=[
        {"ResourceId": "nope", "ResourceType": "auto-scaling-group", "Key": "k", "Value": "v",
         "PropagateAtLaunch": False}]), "ValidationError")
    expect_error(lambda: asg.describe_tags(Filters=[{"Name": "colour", "Values": ["x"]}]),
                 "ValidationError")
