"""The CloudWatch alarms a target tracking policy creates and owns.

As AWS makes them (Application Auto Scaling User Guide, "Target tracking scaling
policies"; shared/REFERENCE.md "Target tracking"):

- ``TargetTracking-<resourceId>-AlarmHigh-<uuid>``: 3 of 3 one-minute datapoints
  GreaterThanThreshold the target;
- ``TargetTracking-<resourceId>-AlarmLow-<uuid>``: 15 of 15 one-minute datapoints
  LessThanThreshold 90% of the target; none when DisableScaleIn is true.

Both have the policy ARN as their only AlarmAction and the description "DO NOT EDIT OR
DELETE. For TargetTrackingScaling policy <policy ARN>.".  Predefined ECS metrics are
AWS/ECS CPUUtilization / MemoryUtilization (Average) with dimensions ClusterName and
ServiceName; ALBRequestCountPerTarget is AWS/ApplicationELB RequestCountPerTarget (Sum)
for the TargetGroup of the ResourceLabel; a customized metric is used as given (the
Metrics[] math form becomes the alarm's Metrics with a 60 s period).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from cargobay.services.application_autoscaling.errors import ValidationException
from cargobay.services.application_autoscaling.names import TargetRef

Doc = dict[str, Any]
PERIOD = 60
HIGH_PERIODS = 3
LOW_PERIODS = 15
LOW_FRACTION = 0.9
ECS_METRICS = {
    "ECSServiceAverageCPUUtilization": "CPUUtilization",
    "ECSServiceAverageMemoryUtilization": "MemoryUtilization",
}
ALB_METRIC = "ALBRequestCountPerTarget"
_LABEL = re.compile(r"^app/[^/]+/[^/]+/(targetgroup/[^/]+/[^/]+)$")


def check_config(config: Doc) -> None:
    """ValidationException for a target tracking configuration cargobay cannot track."""
    pre = config.get("PredefinedMetricSpecification")
    custom = config.get("CustomizedMetricSpecification")
    if (pre is None) == (custom is None):
        raise ValidationException(
            "Exactly one of PredefinedMetricSpecification or CustomizedMetricSpecification "
            "must be specified")
    if pre is not None:
        kind = pre["PredefinedMetricType"]
        label = pre.get("ResourceLabel")
        if kind == ALB_METRIC:
            if not label:
                raise ValidationException(
                    "ResourceLabel must be specified for predefined metric type "
                    f"{ALB_METRIC}")
            if _LABEL.match(label) is None:
                raise ValidationException(f"Invalid ResourceLabel for {ALB_METRIC}: {label}")
        elif kind not in ECS_METRICS:
            raise ValidationException(
                f"Unsupported predefined metric type for service namespace ecs: {kind}")
        elif label is not None:
            raise ValidationException(f"ResourceLabel is not supported for {kind}")
    else:
        _check_custom(custom or {})


def _check_custom(spec: Doc) -> None:
    metrics = spec.get("Metrics")
    if metrics:
        if any(spec.get(k) for k in ("MetricName", "Namespace", "Statistic", "Dimensions")):
            raise ValidationException(
                "Metrics cannot be specified together with MetricName, Namespace, "
                "Dimensions or Statistic")
        returned = [m for m in metrics if m.get("ReturnData", True)]
        if len(returned) != 1:
            raise ValidationException(
                "Exactly one metric data query must have ReturnData set to true")
        for m in metrics:
            if (m.get("Expression") is None) == (m.get("MetricStat") is None):
                raise ValidationException(
                    f"Metric data query {m['Id']} must specify exactly one of Expression "
                    "or MetricStat")
        return
    missing = [k for k in ("MetricName", "Namespace", "Statistic") if not spec.get(k)]
    if missing:
        raise ValidationException(
            f"CustomizedMetricSpecification is missing {', '.join(missing)}")


def _metric(ref: TargetRef, config: Doc) -> Doc:
    """The metric part of PutMetricAlarm for the policy's metric."""
    pre = config.get("PredefinedMetricSpecification")
    if pre is not None:
        kind = pre["PredefinedMetricType"]
        if kind == ALB_METRIC:
            m = _LABEL.match(pre["ResourceLabel"])
            assert m is not None
            return {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCountPerTarget",
                    "Statistic": "Sum",
                    "Dimensions": [{"Name": "TargetGroup", "Value": m.group(1)}]}
        cluster, service = ref.ecs_service()
        return {"Namespace": "AWS/ECS", "MetricName": ECS_METRICS[kind], "Statistic": "Average",
                "Dimensions": [{"Name": "ClusterName", "Value": cluster},
                               {"Name": "ServiceName", "Value": service}]}
    spec = config["CustomizedMetricSpecification"]
    if spec.get("Metrics"):
        queries: list[Doc] = []
        for q in spec["Metrics"]:
            out: Doc = {"Id": q["Id"], "ReturnData": bool(q.get("ReturnData", True))}
            if q.get("Label"):
                out["Label"] = q["Label"]
            if q.get("Expression") is not None:
                out["Expression"] = q["Expression"]
                out["Period"] = PERIOD
            else:
                stat = q["MetricStat"]
                ms: Doc = {"Metric": stat["Metric"], "Period": PERIOD, "Stat": stat["Stat"]}
                if stat.get("Unit"):
                    ms["Unit"] = stat["Unit"]
                out["MetricStat"] = ms
            queries.append(out)
        return {"Metrics": queries}
    out = {"Namespace": spec["Namespace"], "MetricName": spec["MetricName"],
           "Statistic": spec["Statistic"], "Dimensions": spec.get("Dimensions") or []}
    if spec.get("Unit"):
        out["Unit"] = spec["Unit"]
    return out


def alarm_requests(ref: TargetRef, policy_arn: str, config: Doc,
                   names: tuple[str, str | None]) -> list[Doc]:
    """PutMetricAlarm inputs: the high alarm, then the low one (unless DisableScaleIn)."""
    metric = _metric(ref, config)
    target = float(config["TargetValue"])
    common: Doc = {
        "AlarmDescription": f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy "
                            f"{policy_arn}.",
        "ActionsEnabled": True,
        "AlarmActions": [policy_arn],
        **metric,
    }
    if "Metrics" not in metric:
        common["Period"] = PERIOD
    high, low = names
    out = [{**common, "AlarmName": high, "EvaluationPeriods": HIGH_PERIODS,
            "DatapointsToAlarm": HIGH_PERIODS, "Threshold": target,
            "ComparisonOperator": "GreaterThanThreshold"}]
    if low is not None:
        out.append({**common, "AlarmName": low, "EvaluationPeriods": LOW_PERIODS,
                    "DatapointsToAlarm": LOW_PERIODS, "Threshold": target * LOW_FRACTION,
                    "ComparisonOperator": "LessThanThreshold"})
    return out


def alarm_names(ref: TargetRef, disable_scale_in: bool,
                existing: list[Doc] | None = None) -> tuple[str, str | None]:
    """Names for the pair, keeping the uuids of a policy's alarms when it is updated."""
    high = low = None
    for a in existing or []:
        if "-AlarmHigh-" in a["AlarmName"]:
            high = a["AlarmName"]
        elif "-AlarmLow-" in a["AlarmName"]:
            low = a["AlarmName"]
    base = f"TargetTracking-{ref.resource_id}"
    high = high or f"{base}-AlarmHigh-{uuid.uuid4()}"
    if disable_scale_in:
        return high, None
    return high, low or f"{base}-AlarmLow-{uuid.uuid4()}"


def alarm_arn(ref: TargetRef, name: str) -> str:
    return f"arn:aws:cloudwatch:{ref.region}:{ref.account}:alarm:{name}"
