"""PutScalingPolicy, DescribePolicies, DeletePolicy, ExecutePolicy, and the CloudWatch
alarm actions that run them (cargobay/services/alarm_actions.py).

SimpleScaling and StepScaling policies only; TargetTrackingScaling and
PredictiveScaling are refused (ValidationError).  A simple policy waits out its
Cooldown (else the group's DefaultCooldown) after the group's last scaling change; a
step policy does not (EstimatedInstanceWarmup is stored, not used).  The change is
SetDesiredCapacity's, with the Cause AWS writes ("At T a monitor alarm A in state ALARM
triggered policy P changing the desired capacity from 1 to 2.").
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.autoscaling import adjustments, names
from cargobay.services.autoscaling.base import Doc, group_key
from cargobay.services.autoscaling.errors import (
    AsgValidationError,
    ScalingActivityInProgress,
)
from cargobay.services.autoscaling.groups import DELETING, GroupOps
from cargobay.services.autoscaling.launch_configs import page_size, page_start

log = logging.getLogger("cargobay.autoscaling")

POLICIES = names.POLICIES
POLICY_ARNS = names.POLICY_ARNS
SERVED_TYPES = ("SimpleScaling", "StepScaling")
ADJUSTMENT_TYPES = ("ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity")
AGGREGATIONS = ("Average", "Minimum", "Maximum")


def _policy_key(group: Doc, policy_name: str) -> str:
    return group_key(group) + "/" + policy_name


def _check(req: dict[str, Any], kind: str) -> None:
    if kind not in SERVED_TYPES:
        raise AsgValidationError(
            f"PolicyType {kind} is not supported by cargobay (SimpleScaling, StepScaling).")
    adj = req.get("AdjustmentType")
    if not adj:
        raise AsgValidationError("AdjustmentType is required for simple and step policies.")
    if adj not in ADJUSTMENT_TYPES:
        raise AsgValidationError(f"Invalid adjustment type {adj}.")
    if req.get("MinAdjustmentMagnitude") is not None and adj != "PercentChangeInCapacity":
        raise AsgValidationError(
            "MinAdjustmentMagnitude may only be specified with PercentChangeInCapacity.")
    if kind == "SimpleScaling":
        if req.get("ScalingAdjustment") is None:
            raise AsgValidationError("ScalingAdjustment is required for SimpleScaling.")
        if req.get("StepAdjustments"):
            raise AsgValidationError("StepAdjustments are not allowed for SimpleScaling.")
        return
    steps = req.get("StepAdjustments") or []
    if not steps:
        raise AsgValidationError("StepAdjustments is required for StepScaling.")
    if req.get("ScalingAdjustment") is not None or req.get("Cooldown") is not None:
        raise AsgValidationError(
            "ScalingAdjustment and Cooldown are not allowed for StepScaling.")
    agg = req.get("MetricAggregationType")
    if agg is not None and agg not in AGGREGATIONS:
        raise AsgValidationError(f"Invalid metric aggregation type {agg}.")
    for s in steps:
        lo, hi = s.get("MetricIntervalLowerBound"), s.get("MetricIntervalUpperBound")
        if lo is None and hi is None and len(steps) > 1:
            raise AsgValidationError("Only one step adjustment may be unbounded at both ends.")
        if lo is not None and hi is not None and lo >= hi:
            raise AsgValidationError(
                "The upper bound of a step adjustment must be greater than its lower bound.")


def _view(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


class PolicyOps(GroupOps):
    def put_scaling_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        group = self.group(ctx, req["AutoScalingGroupName"])
        kind = req.get("PolicyType") or "SimpleScaling"
        _check(req, kind)
        name: str = req["PolicyName"]
        key = _policy_key(group, name)
        old = self.store.get(POLICIES, key)
        arn = old["PolicyARN"] if old else (
            f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:scalingPolicy:{uuid.uuid4()}:"
            f"autoScalingGroupName/{group['AutoScalingGroupName']}:policyName/{name}")
        doc: Doc = {
            "AutoScalingGroupName": group["AutoScalingGroupName"], "PolicyName": name,
            "PolicyARN": arn, "PolicyType": kind, "AdjustmentType": req["AdjustmentType"],
            "Alarms": [], "Enabled": req.get("Enabled", True) is not False,
        }
        for member in ("MinAdjustmentMagnitude", "ScalingAdjustment", "Cooldown",
                       "StepAdjustments", "EstimatedInstanceWarmup", "MinAdjustmentStep"):
            if req.get(member) is not None:
                doc[member] = req[member]
        if kind == "StepScaling":
            doc["MetricAggregationType"] = req.get("MetricAggregationType") or "Average"
        with self.store.batch():
            self.store.put(POLICIES, key, doc)
            self.store.put(POLICY_ARNS, arn, {"key": key, "group": group_key(group)})
        return {"PolicyARN": arn, "Alarms": []}

    def describe_policies(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        size = page_size(req)
        prefix = names.ctx_scope(ctx)
        if req.get("AutoScalingGroupName"):
            prefix = group_key(self.group(ctx, req["AutoScalingGroupName"])) + "/"
        after = page_start(req, prefix)
        wanted = set(req.get("PolicyNames") or [])
        types = set(req.get("PolicyTypes") or [])
        out: list[Doc] = []
        token = None
        last = ""
        for key, doc in self.store.scan(POLICIES, prefix, after):
            if wanted and doc["PolicyName"] not in wanted and doc["PolicyARN"] not in wanted:
                continue
            if types and doc["PolicyType"] not in types:
                continue
            if len(out) == size:
                token = names.encode_token(last)
                break
            out.append(_view(doc))
            last = key
        result: dict[str, Any] = {"ScalingPolicies": out}
        if token:
            result["NextToken"] = token
        return result

    def _policy(self, ctx: RequestContext, req: dict[str, Any]) -> tuple[str, Doc]:
        name: str = req["PolicyName"]
        if name.startswith("arn:"):
            link = self.store.get(POLICY_ARNS, name)
            doc = self.store.get(POLICIES, link["key"]) if link else None
            if link is None or doc is None:
                raise AsgValidationError(f"Policy {name} not found.")
            return str(link["key"]), doc
        if not req.get("AutoScalingGroupName"):
            raise AsgValidationError(
                "AutoScalingGroupName is required when PolicyName is not an ARN.")
        group = self.group(ctx, req["AutoScalingGroupName"])
        key = _policy_key(group, name)
        doc = self.store.get(POLICIES, key)
        if doc is None:
            raise AsgValidationError(f"Policy {name} not found.")
        return key, doc

    def delete_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        key, doc = self._policy(ctx, req)
        with self.store.batch():
            self.store.delete(POLICIES, key)
            self.store.delete(POLICY_ARNS, doc["PolicyARN"])
        return {}

    def execute_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        _, policy = self._policy(ctx, req)
        group = self.group(ctx, policy["AutoScalingGroupName"])
        if policy["PolicyType"] == "StepScaling" and (
                req.get("MetricValue") is None or req.get("BreachThreshold") is None):
            raise AsgValidationError(
                "MetricValue and BreachThreshold are required for a step scaling policy.")
        honor = req.get("HonorCooldown") is True
        if honor and policy["PolicyType"] == "SimpleScaling" and self._in_cooldown(
                group, policy):
            raise ScalingActivityInProgress(
                "Scaling activity is in progress or the cooldown period has not elapsed.")
        self._run_policy(group, policy, req.get("MetricValue"), req.get("BreachThreshold"),
                         "a user request executed policy " + policy["PolicyName"])
        return {}

    async def on_alarm_action(self, action_arn: str, firing: AlarmFiring) -> None:
        """Run the policy an alarm action names (see alarm_actions.py); never raises."""
        try:
            link = self.store.get(POLICY_ARNS, action_arn)
            policy = self.store.get(POLICIES, link["key"]) if link else None
            if policy is None or firing.state != "ALARM" or not policy.get("Enabled", True):
                if policy is None:
                    log.info("alarm %s names unknown policy %s", firing.alarm_name, action_arn)
                return
            group = self.store.get(names.GROUPS, str(link["group"])) if link else None
            if group is None:
                return
            if policy["PolicyType"] == "SimpleScaling" and self._in_cooldown(group, policy):
                return
            value = adjustments.aggregate(firing.values, policy.get("MetricAggregationType"))
            self._run_policy(group, policy, value, firing.threshold,
                             f"a monitor alarm {firing.alarm_name} in state ALARM triggered "
                             f"policy {policy['PolicyName']}")
        except Exception:
            log.exception("scaling policy %s failed", action_arn)

    def _in_cooldown(self, group: Doc, policy: Doc) -> bool:
        last = group.get("_lastScale")
        cooldown = policy.get("Cooldown")
        if cooldown is None:
            cooldown = group.get("DefaultCooldown", 300)
        return last is not None and self.clock.now() - float(last) < float(cooldown)

    def _run_policy(self, group: Doc, policy: Doc, value: float | None,
                    threshold: float | None, why: str) -> None:
        if group.get("Status") == DELETING:
            return
        if policy["PolicyType"] == "StepScaling":
            if value is None or threshold is None:
                return
            step = adjustments.step_for(policy.get("StepAdjustments") or [], value, threshold)
            if step is None:
                return
            adjustment = int(step["ScalingAdjustment"])
        else:
            adjustment = int(policy["ScalingAdjustment"])
        before = int(group["DesiredCapacity"])
        after = adjustments.new_capacity(policy, adjustment, before, int(group["MinSize"]),
                                         int(group["MaxSize"]))
        if after == before:
            return
        group["DesiredCapacity"] = after
        group["_lastScale"] = self.clock.now()
        self.add_cause(group, f"{why} changing the desired capacity from {before} to {after}.")
        self.save_group(group)
        self.poke()
