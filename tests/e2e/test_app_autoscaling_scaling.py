"""Application Auto Scaling scaling an ECS service, on a simulated clock: an in-process
server (tests.support.threaded_server) whose App runs on a SimClock, with a recording
CloudWatch stand-in (the real alarm evaluator calls ``on_alarm_action`` the same way,
cargobay/services/alarm_actions.py).  boto3 drives the APIs.

- target tracking alarm shapes as AWS makes them (REFERENCE "Target tracking"):
  AlarmHigh 3 of 3 > target, AlarmLow 15 of 15 < 90% of target, period 60, AWS/ECS
  metric with ClusterName/ServiceName, the policy ARN as the action; no AlarmLow with
  DisableScaleIn; alarms deleted with the policy and with the target;
- target tracking capacity: ceil(capacity × metric ÷ target), min/max respected;
- cooldowns ("Cooldown period"): capacity added during a scale-out cooldown counts in
  the next proposal; scale-in blocked during the scale-in cooldown, scale-out not;
- several policies: scale out if any says so, scale in only if all agree;
- SuspendedState: dynamic scale-in/out and scheduled scaling suspended;
- step scaling: steps relative to the alarm threshold, aggregation types, percent
  changes with MinAdjustmentMagnitude, Cooldown;
- scheduled actions: cron in a time zone across a DST change, at(), rate(),
  StartTime/EndTime, ScheduledScalingSuspended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.application_autoscaling.service import ApplicationAutoScalingService
from cargobay.services.ecs.service import EcsService
from tests.support import client, threaded_server

NS = "ecs"
DIM = "ecs:service:DesiredCount"
RID = "service/default/web"
T = {"ServiceNamespace": NS, "ScalableDimension": DIM, "ResourceId": RID}
START = datetime(2026, 3, 27, 12, 0, tzinfo=UTC).timestamp()


class ProbedAas(ApplicationAutoScalingService):
    """Application Auto Scaling that remembers the server's event loop."""

    loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await super().start()


@dataclass
class FakeCloudWatch:
    """Records the alarms Application Auto Scaling makes and deletes."""

    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)

    def put_metric_alarm(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self.alarms[req["AlarmName"]] = req
        return {}

    def delete_alarms(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        for name in req["AlarmNames"]:
            self.alarms.pop(name, None)
            self.deleted.append(name)
        return {}

    def put_metric_data(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        return {}


@dataclass
class Sim:
    url: str
    clock: SimClock
    svc: ProbedAas
    cw: FakeCloudWatch
    aas: Any
    ecs: Any

    def run(self, coro: Any) -> Any:
        assert self.svc.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.svc.loop).result(30)

    def advance(self, seconds: float) -> None:
        self.run(self.clock.advance(seconds))

    def advance_to(self, when: float) -> None:
        self.advance(max(0.0, when - self.clock.now()))

    def fire(self, arn: str, alarm: str, values: list[float], threshold: float | None = None,
             op: str | None = None) -> None:
        spec = self.cw.alarms.get(alarm, {})
        firing = AlarmFiring(
            alarm_name=alarm, alarm_arn=f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{alarm}",
            state="ALARM",
            threshold=threshold if threshold is not None else spec.get("Threshold"),
            comparison_operator=op or spec.get("ComparisonOperator", "GreaterThanThreshold"),
            values=values, timestamp=self.clock.now())
        self.run(self.svc.on_alarm_action(arn, firing))

    def desired(self) -> int:
        return int(self.ecs.describe_services(cluster="default", services=["web"])[
            "services"][0]["desiredCount"])

    def activities(self, **kw: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self.aas.describe_scaling_activities(
            ServiceNamespace=NS, ResourceId=RID, **kw)["ScalingActivities"]
        return out


@pytest.fixture
def sim() -> Iterator[Sim]:
    clock = SimClock(start=START)
    holder: dict[str, Any] = {"cw": FakeCloudWatch()}

    def services(app: App) -> dict[str, object]:
        holder["aas"] = ProbedAas(app)
        return {"ecs": EcsService(app), "application-autoscaling": holder["aas"],
                "cloudwatch": holder["cw"]}

    app = App(Config(data_dir=None, auth_mode="off", agent_timeout=10**9,
                     agent_task_timeout=10**9), clock=clock, services=services)
    with threaded_server(app) as url:
        ecs = client("ecs", url)
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
        ecs.create_service(cluster="default", serviceName="web", taskDefinition="web",
                           desiredCount=2)
        yield Sim(url, clock, holder["aas"], holder["cw"],
                  client("application-autoscaling", url), ecs)


def tt_policy(sim: Sim, name: str = "cpu", target: float = 50.0,
              kind: str = "ECSServiceAverageCPUUtilization", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = sim.aas.put_scaling_policy(
        **T, PolicyName=name, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target, "PredefinedMetricSpecification": {"PredefinedMetricType": kind},
            **extra})
    return out


def alarm(out: dict[str, Any], which: str) -> str:
    [name] = [a["AlarmName"] for a in out["Alarms"] if f"-Alarm{which}-" in a["AlarmName"]]
    return name


# -- target tracking alarms ----------------------------------------------------------------


def test_target_tracking_creates_the_two_alarms_aws_creates(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=10)
    out = tt_policy(sim, target=60.0)
    arn = out["PolicyARN"]
    high, low = alarm(out, "High"), alarm(out, "Low")
    assert high.startswith("TargetTracking-service/default/web-AlarmHigh-")
    assert low.startswith("TargetTracking-service/default/web-AlarmLow-")
    assert {a["AlarmARN"] for a in out["Alarms"]} == {
        f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{n}" for n in (high, low)}
    h, lo = sim.cw.alarms[high], sim.cw.alarms[low]
    dims = [{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": "web"}]
    for a in (h, lo):
        assert (a["Namespace"], a["MetricName"], a["Statistic"], a["Period"]) == (
            "AWS/ECS", "CPUUtilization", "Average", 60)
        assert a["Dimensions"] == dims
        assert a["AlarmActions"] == [arn]
        assert a["AlarmDescription"] == (
            f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {arn}.")
    assert (h["EvaluationPeriods"], h["DatapointsToAlarm"], h["Threshold"],
            h["ComparisonOperator"]) == (3, 3, 60.0, "GreaterThanThreshold")
    assert (lo["EvaluationPeriods"], lo["DatapointsToAlarm"], lo["Threshold"],
            lo["ComparisonOperator"]) == (15, 15, 54.0, "LessThanThreshold")
    [p] = sim.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"]
    assert p["Alarms"] == out["Alarms"]


def test_disable_scale_in_has_no_low_alarm_and_updates_keep_the_names(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=10)
    first = tt_policy(sim, kind="ECSServiceAverageMemoryUtilization")
    high, low = alarm(first, "High"), alarm(first, "Low")
    assert sim.cw.alarms[high]["MetricName"] == "MemoryUtilization"
    second = tt_policy(sim, kind="ECSServiceAverageMemoryUtilization", DisableScaleIn=True)
    assert second["PolicyARN"] == first["PolicyARN"]
    assert [a["AlarmName"] for a in second["Alarms"]] == [high]
    assert set(sim.cw.alarms) == {high} and low in sim.cw.deleted
    sim.aas.delete_scaling_policy(**T, PolicyName="cpu")
    assert sim.cw.alarms == {}


def test_alb_and_customized_metrics(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=10)
    label = "app/my-alb/778d41231b141a0f/targetgroup/my-tg/943f017f100becff"
    out = sim.aas.put_scaling_policy(
        **T, PolicyName="alb", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 1000.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}})
    high = sim.cw.alarms[alarm(out, "High")]
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == (
        "AWS/ApplicationELB", "RequestCountPerTarget", "Sum")
    assert high["Dimensions"] == [{"Name": "TargetGroup",
                                   "Value": "targetgroup/my-tg/943f017f100becff"}]
    out = sim.aas.put_scaling_policy(
        **T, PolicyName="backlog", PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={"TargetValue": 10.0,
            "CustomizedMetricSpecification": {"Metrics": [
                {"Id": "m1", "ReturnData": False, "MetricStat": {"Stat": "Sum", "Metric": {
                    "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Dimensions": [{"Name": "QueueName", "Value": "jobs"}]}}},
                {"Id": "m2", "ReturnData": False, "MetricStat": {"Stat": "Average", "Metric": {
                    "Namespace": "AWS/ECS", "MetricName": "RunningTaskCount"}}},
                {"Id": "e1", "Expression": "m1 / m2", "ReturnData": True}]}})
    low = sim.cw.alarms[alarm(out, "Low")]
    assert "MetricName" not in low and "Period" not in low
    assert [q["Id"] for q in low["Metrics"]] == ["m1", "m2", "e1"]
    assert low["Metrics"][0]["MetricStat"]["Period"] == 60
    assert low["Metrics"][2] == {"Id": "e1", "Expression": "m1 / m2", "ReturnData": True,
                                 "Period": 60}
    assert low["Threshold"] == 9.0


def test_deregistering_the_target_deletes_its_policies_and_alarms(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=10)
    tt_policy(sim)
    assert len(sim.cw.alarms) == 2
    sim.aas.deregister_scalable_target(**T)
    assert sim.cw.alarms == {}
    assert sim.aas.describe_scaling_policies(ServiceNamespace=NS)["ScalingPolicies"] == []


# -- target tracking scaling ---------------------------------------------------------------


def test_scale_out_is_proportional_and_bounded_by_max(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=5)
    out = tt_policy(sim, ScaleOutCooldown=0)
    high = alarm(out, "High")
    sim.fire(out["PolicyARN"], high, [80.0, 85.0, 90.0])  # 2 × 90 / 50 = 3.6 → 4
    assert sim.desired() == 4
    [act] = sim.activities()
    assert act["Description"] == "Setting desired count to 4."
    assert act["Cause"] == f"monitor alarm {high} in state ALARM triggered policy cpu"
    assert act["StatusMessage"] == ("Successfully set desired count to 4. Change "
                                    "successfully fulfilled by ecs.")
    assert act["StatusCode"] == "Successful"
    sim.advance(60)
    sim.fire(out["PolicyARN"], high, [100.0])  # 4 × 2 = 8, max 5
    assert sim.desired() == 5
    sim.advance(60)
    sim.fire(out["PolicyARN"], high, [100.0])  # at max: a not-scaled activity
    assert sim.desired() == 5
    assert len(sim.activities()) == 2
    [ns, *_] = sim.activities(IncludeNotScaledActivities=True)
    assert ns["NotScaledReasons"] == [{"Code": "AlreadyAtMaxCapacity", "MaxCapacity": 5,
                                       "MinCapacity": 1, "CurrentCapacity": 5}]


def test_scale_out_cooldown_counts_the_capacity_already_added(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    out = tt_policy(sim, ScaleOutCooldown=300)
    arn, high = out["PolicyARN"], alarm(out, "High")
    sim.fire(arn, high, [75.0])  # 2 × 1.5 = 3
    assert sim.desired() == 3
    sim.advance(60)
    sim.fire(arn, high, [75.0])  # within the cooldown: from 2 again → 3, nothing more
    assert sim.desired() == 3
    sim.advance(60)
    sim.fire(arn, high, [200.0])  # a larger scale-out: 2 × 4 = 8
    assert sim.desired() == 8
    sim.advance(301)
    sim.fire(arn, high, [75.0])  # cooldown over: 8 × 1.5 = 12
    assert sim.desired() == 12


def test_scale_in_is_bounded_by_min_and_blocked_by_its_cooldown(sim: Sim) -> None:
    sim.ecs.update_service(cluster="default", service="web", desiredCount=10)
    sim.aas.register_scalable_target(**T, MinCapacity=3, MaxCapacity=20)
    out = tt_policy(sim, ScaleInCooldown=300, ScaleOutCooldown=0)
    arn, high, low = out["PolicyARN"], alarm(out, "High"), alarm(out, "Low")
    sim.fire(arn, low, [20.0])  # 10 × 0.4 = 4
    assert sim.desired() == 4
    sim.advance(60)
    sim.fire(arn, low, [10.0])  # blocked by the scale-in cooldown
    assert sim.desired() == 4
    sim.fire(arn, high, [100.0])  # scale-out goes ahead during a scale-in cooldown
    assert sim.desired() == 8
    sim.advance(301)
    sim.fire(arn, low, [5.0])  # 8 × 0.1 = 0.8 → 1, min 3
    assert sim.desired() == 3


def test_several_policies_scale_in_only_when_all_agree(sim: Sim) -> None:
    sim.ecs.update_service(cluster="default", service="web", desiredCount=10)
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    cpu = tt_policy(sim, "cpu", ScaleInCooldown=0, ScaleOutCooldown=0)
    mem = tt_policy(sim, "mem", kind="ECSServiceAverageMemoryUtilization",
                    ScaleInCooldown=0, ScaleOutCooldown=0)
    # a policy that never scales in does not hold the others back
    tt_policy(sim, "steady", kind="ECSServiceAverageMemoryUtilization", target=90.0,
              DisableScaleIn=True)
    sim.fire(cpu["PolicyARN"], alarm(cpu, "Low"), [20.0])  # cpu wants 4, mem has not said
    assert sim.desired() == 10
    sim.advance(60)
    sim.fire(mem["PolicyARN"], alarm(mem, "Low"), [30.0])  # mem wants 6, cpu said 4
    assert sim.desired() == 6  # the larger of the two
    # scale out on one policy's word
    sim.fire(mem["PolicyARN"], alarm(mem, "High"), [100.0])
    assert sim.desired() == 12
    # an old agreement does not count
    sim.fire(cpu["PolicyARN"], alarm(cpu, "Low"), [20.0])
    sim.advance(600)
    sim.fire(mem["PolicyARN"], alarm(mem, "Low"), [20.0])
    assert sim.desired() == 12


def test_suspended_dynamic_scaling(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20, SuspendedState={
        "DynamicScalingOutSuspended": True})
    out = tt_policy(sim, ScaleInCooldown=0, ScaleOutCooldown=0)
    arn = out["PolicyARN"]
    sim.fire(arn, alarm(out, "High"), [100.0])
    assert sim.desired() == 2
    sim.aas.register_scalable_target(**T, SuspendedState={
        "DynamicScalingOutSuspended": False, "DynamicScalingInSuspended": True})
    sim.fire(arn, alarm(out, "High"), [100.0])
    assert sim.desired() == 4
    sim.fire(arn, alarm(out, "Low"), [10.0])
    assert sim.desired() == 4
    assert len(sim.activities()) == 1


def test_unknown_policies_and_ok_states_change_nothing(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    out = tt_policy(sim)
    sim.fire(out["PolicyARN"].replace("policyName/cpu", "policyName/gone"), "x", [100.0])
    firing = AlarmFiring("a", "arn", "OK", 50.0, "GreaterThanThreshold", [100.0],
                         sim.clock.now())
    sim.run(sim.svc.on_alarm_action(out["PolicyARN"], firing))
    assert sim.desired() == 2


# -- step scaling --------------------------------------------------------------------------


def step_policy(sim: Sim, name: str, **config: Any) -> str:
    arn: str = sim.aas.put_scaling_policy(**T, PolicyName=name, PolicyType="StepScaling",
                                          StepScalingPolicyConfiguration=config)["PolicyARN"]
    return arn


def test_step_scaling_steps_are_relative_to_the_alarm_threshold(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    arn = step_policy(sim, "out", AdjustmentType="ChangeInCapacity", Cooldown=0,
                      StepAdjustments=[
                          {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10,
                           "ScalingAdjustment": 1},
                          {"MetricIntervalLowerBound": 10, "MetricIntervalUpperBound": 20,
                           "ScalingAdjustment": 2},
                          {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 4}])
    sim.fire(arn, "cpu-high", [72.0, 76.0, 86.0], threshold=70.0)  # avg 78 → +1
    assert sim.desired() == 3
    sim.fire(arn, "cpu-high", [80.0, 80.0, 80.0], threshold=70.0)  # 10 exactly → +2
    assert sim.desired() == 5
    sim.fire(arn, "cpu-high", [95.0], threshold=70.0)  # +4
    assert sim.desired() == 9
    [act, *_] = sim.activities()
    assert act["Cause"] == "monitor alarm cpu-high in state ALARM triggered policy out"


def test_step_aggregation_percent_and_min_magnitude(sim: Sim) -> None:
    sim.ecs.update_service(cluster="default", service="web", desiredCount=4)
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    arn = step_policy(sim, "pct", AdjustmentType="PercentChangeInCapacity",
                      MinAdjustmentMagnitude=2, MetricAggregationType="Maximum", Cooldown=0,
                      StepAdjustments=[
                          {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20,
                           "ScalingAdjustment": 25},
                          {"MetricIntervalLowerBound": 20, "ScalingAdjustment": 100}])
    sim.fire(arn, "a", [60.0, 75.0, 65.0], threshold=70.0)  # max 75 → 25% of 4 = 1 → 2
    assert sim.desired() == 6
    sim.fire(arn, "a", [50.0, 95.0], threshold=70.0)  # max 95 → +100%
    assert sim.desired() == 12
    down = step_policy(sim, "in", AdjustmentType="ExactCapacity", Cooldown=0,
                       MetricAggregationType="Minimum",
                       StepAdjustments=[{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 2}])
    sim.fire(down, "b", [10.0, 30.0], threshold=25.0, op="LessThanThreshold")
    assert sim.desired() == 2


def test_step_cooldown(sim: Sim) -> None:
    sim.ecs.update_service(cluster="default", service="web", desiredCount=10)
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    up = step_policy(sim, "up", AdjustmentType="ChangeInCapacity", Cooldown=120,
                     StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}])
    down = step_policy(sim, "down", AdjustmentType="ChangeInCapacity", Cooldown=120,
                       StepAdjustments=[{"MetricIntervalUpperBound": 0,
                                         "ScalingAdjustment": -3}])
    sim.fire(down, "low", [10.0], threshold=20.0, op="LessThanThreshold")
    assert sim.desired() == 7
    sim.advance(60)
    sim.fire(down, "low", [10.0], threshold=20.0, op="LessThanThreshold")
    assert sim.desired() == 7  # scale-in cooldown
    sim.fire(up, "high", [90.0], threshold=70.0)
    assert sim.desired() == 9  # scale-out is not held back
    sim.advance(60)
    sim.fire(up, "high", [90.0], threshold=70.0)
    assert sim.desired() == 9  # same +2 from 7 within the scale-out cooldown
    sim.advance(61)
    sim.fire(up, "high", [90.0], threshold=70.0)
    assert sim.desired() == 11


# -- scheduled actions ---------------------------------------------------------------------


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def test_cron_in_a_time_zone_across_a_dst_change(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    # 09:00 in Paris: 08:00 UTC on the 28th (CET), 07:00 UTC on the 29th (CEST)
    sim.aas.put_scheduled_action(**T, ScheduledActionName="morning",
                                 Schedule="cron(0 9 * * ? *)", Timezone="Europe/Paris",
                                 ScalableTargetAction={"MinCapacity": 5})
    sim.aas.put_scheduled_action(**T, ScheduledActionName="evening",
                                 Schedule="cron(0 18 * * ? *)", Timezone="Europe/Paris",
                                 ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 3})
    sim.advance_to(utc(2026, 3, 28, 7, 59))
    assert sim.desired() == 2
    sim.advance_to(utc(2026, 3, 28, 8, 0, 30))
    assert sim.desired() == 5
    acts = sim.activities()
    # the evening action already ran on the 27th (max 3): a minimum above the maximum
    # raises the maximum with it
    assert acts[1]["Description"] == "Setting min capacity to 5 and max capacity to 5"
    assert acts[1]["Cause"] == "scheduled action name morning was triggered"
    assert acts[1]["StatusMessage"] == "Successfully set min capacity to 5 and max capacity to 5"
    assert acts[0]["Description"] == "Setting desired count to 5."
    sim.advance_to(utc(2026, 3, 28, 17, 0, 30))  # 18:00 CET: max 3 → scale in to 3
    assert sim.desired() == 3
    [t] = sim.aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"]) == (1, 3)
    sim.advance_to(utc(2026, 3, 29, 6, 59, 30))
    assert sim.desired() == 3  # not at 08:00 UTC's hour minus one yet
    sim.advance_to(utc(2026, 3, 29, 7, 0, 30))  # 09:00 CEST
    assert sim.desired() == 5


def test_at_rate_start_end_and_suspension(sim: Sim) -> None:
    sim.aas.register_scalable_target(**T, MinCapacity=1, MaxCapacity=20)
    sim.aas.put_scheduled_action(**T, ScheduledActionName="once",
                                 Schedule="at(2026-03-27T13:30:00)", Timezone="Europe/Paris",
                                 ScalableTargetAction={"MinCapacity": 4})
    sim.advance_to(utc(2026, 3, 27, 12, 29))
    assert sim.desired() == 2
    sim.advance_to(utc(2026, 3, 27, 12, 31))
    assert sim.desired() == 4
    sim.aas.delete_scheduled_action(**T, ScheduledActionName="once")
    # every 10 minutes, from 13:00 to 13:25: fires at 13:00, 13:10, 13:20
    sim.aas.put_scheduled_action(**T, ScheduledActionName="tick", Schedule="rate(10 minutes)",
                                 StartTime=utc(2026, 3, 27, 13), EndTime=utc(2026, 3, 27, 13, 25),
                                 ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 6})
    sim.advance_to(utc(2026, 3, 27, 14))
    fired = [a for a in sim.activities() if a["Cause"].startswith("scheduled action name tick")
             and a["Description"].startswith("Setting min")]
    assert len(fired) == 3
    sim.aas.register_scalable_target(**T, SuspendedState={"ScheduledScalingSuspended": True})
    sim.aas.put_scheduled_action(**T, ScheduledActionName="big", Schedule="rate(1 minute)",
                                 ScalableTargetAction={"MinCapacity": 8, "MaxCapacity": 8})
    sim.advance(130)
    assert sim.desired() == 4
    [t] = sim.aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    assert t["MaxCapacity"] == 6
    sim.aas.register_scalable_target(**T, SuspendedState={"ScheduledScalingSuspended": False})
    sim.advance(60)
    assert sim.desired() == 8
