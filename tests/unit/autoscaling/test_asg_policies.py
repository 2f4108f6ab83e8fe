"""Simple and step scaling policies run by CloudWatch alarm actions (in-process: the
service's ``on_alarm_action``, as CloudWatch calls it; no instance is launched because
the reconcile loop is not started)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.errors import AwsError
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.autoscaling import adjustments
from cargobay.store.memory import MemoryStore


@pytest.fixture
def app() -> App:
    cfg = Config()
    cfg.data_dir = None
    return App(cfg, clock=SimClock(), store=MemoryStore())


def call(app: App, op: str, **params: Any) -> dict[str, Any]:
    return asyncio.run(app.dispatcher.call("autoscaling", op, params, region="us-east-1"))


def desired(app: App) -> int:
    return int(call(app, "DescribeAutoScalingGroups")["AutoScalingGroups"][0]["DesiredCapacity"])


def make_group(app: App) -> None:
    call(app, "CreateLaunchConfiguration", LaunchConfigurationName="lc", ImageId="ami-1",
         InstanceType="t3.micro")
    call(app, "CreateAutoScalingGroup", AutoScalingGroupName="g", LaunchConfigurationName="lc",
         MinSize=1, MaxSize=10, DesiredCapacity=2, AvailabilityZones=["us-east-1a"])


def firing(value: float, threshold: float = 50.0, state: str = "ALARM") -> AlarmFiring:
    return AlarmFiring(alarm_name="high-cpu", alarm_arn="arn:aws:cloudwatch:x", state=state,
                       threshold=threshold, comparison_operator="GreaterThanThreshold",
                       values=[value, value])


def test_simple_policy_from_an_alarm_then_cooldown(app: App) -> None:
    make_group(app)
    arn = call(app, "PutScalingPolicy", AutoScalingGroupName="g", PolicyName="out",
               AdjustmentType="ChangeInCapacity", ScalingAdjustment=3, Cooldown=60)["PolicyARN"]
    assert ":scalingPolicy:" in arn and arn.endswith(":autoScalingGroupName/g:policyName/out")
    svc: Any = app.services["autoscaling"]
    asyncio.run(svc.on_alarm_action(arn, firing(90.0, state="OK")))
    assert desired(app) == 2
    asyncio.run(svc.on_alarm_action(arn, firing(90.0)))
    assert desired(app) == 5
    asyncio.run(svc.on_alarm_action(arn, firing(90.0)))
    assert desired(app) == 5, "within the policy's cooldown"
    # the next launch activity's Cause starts with it (the loop is not running here)
    group: Any = app.store.get("autoscaling.groups", "000000000000/us-east-1/g")
    assert "a monitor alarm high-cpu in state ALARM triggered policy out changing the " \
           "desired capacity from 2 to 5." in group["_cause"]
    asyncio.run(svc.on_alarm_action(arn + "-gone", firing(90.0)))  # never raises


def test_step_policy_picks_the_step_of_the_breach(app: App) -> None:
    make_group(app)
    arn = call(app, "PutScalingPolicy", AutoScalingGroupName="g", PolicyName="steps",
               PolicyType="StepScaling", AdjustmentType="ChangeInCapacity", StepAdjustments=[
                   {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20,
                    "ScalingAdjustment": 1},
                   {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 4}])["PolicyARN"]
    svc: Any = app.services["autoscaling"]
    asyncio.run(svc.on_alarm_action(arn, firing(60.0)))
    assert desired(app) == 3
    asyncio.run(svc.on_alarm_action(arn, firing(70.0)))  # 70 - 50 = 20: lower bound inclusive
    assert desired(app) == 7
    asyncio.run(svc.on_alarm_action(arn, firing(95.0)))
    assert desired(app) == 10, "kept within MaxSize"
    pols = call(app, "DescribePolicies", AutoScalingGroupName="g")["ScalingPolicies"]
    assert [p["PolicyName"] for p in pols] == ["steps"]
    assert pols[0]["MetricAggregationType"] == "Average"


def test_execute_policy_and_errors(app: App) -> None:
    make_group(app)
    call(app, "PutScalingPolicy", AutoScalingGroupName="g", PolicyName="pct",
         AdjustmentType="PercentChangeInCapacity", ScalingAdjustment=-10)
    call(app, "ExecutePolicy", AutoScalingGroupName="g", PolicyName="pct")
    assert desired(app) == 1, "-10% of 2 is -0.2: moves by one"
    for bad in (
        {"PolicyType": "TargetTrackingScaling", "AdjustmentType": "ChangeInCapacity"},
        {"AdjustmentType": "ChangeInCapacity"},
        {"PolicyType": "StepScaling", "AdjustmentType": "ChangeInCapacity"},
        {"AdjustmentType": "ChangeInCapacity", "ScalingAdjustment": 1,
         "MinAdjustmentMagnitude": 2},
    ):
        with pytest.raises(AwsError) as info:
            call(app, "PutScalingPolicy", AutoScalingGroupName="g", PolicyName="bad", **bad)
        assert info.value.code == "ValidationError"
    with pytest.raises(AwsError) as info:
        call(app, "ExecutePolicy", AutoScalingGroupName="g", PolicyName="nope")
    assert info.value.code == "ValidationError"
    call(app, "DeletePolicy", AutoScalingGroupName="g", PolicyName="pct")
    assert call(app, "DescribePolicies")["ScalingPolicies"] == []
    call(app, "PutScalingPolicy", AutoScalingGroupName="g", PolicyName="p2",
         AdjustmentType="ExactCapacity", ScalingAdjustment=4)
    call(app, "UpdateAutoScalingGroup", AutoScalingGroupName="g", MinSize=0)
    call(app, "SetDesiredCapacity", AutoScalingGroupName="g", DesiredCapacity=0)
    call(app, "DeleteAutoScalingGroup", AutoScalingGroupName="g")
    assert call(app, "DescribePolicies")["ScalingPolicies"] == [], "deleted with the group"


@pytest.mark.parametrize(("kind", "adj", "cur", "want"), [
    ("ChangeInCapacity", 2, 3, 5), ("ExactCapacity", 7, 3, 7),
    ("PercentChangeInCapacity", 50, 3, 4), ("PercentChangeInCapacity", 10, 3, 4),
    ("PercentChangeInCapacity", -50, 5, 3), ("ChangeInCapacity", -9, 3, 1),
])
def test_new_capacity(kind: str, adj: int, cur: int, want: int) -> None:
    assert adjustments.new_capacity({"AdjustmentType": kind}, adj, cur, 1, 10) == want


def test_step_bounds_below_the_threshold() -> None:
    steps = [{"MetricIntervalUpperBound": -10, "ScalingAdjustment": -2},
             {"MetricIntervalLowerBound": -10, "MetricIntervalUpperBound": 0,
              "ScalingAdjustment": -1}]
    assert adjustments.step_for(steps, 40.0, 50.0) == steps[0], "upper bound inclusive below"
    assert adjustments.step_for(steps, 45.0, 50.0) == steps[1]
    assert adjustments.step_for(steps, 55.0, 50.0) is None
