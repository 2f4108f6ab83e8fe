"""PutScalingPolicy, DescribeScalingPolicies, DeleteScalingPolicy.

Target tracking policies create (and, when changed or deleted, change or delete) their
two CloudWatch alarms through the CloudWatch API in-process (tt_alarms.py); step scaling
policies are invoked by alarms the user makes with the policy ARN as an AlarmAction.
Updating a policy keeps its ARN and its alarms' names.
"""

from __future__ import annotations

import itertools
import math
import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.application_autoscaling import names, tt_alarms
from cargobay.services.application_autoscaling.base import AasBase
from cargobay.services.application_autoscaling.errors import (
    LimitExceededException,
    ObjectNotFoundException,
    ValidationException,
)
from cargobay.services.application_autoscaling.names import TargetRef
from cargobay.services.application_autoscaling.paging import page_of_targets

Doc = dict[str, Any]
MAX_POLICIES = 50
MAX_STEPS = 20
MAX_ALARM_PAGES = 20
_PUBLIC = ("PolicyARN", "PolicyName", "ServiceNamespace", "ResourceId", "ScalableDimension",
           "PolicyType", "StepScalingPolicyConfiguration",
           "TargetTrackingScalingPolicyConfiguration", "Alarms", "CreationTime")


def view(doc: Doc) -> Doc:
    return {k: doc[k] for k in _PUBLIC if k in doc}


def check_step_config(config: Doc | None) -> None:
    if config is None:
        raise ValidationException(
            "StepScalingPolicyConfiguration is required for a StepScaling policy")
    if not config.get("AdjustmentType"):
        raise ValidationException("AdjustmentType is required for a StepScaling policy")
    steps = config.get("StepAdjustments") or []
    if not steps:
        raise ValidationException("StepAdjustments must have at least one step adjustment")
    if len(steps) > MAX_STEPS:
        raise LimitExceededException(
            f"A step scaling policy can have at most {MAX_STEPS} step adjustments")
    if (config.get("MinAdjustmentMagnitude") is not None
            and config["AdjustmentType"] != "PercentChangeInCapacity"):
        raise ValidationException(
            "MinAdjustmentMagnitude is only supported with PercentChangeInCapacity")
    if config.get("MinAdjustmentMagnitude") is not None and config["MinAdjustmentMagnitude"] < 1:
        raise ValidationException("MinAdjustmentMagnitude must be greater than 0")
    intervals: list[tuple[float, float]] = []
    for s in steps:
        lo = s.get("MetricIntervalLowerBound")
        hi = s.get("MetricIntervalUpperBound")
        if lo is None and hi is None and len(steps) > 1:
            raise ValidationException(
                "Step adjustments with both bounds null must be the only step adjustment")
        lo_f = -math.inf if lo is None else float(lo)
        hi_f = math.inf if hi is None else float(hi)
        if lo_f >= hi_f:
            raise ValidationException(
                "The lower bound of a step adjustment must be less than its upper bound")
        intervals.append((lo_f, hi_f))
    intervals.sort()
    for (_, hi_a), (lo_b, _) in itertools.pairwise(intervals):
        if hi_a > lo_b:
            raise ValidationException("Step adjustment intervals cannot overlap")
        if hi_a < lo_b:
            raise ValidationException("Step adjustment intervals cannot have gaps")


class PolicyOps(AasBase):
    async def put_scaling_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = TargetRef.of(ctx, req)
        self.require_target(ref)
        name = req["PolicyName"]
        key = ref.child_key(name)
        old = self.store.get(names.POLICIES, key)
        kind = req.get("PolicyType") or (old or {}).get("PolicyType")
        if kind is None:
            raise ValidationException("PolicyType is required when creating a scaling policy")
        if kind == "PredictiveScaling":
            raise ValidationException("cargobay does not support PredictiveScaling policies")
        if old is None and self.store.count(names.POLICIES, ref.child_prefix) >= MAX_POLICIES:
            raise LimitExceededException(
                f"Maximum number of scaling policies ({MAX_POLICIES}) reached for this "
                "scalable target")
        ident = old["_id"] if old else str(uuid.uuid4())
        arn = names.policy_arn(ref, ident, name)
        doc: Doc = {
            "PolicyARN": arn, "PolicyName": name, "ServiceNamespace": ref.namespace,
            "ResourceId": ref.resource_id, "ScalableDimension": ref.dimension,
            "PolicyType": kind, "CreationTime": old["CreationTime"] if old else self.clock.now(),
            "_id": ident,
        }
        old_alarms: list[Doc] = list((old or {}).get("Alarms", []))
        out: Doc = {"PolicyARN": arn}
        if kind == "TargetTrackingScaling":
            config = req.get("TargetTrackingScalingPolicyConfiguration")
            if config is None or req.get("StepScalingPolicyConfiguration") is not None:
                raise ValidationException(
                    "TargetTrackingScalingPolicyConfiguration is required for a "
                    "TargetTrackingScaling policy")
            tt_alarms.check_config(config)
            pair = tt_alarms.alarm_names(ref, bool(config.get("DisableScaleIn")), old_alarms)
            created: list[str] = []
            try:
                for alarm in tt_alarms.alarm_requests(ref, arn, config, pair):
                    await self.app.dispatcher.call(
                        "cloudwatch", "PutMetricAlarm", alarm,
                        region=ref.region, account_id=ref.account)
                    created.append(alarm["AlarmName"])
            except Exception as e:
                await self.delete_alarms(
                    ref, [n for n in created if n not in {a["AlarmName"] for a in old_alarms}])
                if isinstance(e, AwsError) and e.status < 500:
                    # CloudWatch refused the alarm (a customized metric it cannot take)
                    raise ValidationException(
                        f"Failed to create the alarms of the policy: {e.message}") from None
                raise
            alarms = [{"AlarmName": n, "AlarmARN": tt_alarms.alarm_arn(ref, n)} for n in created]
            doc["TargetTrackingScalingPolicyConfiguration"] = config
            doc["Alarms"] = alarms
            out["Alarms"] = alarms
            await self.delete_alarms(
                ref, [a["AlarmName"] for a in old_alarms if a["AlarmName"] not in created])
        else:
            config = req.get("StepScalingPolicyConfiguration")
            if req.get("TargetTrackingScalingPolicyConfiguration") is not None:
                raise ValidationException(
                    "TargetTrackingScalingPolicyConfiguration is not supported for a "
                    "StepScaling policy")
            check_step_config(config)
            doc["StepScalingPolicyConfiguration"] = config
            await self.delete_alarms(ref, [a["AlarmName"] for a in old_alarms])
        with self.store.batch():
            self.store.put(names.POLICIES, key, doc)
            self.store.put(names.POLICY_ARNS, arn, {"key": key})
        return out

    async def describe_scaling_policies(self, ctx: RequestContext, req: Doc) -> Doc:
        wanted = set(req.get("PolicyNames") or []) or None
        if wanted is not None and len(wanted) > 50:
            raise ValidationException("PolicyNames can have at most 50 items")
        items, token = page_of_targets(self.store, names.POLICIES, ctx, req, "PolicyName",
                                       wanted, view)
        for item in items:
            if item["PolicyType"] == "StepScaling":
                item["Alarms"] = await self._user_alarms(ctx, item["PolicyARN"])
        out: Doc = {"ScalingPolicies": items}
        if token:
            out["NextToken"] = token
        return out

    async def _user_alarms(self, ctx: RequestContext, arn: str) -> list[Doc]:
        """The CloudWatch alarms whose actions name a step scaling policy."""
        found: list[Doc] = []
        token: str | None = None
        for _ in range(MAX_ALARM_PAGES):
            params: Doc = {"ActionPrefix": arn}
            if token:
                params["NextToken"] = token
            try:
                out = await self.app.dispatcher.call(
                    "cloudwatch", "DescribeAlarms", params,
                    region=ctx.region, account_id=ctx.account_id)
            except AwsError:
                return found
            found += [{"AlarmName": a["AlarmName"], "AlarmARN": a["AlarmArn"]}
                      for a in out.get("MetricAlarms", [])]
            token = out.get("NextToken")
            if not token:
                break
        return found

    async def delete_scaling_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = TargetRef.of(ctx, req)
        doc = self.store.get(names.POLICIES, ref.child_key(req["PolicyName"]))
        if doc is None:
            raise ObjectNotFoundException(
                f"No scaling policy found for service namespace: {ref.namespace}, "
                f"resource ID: {ref.resource_id}, scalable dimension: {ref.dimension}, "
                f"policy name: {req['PolicyName']}")
        await self.drop_policy(ref, doc)
        return {}
