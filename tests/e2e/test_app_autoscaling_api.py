"""Application Auto Scaling's API for ECS services with boto3 against a real server:
scalable targets (register, update, SuspendedState, describe filters and pages,
deregister), step scaling policies, scheduled actions, tags, and AWS's errors
(ValidationException "ECS service doesn't exist: <id>", ObjectNotFoundException "No
scalable target registered for ...")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import client, expect_error

NS = "ecs"
DIM = "ecs:service:DesiredCount"
RID = "service/default/web"
T = {"ServiceNamespace": NS, "ScalableDimension": DIM, "ResourceId": RID}
STEP = {"AdjustmentType": "ChangeInCapacity", "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}]}


def make_service(ecs: Any, name: str = "web", count: int = 1) -> None:
    ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
    ecs.create_service(cluster="default", serviceName=name, taskDefinition="web",
                       desiredCount=count)


@pytest.fixture
def aas(url: str, ecs: Any) -> Any:
    ecs.create_cluster(clusterName="default")
    make_service(ecs)
    return client("application-autoscaling", url)


def test_register_needs_an_existing_ecs_service(url: str, ecs: Any) -> None:
    aas = client("application-autoscaling", url)
    ecs.create_cluster(clusterName="default")
    msg = expect_error(lambda: aas.register_scalable_target(
        **{**T, "ResourceId": "service/default/nope"}, MinCapacity=1, MaxCapacity=2),
        "ValidationException")
    assert msg == "ECS service doesn't exist: service/default/nope"
    assert aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"] == []


def test_register_describe_update_and_deregister(aas: Any) -> None:
    arn = aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:000000000000:"
                          "scalable-target/")
    [t] = aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"], t["ResourceId"]) == (1, 4, RID)
    assert t["SuspendedState"] == {"DynamicScalingInSuspended": False,
                                   "DynamicScalingOutSuspended": False,
                                   "ScheduledScalingSuspended": False}
    assert t["RoleARN"].endswith("/AWSServiceRoleForApplicationAutoScaling_ECSService")
    assert t["ScalableTargetARN"] == arn
    # an update changes only what it names, and keeps the ARN
    again = aas.register_scalable_target(
        **T, MaxCapacity=9, SuspendedState={"DynamicScalingInSuspended": True})
    assert again["ScalableTargetARN"] == arn
    [t] = aas.describe_scalable_targets(ServiceNamespace=NS, ResourceIds=[RID])[
        "ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"]) == (1, 9)
    assert t["SuspendedState"]["DynamicScalingInSuspended"] is True
    assert t["SuspendedState"]["ScheduledScalingSuspended"] is False
    aas.deregister_scalable_target(**T)
    assert aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"] == []
    expect_error(lambda: aas.deregister_scalable_target(**T), "ObjectNotFoundException")


def test_bad_targets_are_refused_and_change_nothing(aas: Any) -> None:
    expect_error(lambda: aas.register_scalable_target(**T, MinCapacity=5, MaxCapacity=2),
                 "ValidationException")
    expect_error(lambda: aas.register_scalable_target(**T, MinCapacity=1),
                 "ValidationException")
    expect_error(lambda: aas.register_scalable_target(
        **{**T, "ResourceId": "cluster/default"}, MinCapacity=1, MaxCapacity=2),
        "ValidationException")
    expect_error(lambda: aas.register_scalable_target(
        **{**T, "ScalableDimension": "dynamodb:table:ReadCapacityUnits"},
        MinCapacity=1, MaxCapacity=2), "ValidationException")
    assert aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"] == []
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=3)
    expect_error(lambda: aas.register_scalable_target(**T, MinCapacity=4),
                 "ValidationException")
    [t] = aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"]) == (1, 3)


def test_describe_pages_and_filters(aas: Any, ecs: Any) -> None:
    for i in range(5):
        ecs.create_service(cluster="default", serviceName=f"s{i}", taskDefinition="web",
                           desiredCount=0)
        aas.register_scalable_target(**{**T, "ResourceId": f"service/default/s{i}"},
                                     MinCapacity=0, MaxCapacity=i + 1)
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        kw = {"NextToken": token} if token else {}
        out = aas.describe_scalable_targets(ServiceNamespace=NS, MaxResults=2, **kw)
        assert len(out["ScalableTargets"]) <= 2
        seen += [t["ResourceId"] for t in out["ScalableTargets"]]
        token = out.get("NextToken")
        if not token:
            break
    assert sorted(seen) == [f"service/default/s{i}" for i in range(5)]
    out = aas.describe_scalable_targets(ServiceNamespace=NS,
                                        ResourceIds=["service/default/s3"])
    assert [t["MaxCapacity"] for t in out["ScalableTargets"]] == [4]
    expect_error(lambda: aas.describe_scalable_targets(ServiceNamespace=NS, NextToken="%%%"),
                 "InvalidNextTokenException")


def test_policy_needs_a_registered_target(aas: Any) -> None:
    msg = expect_error(lambda: aas.put_scaling_policy(
        **T, PolicyName="up", PolicyType="StepScaling", StepScalingPolicyConfiguration=STEP),
        "ObjectNotFoundException")
    assert msg == ("No scalable target registered for service namespace: ecs, resource ID: "
                   "service/default/web, scalable dimension: ecs:service:DesiredCount")


def test_step_policy_round_trip_and_delete(aas: Any) -> None:
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    arn = aas.put_scaling_policy(**T, PolicyName="up", PolicyType="StepScaling",
                                 StepScalingPolicyConfiguration=STEP)["PolicyARN"]
    assert arn.startswith("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:")
    assert arn.endswith(":resource/ecs/service/default/web:policyName/up")
    [p] = aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"]
    assert p["PolicyARN"] == arn and p["PolicyType"] == "StepScaling"
    assert p["StepScalingPolicyConfiguration"] == STEP
    # updating keeps the ARN
    assert aas.put_scaling_policy(**T, PolicyName="up", PolicyType="StepScaling",
                                  StepScalingPolicyConfiguration={**STEP, "Cooldown": 5}
                                  )["PolicyARN"] == arn
    assert aas.describe_scaling_policies(ServiceNamespace=NS, PolicyNames=["up"])[
        "ScalingPolicies"][0]["StepScalingPolicyConfiguration"]["Cooldown"] == 5
    aas.delete_scaling_policy(**T, PolicyName="up")
    assert aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"] == []
    expect_error(lambda: aas.delete_scaling_policy(**T, PolicyName="up"),
                 "ObjectNotFoundException")


@pytest.mark.parametrize("config", [
    {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": []},
    {"AdjustmentType": "ChangeInCapacity", "MinAdjustmentMagnitude": 2,
     "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]},
    {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 5, "ScalingAdjustment": 2}]},
    {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
        {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 1},
        {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 2}]},
])
def test_bad_step_policies_are_refused(aas: Any, config: dict[str, Any]) -> None:
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    expect_error(lambda: aas.put_scaling_policy(
        **T, PolicyName="up", PolicyType="StepScaling", StepScalingPolicyConfiguration=config),
        "ValidationException")
    assert aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"] == []


def test_target_tracking_needs_a_resource_label_for_alb_request_count(aas: Any) -> None:
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    expect_error(lambda: aas.put_scaling_policy(
        **T, PolicyName="alb", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 100,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget"},
        }), "ValidationException")
    expect_error(lambda: aas.put_scaling_policy(
        **T, PolicyName="both", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 50}), "ValidationException")


def test_scheduled_actions_round_trip(aas: Any) -> None:
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    aas.put_scheduled_action(**T, ScheduledActionName="morning",
                             Schedule="cron(0 8 ? * MON-FRI *)", Timezone="Europe/Paris",
                             ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 6})
    aas.put_scheduled_action(**T, ScheduledActionName="once",
                             Schedule="at(2030-01-01T00:00:00)",
                             ScalableTargetAction={"MaxCapacity": 2})
    out = aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"]
    by = {a["ScheduledActionName"]: a for a in out}
    assert set(by) == {"morning", "once"}
    assert by["morning"]["Timezone"] == "Europe/Paris"
    assert by["morning"]["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 6}
    assert ":scheduledAction:" in by["morning"]["ScheduledActionARN"]
    out = aas.describe_scheduled_actions(ServiceNamespace=NS, ScheduledActionNames=["once"])
    assert [a["Schedule"] for a in out["ScheduledActions"]] == ["at(2030-01-01T00:00:00)"]
    aas.delete_scheduled_action(**T, ScheduledActionName="once")
    expect_error(lambda: aas.delete_scheduled_action(**T, ScheduledActionName="once"),
                 "ObjectNotFoundException")
    # deregistering the target takes its scheduled actions with it
    aas.deregister_scalable_target(**T)
    assert aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"] == []


@pytest.mark.parametrize("schedule,tz", [
    ("cron(0 8 * * * *)", None),  # neither day field is '?'
    ("cron(0 8 ? *)", None),
    ("rate(0 minutes)", None),
    ("rate(1 minutes)", None),
    ("at(2030-13-01T00:00:00)", None),
    ("every day", None),
    ("cron(0 8 ? * MON *)", "Mars/Olympus"),
])
def test_bad_schedules_are_refused(aas: Any, schedule: str, tz: str | None) -> None:
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    kw = {"Timezone": tz} if tz else {}
    expect_error(lambda: aas.put_scheduled_action(
        **T, ScheduledActionName="x", Schedule=schedule,
        ScalableTargetAction={"MinCapacity": 1}, **kw), "ValidationException")
    assert aas.describe_scheduled_actions(ServiceNamespace=NS)["ScheduledActions"] == []


def test_tags_on_scalable_targets(aas: Any) -> None:
    arn = aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4,
                                       Tags={"team": "a"})["ScalableTargetARN"]
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "a"}
    aas.tag_resource(ResourceARN=arn, Tags={"env": "prod"})
    aas.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "prod"}
    expect_error(lambda: aas.register_scalable_target(**T, Tags={"x": "y"}),
                 "ValidationException")
    expect_error(lambda: aas.list_tags_for_resource(ResourceARN=arn + "0"),
                 "ResourceNotFoundException")


def test_the_cli_registers_a_target(url: str, aas: Any) -> None:
    from tests.support import aws_cli

    aws_cli(url, "application-autoscaling", "register-scalable-target",
            "--service-namespace", NS, "--scalable-dimension", DIM, "--resource-id", RID,
            "--min-capacity", "2", "--max-capacity", "3")
    out = aws_cli(url, "application-autoscaling", "describe-scalable-targets",
                  "--service-namespace", NS)
    assert '"MinCapacity": 2' in out.stdout


def test_target_tracking_alarms_are_real_cloudwatch_alarms(url: str, aas: Any) -> None:
    cw = client("cloudwatch", url)
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    out = aas.put_scaling_policy(
        **T, PolicyName="cpu", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 70.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    names = sorted(a["AlarmName"] for a in out["Alarms"])
    shown = cw.describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in shown) == names
    assert {a["AlarmArn"] for a in shown} == {a["AlarmARN"] for a in out["Alarms"]}
    assert all(a["AlarmActions"] == [out["PolicyARN"]] for a in shown)
    aas.deregister_scalable_target(**T)
    assert cw.describe_alarms(AlarmNames=names)["MetricAlarms"] == []


def test_an_alarm_cloudwatch_refuses_fails_the_policy_and_leaves_nothing(
        url: str, aas: Any) -> None:
    cw = client("cloudwatch", url)
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)
    expect_error(lambda: aas.put_scaling_policy(
        **T, PolicyName="odd", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 5.0,
            "CustomizedMetricSpecification": {"Metrics": [
                {"Id": "m1", "ReturnData": True, "MetricStat": {"Stat": "NotAStatistic",
                 "Metric": {"Namespace": "App", "MetricName": "Backlog"}}}]}}),
        "ValidationException")
    assert aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"] == []
    assert cw.describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"] == []


def test_registering_brings_the_desired_count_into_range(aas: Any, ecs: Any) -> None:
    # API reference: "it changes the resource's current capacity to a value that is
    # inside of this range"
    def desired() -> int:
        return int(ecs.describe_services(cluster="default", services=["web"])[
            "services"][0]["desiredCount"])

    assert desired() == 1
    aas.register_scalable_target(**T, MinCapacity=3, MaxCapacity=5)
    assert desired() == 3
    aas.register_scalable_target(**T, MaxCapacity=3)
    assert desired() == 3
    aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=2)
    assert desired() == 2


def test_iam_policies_see_the_scalable_target_arn(url: str, aas: Any) -> None:
    import json

    import boto3

    arn = aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=4)["ScalableTargetARN"]
    iam = client("iam", url)
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "application-autoscaling:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "application-autoscaling:DeregisterScalableTarget",
             "Resource": arn}]}))
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    ops = boto3.client("application-autoscaling", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    assert len(ops.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]) == 1
    ops.register_scalable_target(**T, MaxCapacity=6)
    expect_error(lambda: ops.deregister_scalable_target(**T), "AccessDeniedException")
    assert len(aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]) == 1
