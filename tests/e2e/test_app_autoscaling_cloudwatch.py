"""Target tracking end to end with the real CloudWatch on a simulated clock: ECS CPU
datapoints put with boto3 drive the alarms Application Auto Scaling made, and CloudWatch's
evaluator calls the policy (alarm_actions.py contract), which changes the ECS service's
desired count.  AWS's shape: AlarmHigh after 3 of 3 one-minute datapoints above the
target scales out to ceil(capacity × metric ÷ target); AlarmLow after 15 of 15 below 90%
of the target scales in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.services.cloudwatch.service import CloudWatchService
from cargobay.services.ecs.service import EcsService
from tests.e2e.test_app_autoscaling_scaling import (
    NS,
    RID,
    START,
    FakeCloudWatch,
    ProbedAas,
    Sim,
    T,
)
from tests.support import client, threaded_server


@pytest.fixture
def sim() -> Iterator[Sim]:
    clock = SimClock(start=START)
    holder: dict[str, Any] = {}

    def services(app: App) -> dict[str, object]:
        holder["aas"] = ProbedAas(app)
        return {"ecs": EcsService(app), "application-autoscaling": holder["aas"],
                "cloudwatch": CloudWatchService(app)}

    app = App(Config(data_dir=None, auth_mode="off"), clock=clock, services=services)
    with threaded_server(app) as url:
        ecs = client("ecs", url)
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
        ecs.create_service(cluster="default", serviceName="web", taskDefinition="web",
                           desiredCount=2)
        yield Sim(url, clock, holder["aas"], FakeCloudWatch(),
                  client("application-autoscaling", url), ecs)


def put_cpu(cw: Any, sim: Sim, value: float) -> None:
    """One AWS/ECS CPUUtilization datapoint for the service, put as ECS puts them
    (in-process: AWS/ namespaces are refused from clients)."""
    sim.run(sim.svc.app.dispatcher.call("cloudwatch", "PutMetricData", {
        "Namespace": "AWS/ECS", "MetricData": [{
            "MetricName": "CPUUtilization", "Value": value, "Unit": "Percent",
            "Timestamp": sim.clock.now(),
            "Dimensions": [{"Name": "ClusterName", "Value": "default"},
                           {"Name": "ServiceName", "Value": "web"}]}]},
        region="us-east-1", account_id="000000000000"))


def minutes_until(sim: Sim, cw: Any, value: float, done: Any, limit: int) -> int:
    """Put one datapoint a minute until ``done()``; how many minutes it took."""
    for minute in range(1, limit + 1):
        put_cpu(cw, sim, value)
        sim.advance(60)
        if done():
            return minute
    raise AssertionError(f"not done in {limit} simulated minutes")


def test_cpu_target_tracking_scales_the_service_out_and_in(sim: Sim) -> None:
    cw = client("cloudwatch", sim.url)
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=10)
    out = sim.aas.put_scaling_policy(
        **T, PolicyName="cpu50", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0, "ScaleOutCooldown": 300, "ScaleInCooldown": 0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(
        AlarmNamePrefix="TargetTracking-service/default/web-")["MetricAlarms"]}
    assert set(alarms) == {a["AlarmName"] for a in out["Alarms"]}
    [high] = [a for a in alarms.values() if "-AlarmHigh-" in a["AlarmName"]]
    [low] = [a for a in alarms.values() if "-AlarmLow-" in a["AlarmName"]]
    assert (high["EvaluationPeriods"], high["DatapointsToAlarm"], high["Threshold"]) == (3, 3, 50)
    assert (low["EvaluationPeriods"], low["DatapointsToAlarm"], low["Threshold"]) == (15, 15, 45)
    assert high["AlarmActions"] == low["AlarmActions"] == [out["PolicyARN"]]

    took = minutes_until(sim, cw, 90.0, lambda: sim.desired() != 2, 8)
    assert took >= 3  # three breaching one-minute datapoints first
    assert sim.desired() == 4  # ceil(2 × 90 / 50)
    took = minutes_until(sim, cw, 10.0, lambda: sim.desired() != 4, 25)
    assert took >= 15
    assert sim.desired() == 1  # ceil(4 × 10 / 50) = 1, the minimum
    acts = sim.aas.describe_scaling_activities(ServiceNamespace=NS, ResourceId=RID)[
        "ScalingActivities"]
    assert [a["Description"] for a in acts] == ["Setting desired count to 1.",
                                                "Setting desired count to 4."]
    assert acts[0]["Cause"] == (f"monitor alarm {low['AlarmName']} in state ALARM triggered "
                                "policy cpu50")
    assert acts[1]["Cause"] == (f"monitor alarm {high['AlarmName']} in state ALARM triggered "
                                "policy cpu50")
    # deleting the policy deletes its alarms
    sim.aas.delete_scaling_policy(**T, PolicyName="cpu50")
    assert cw.describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"] == []


def test_step_policy_on_a_user_alarm(sim: Sim) -> None:
    cw = client("cloudwatch", sim.url)
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=10)
    arn = sim.aas.put_scaling_policy(
        **T, PolicyName="step", PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "Cooldown": 600,
            "StepAdjustments": [
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 15,
                 "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 15, "ScalingAdjustment": 3}]})["PolicyARN"]
    cw.put_metric_alarm(AlarmName="cpu-high", Namespace="AWS/ECS", MetricName="CPUUtilization",
                        Dimensions=[{"Name": "ClusterName", "Value": "default"},
                                    {"Name": "ServiceName", "Value": "web"}],
                        Statistic="Average", Period=60, EvaluationPeriods=2, Threshold=70.0,
                        ComparisonOperator="GreaterThanThreshold", AlarmActions=[arn])
    [p] = sim.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"]
    assert p["Alarms"] == [{"AlarmName": "cpu-high", "AlarmARN":
                            "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high"}]
    minutes_until(sim, cw, 90.0, lambda: sim.desired() != 2, 6)
    assert sim.desired() == 5  # 90 − 70 = 20 ≥ 15: +3
    for _ in range(3):  # the alarm re-fires each minute; the cooldown holds
        put_cpu(cw, sim, 90.0)
        sim.advance(60)
    assert sim.desired() == 5
