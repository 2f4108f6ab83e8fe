"""An instance's credentials come from its launch configuration's instance profile.

The agent is started with AWS_CONTAINER_CREDENTIALS_FULL_URI (the server's
per-instance endpoint) and AWS_CONTAINER_AUTHORIZATION_TOKEN; botocore's container
provider reads them, so the agent registers as the role's session named after the
instance (``assumed-role/ecsInstanceRole/i-…``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest

from tests.e2e.autoscaling.procs import pids_with
from tests.e2e.autoscaling.test_asg_instances import USER_DATA, in_service, wait_for
from tests.support import client

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def agent_env(instance_id: str) -> dict[str, str]:
    (pid,) = pids_with(instance_id)
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [p.split(b"=", 1) for p in f.read().split(b"\0") if b"=" in p]
    return {k.decode(): v.decode() for k, v in pairs}


def get(url: str, token: str) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, headers={"Authorization": token})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return int(r.status), dict(json.loads(r.read()))
    except urllib.error.HTTPError as e:
        return int(e.code), dict(json.loads(e.read()))


@pytest.fixture
def iam(asg_url: str) -> Any:
    return client("iam", asg_url)


def test_instance_profile_role_signs_the_agent(asg_url: str, iam: Any) -> None:
    asg, ecs = client("autoscaling", asg_url), client("ecs", asg_url)
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(
        RoleName="ecsInstanceRole",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")
    iam.create_instance_profile(InstanceProfileName="ecsInstanceProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceProfile",
                                     RoleName="ecsInstanceRole")
    ecs.create_cluster(clusterName="X")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                    InstanceType="c5.large", UserData=USER_DATA,
                                    IamInstanceProfile="ecsInstanceProfile")
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                  MinSize=1, MaxSize=1, VPCZoneIdentifier="subnet-aaa")
    (inst,) = wait_for(lambda: in_service(asg, 1))
    iid = inst["InstanceId"]
    env = agent_env(iid)
    assert "AWS_ACCESS_KEY_ID" not in env
    uri, token = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert uri.startswith(asg_url + "/_cargobay/autoscaling/credentials/")

    status, body = get(uri, "wrong-token")
    assert status == 401 and "AccessKeyId" not in body
    status, creds = get(uri, token)
    assert status == 200
    assert creds["RoleArn"] == "arn:aws:iam::000000000000:role/ecsInstanceRole"
    sts = boto3.client("sts", endpoint_url=asg_url, region_name="us-east-1",
                       aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["Token"])
    arn = sts.get_caller_identity()["Arn"]
    assert arn == f"arn:aws:sts::000000000000:assumed-role/ecsInstanceRole/{iid}"

    (ci,) = ecs.describe_container_instances(
        cluster="X", containerInstances=ecs.list_container_instances(cluster="X")[
            "containerInstanceArns"])["containerInstances"]
    assert ci["ec2InstanceId"] == iid
    res = {r["name"]: r.get("integerValue") for r in ci["registeredResources"]}
    assert (res["CPU"], res["MEMORY"]) == (2048, 4096)  # c5.large: 2 vCPU, 4 GiB

    acts = asg.describe_scaling_activities(AutoScalingGroupName="g")["Activities"]
    assert json.loads(acts[0]["Details"]) == {"Subnet ID": "subnet-aaa",
                                              "Availability Zone": "us-east-1a"}
    asg.delete_auto_scaling_group(AutoScalingGroupName="g", ForceDelete=True)
    wait_for(lambda: not asg.describe_auto_scaling_groups()["AutoScalingGroups"])
    assert get(uri, token)[0] == 404


def test_a_profile_without_a_role_fails_the_launch(asg_url: str, iam: Any) -> None:
    asg = client("autoscaling", asg_url)
    iam.create_instance_profile(InstanceProfileName="empty")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                    InstanceType="t3.micro", IamInstanceProfile="empty")
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                  MinSize=1, MaxSize=1, AvailabilityZones=["us-east-1c"])
    act = wait_for(lambda: asg.describe_scaling_activities(
        AutoScalingGroupName="g")["Activities"])[0]
    assert act["StatusCode"] == "Failed"
    assert act["StatusMessage"] == "Invalid IamInstanceProfile: empty"
    assert asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"] == []
