"""IAM policies on Auto Scaling calls: groups and launch configurations are resources
(autoScalingGroup:*:autoScalingGroupName/<name>), Describe* authorize on ``*``."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from tests.support import client, expect_error


def test_a_user_limited_to_groups_named_team_a(url: str) -> None:
    iam = client("iam", url)
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="asg", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["autoscaling:Describe*",
                                           "autoscaling:CreateLaunchConfiguration"],
             "Resource": "*"},
            {"Effect": "Allow", "Action": ["autoscaling:CreateAutoScalingGroup",
                                           "autoscaling:SetDesiredCapacity"],
             "Resource": "arn:aws:autoscaling:*:*:autoScalingGroup:*:"
                         "autoScalingGroupName/team-a-*"}]}))
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    asg: Any = boto3.client(
        "autoscaling", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=BotoConfig(retries={"max_attempts": 1}))
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                    InstanceType="t3.micro")
    make = {"LaunchConfigurationName": "lc", "MinSize": 0, "MaxSize": 1,
            "AvailabilityZones": ["us-east-1a"]}
    asg.create_auto_scaling_group(AutoScalingGroupName="team-a-web", **make)
    asg.set_desired_capacity(AutoScalingGroupName="team-a-web", DesiredCapacity=0)
    expect_error(lambda: asg.create_auto_scaling_group(AutoScalingGroupName="team-b", **make),
                 "AccessDenied", 403)
    expect_error(lambda: asg.delete_auto_scaling_group(AutoScalingGroupName="team-a-web"),
                 "AccessDenied", 403)
    names = [g["AutoScalingGroupName"]
             for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]]
    assert names == ["team-a-web"]
