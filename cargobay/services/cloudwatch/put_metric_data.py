"""PutMetricData: checked as CloudWatch checks it, then added to the metric index.

CloudWatch's rules (API Reference, "PutMetricData"; User Guide, "Publishing custom
metrics"): at most 1,000 datums; Value, Values (with Counts of the same length, at most
150) and StatisticValues are mutually exclusive and one is required; values are finite
and either 0 or between 8.515920e-109 and 1.174271e+108 in magnitude; StorageResolution
is 1 or 60; a timestamp may be up to two weeks in the past and two hours in the future;
a namespace may not start with ``AWS/`` (cargobay's own ECS metrics, published
in-process, may); dimension names are unique within a datum.
"""

from __future__ import annotations

import math
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch.base import CloudWatchBase, scope
from cargobay.services.cloudwatch.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
    invalid_value,
)
from cargobay.services.cloudwatch.series import MetricKey, Sample, metric_key

MAX_DATUMS = 1000
MAX_VALUES = 150
TINY = 8.515920e-109
HUGE = 1.174271e108
PAST = 14 * 86400.0
FUTURE = 2 * 3600.0


def _check_number(value: float, name: str) -> float:
    if not math.isfinite(value) or (value != 0 and not TINY <= abs(value) <= HUGE):
        raise invalid_value(value, name)
    return value


class PutMetricDataOps(CloudWatchBase):
    def put_metric_data(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        namespace: str = req["Namespace"]
        if namespace.startswith("AWS/") and ctx.protocol != "internal":
            raise InvalidParameterValue(
                f"The value {namespace} for parameter Namespace is invalid.")
        datums = req.get("MetricData") or []
        if not datums:
            raise MissingParameter("The parameter MetricData is required.")
        if len(datums) > MAX_DATUMS:
            raise InvalidParameterValue(
                f"The collection MetricData must not have a size greater than {MAX_DATUMS}.")
        now = self.clock.now()
        where = scope(ctx)
        batch: dict[MetricKey, list[Sample]] = {}
        for i, d in enumerate(datums, 1):
            sample = self._sample(d, f"MetricData.member.{i}", now)
            key = metric_key(where, namespace, d["MetricName"], d.get("Dimensions") or [])
            batch.setdefault(key, []).append(sample)
        self.index.put(batch, now)
        return {}

    def _sample(self, d: dict[str, Any], path: str, now: float) -> Sample:
        dims = d.get("Dimensions") or []
        names = [x["Name"] for x in dims]
        if len(set(names)) != len(names):
            raise InvalidParameterValue(
                f"No metric may have duplicate dimension names. ({path}.Dimensions)")
        ts = float(d.get("Timestamp", now))
        if ts < now - PAST:
            raise InvalidParameterValue(
                f"The parameter {path}.Timestamp must specify a time no more than "
                "two weeks in the past.")
        if ts > now + FUTURE:
            raise InvalidParameterValue(
                f"The parameter {path}.Timestamp must specify a time no more than "
                "two hours in the future.")
        resolution = d.get("StorageResolution", 60)
        if resolution not in (1, 60):
            raise invalid_value(resolution, f"{path}.StorageResolution")
        ts -= ts % (1.0 if resolution == 1 else 60.0)
        unit = d.get("Unit") or "None"
        given = [k for k in ("Value", "Values", "StatisticValues") if k in d]
        if len(given) > 1:
            raise InvalidParameterCombination(
                f"The parameters {path}.{given[0]} and {path}.{given[1]} are mutually "
                "exclusive and you have specified both.")
        if not given:
            raise MissingParameter(
                f"At least one of the parameters {path}.Value, {path}.StatisticValues "
                f"or {path}.Values must be specified.")
        if "Counts" in d and "Values" not in d:
            raise InvalidParameterCombination(
                f"The parameter {path}.Counts requires {path}.Values.")
        if "Value" in d:
            v = _check_number(d["Value"], f"{path}.Value")
            return [ts, unit, 1.0, v, v, v, [[v, 1.0]]]
        if "Values" in d:
            return self._values_sample(d, path, ts, unit)
        sv = d["StatisticValues"]
        count = sv["SampleCount"]
        if not math.isfinite(count) or count <= 0:
            raise invalid_value(count, f"{path}.StatisticValues.SampleCount")
        for k in ("Sum", "Minimum", "Maximum"):
            _check_number(sv[k], f"{path}.StatisticValues.{k}")
        if sv["Minimum"] > sv["Maximum"]:
            raise InvalidParameterValue(
                f"The parameter {path}.StatisticValues.Maximum must be greater than "
                f"{path}.StatisticValues.Minimum.")
        return [ts, unit, float(count), sv["Sum"], sv["Minimum"], sv["Maximum"], None]

    @staticmethod
    def _values_sample(d: dict[str, Any], path: str, ts: float, unit: str) -> Sample:
        values: list[float] = d["Values"]
        counts: list[float] = d.get("Counts") or [1.0] * len(values)
        if not values:
            raise MissingParameter(f"The parameter {path}.Values must not be empty.")
        if len(values) > MAX_VALUES:
            raise InvalidParameterValue(
                f"The collection {path}.Values must not have a size greater than "
                f"{MAX_VALUES}.")
        if len(counts) != len(values):
            raise InvalidParameterValue(
                f"The parameters {path}.Values and {path}.Counts must be of the same size.")
        pairs: list[list[float]] = []
        for j, (v, c) in enumerate(zip(values, counts, strict=True), 1):
            _check_number(v, f"{path}.Values.member.{j}")
            if not math.isfinite(c) or c < 0:
                raise invalid_value(c, f"{path}.Counts.member.{j}")
            if c > 0:
                pairs.append([v, float(c)])
        if not pairs:
            raise InvalidParameterValue(f"The parameter {path}.Counts must not be all zero.")
        count = sum(c for _, c in pairs)
        total = sum(v * c for v, c in pairs)
        return [ts, unit, count, total, min(v for v, _ in pairs),
                max(v for v, _ in pairs), pairs]
