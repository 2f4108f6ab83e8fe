"""PutMetricAlarm's input checks (API Reference "PutMetricAlarm"; User Guide "Using
Amazon CloudWatch alarms"): a metric (MetricName, Namespace, Statistic or
ExtendedStatistic, Period) or a Metrics list (at most 10 metrics, exactly one query
returning data), never both; Period 10, 20, 30 or a multiple of 60; EvaluationPeriods ×
Period at most one day; DatapointsToAlarm at most EvaluationPeriods; a Threshold with
one of the four static comparison operators; TreatMissingData one of missing, ignore,
breaching, notBreaching; actions with ARNs of services alarms may act on."""

from __future__ import annotations

import math
from typing import Any

from cargobay.services.cloudwatch.errors import InvalidParameterCombination, ValidationError
from cargobay.services.cloudwatch.evaluation import TREATMENTS
from cargobay.services.cloudwatch.metric_data import (
    check_expressions,
    check_queries,
    query_period,
)
from cargobay.services.cloudwatch.reason import WORDS
from cargobay.services.cloudwatch.stats import percentile_of

ALARM_PERIODS = (10, 20, 30)
MAX_METRICS = 10
ACTION_PREFIXES = ("arn:aws:sns:", "arn:aws:autoscaling:", "arn:aws:automate:",
                   "arn:aws:swf:", "arn:aws:ssm:", "arn:aws:ssm-incidents:",
                   "arn:aws:lambda:")
METRIC_FIELDS = ("MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                 "Dimensions", "Period", "Unit")


def alarm_period(req: dict[str, Any]) -> int:
    if "Metrics" in req:
        metrics = req["Metrics"]
        ret = [q for q in metrics if q.get("ReturnData", True)]
        return query_period(ret[0], metrics) if ret else 60
    return int(req["Period"])


def check_alarm(req: dict[str, Any]) -> None:
    metrics = req.get("Metrics")
    if metrics is not None:
        both = [f for f in METRIC_FIELDS if f in req]
        if both:
            raise InvalidParameterCombination(
                f"The parameters Metrics and {both[0]} are mutually exclusive and you "
                "have specified both.")
        if not metrics:
            raise ValidationError("The parameter Metrics must not be empty.")
        check_queries(metrics, "Metrics")
        check_expressions(metrics)
        stats = [q for q in metrics if "MetricStat" in q]
        if len(stats) > MAX_METRICS:
            raise ValidationError(
                f"An alarm can include at most {MAX_METRICS} metrics in Metrics.")
        if sum(1 for q in metrics if q.get("ReturnData", True)) != 1:
            raise ValidationError(
                "Exactly one element of the metrics list should return data.")
    else:
        for f in ("MetricName", "Namespace", "Period"):
            if f not in req:
                raise ValidationError(f"The parameter {f} is required.")
        if ("Statistic" in req) == ("ExtendedStatistic" in req):
            raise InvalidParameterCombination(
                "Exactly one of the parameters Statistic and ExtendedStatistic must be "
                "specified.")
        ext = req.get("ExtendedStatistic")
        if ext is not None and percentile_of(ext) is None:
            raise ValidationError(
                f"The value {ext} for parameter ExtendedStatistic is invalid.")
    period = alarm_period(req)
    if not (period in ALARM_PERIODS or (period >= 60 and period % 60 == 0)):
        raise ValidationError("Period must be 10, 20, 30 or a multiple of 60.")
    n = req["EvaluationPeriods"]
    if n * period > 86400:
        raise ValidationError(
            "Metrics cannot be checked across more than a day (EvaluationPeriods * Period "
            "must be <= 86400).")
    if req.get("DatapointsToAlarm", n) > n:
        raise ValidationError(
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods.")
    op = req["ComparisonOperator"]
    if op not in WORDS or "ThresholdMetricId" in req:
        raise ValidationError(
            f"Comparison operator {op} needs an anomaly detection band (ThresholdMetricId), "
            "which cargobay does not provide; use a static Threshold.")
    if "Threshold" not in req:
        raise ValidationError("The parameter Threshold is required.")
    if not math.isfinite(req["Threshold"]):
        raise ValidationError(f"The value {req['Threshold']} for parameter Threshold is invalid.")
    treat = req.get("TreatMissingData", "missing")
    if treat not in TREATMENTS:
        raise ValidationError(
            f"The value {treat} for parameter TreatMissingData is invalid: must be one of "
            f"{', '.join(TREATMENTS)}.")
    low = req.get("EvaluateLowSampleCountPercentile")
    if low is not None and low not in ("evaluate", "ignore"):
        raise ValidationError(
            f"The value {low} for parameter EvaluateLowSampleCountPercentile is invalid: "
            "must be evaluate or ignore.")
    for field in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        for arn in req.get(field) or []:
            if not arn.startswith(ACTION_PREFIXES) or arn.count(":") < 5:
                raise ValidationError(f"Invalid arn syntax: {arn}")
