"""GetMetricStatistics and ListMetrics.

GetMetricStatistics follows the API Reference: Statistics or ExtendedStatistics (not
both); Period 1, 5, 10, 20, 30 or a multiple of 60; at most 1,440 datapoints; StartTime
rounded down by its age (under 15 days: to the minute; 15–63 days: to 5 minutes;
older: to the hour); and a period too fine for the age of the data returns nothing
(over 3 hours ago: a multiple of 60; over 15 days: of 300; over 63 days: of 3600).
Without Unit, data sent with different units comes back as separate datapoints, each
with its unit (API Reference).  ListMetrics lists metrics with data in the last two
weeks, 500 to a page;
RecentlyActive ``PT3H`` keeps those that received data in the last three hours.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch import paging
from cargobay.services.cloudwatch.base import CloudWatchBase, scope
from cargobay.services.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from cargobay.services.cloudwatch.series import DAY, HOUR, Series, metric_key
from cargobay.services.cloudwatch.stats import percentile_of

MAX_DATAPOINTS = 1440
LIST_PAGE = 500
HIGH_RES_PERIODS = (1, 5, 10, 20, 30)


def valid_period(period: int) -> bool:
    return period in HIGH_RES_PERIODS or (period >= 60 and period % 60 == 0)


def period_error(name: str = "Period") -> InvalidParameterValue:
    return InvalidParameterValue(
        f"The parameter {name} must be 1, 5, 10, 20, 30, or a multiple of 60.")


def round_start(start: float, period: int, now: float) -> float:
    age = now - start
    step = 60.0 if age < 15 * DAY else 300.0 if age < 63 * DAY else 3600.0
    if period < 60:
        step = float(period)
    return start - start % step


def period_too_fine(start: float, period: int, now: float) -> bool:
    age = now - start
    if age > 63 * DAY:
        return period % 3600 != 0
    if age > 15 * DAY:
        return period % 300 != 0
    if age > 3 * HOUR:
        return period % 60 != 0
    return False


class MetricReadOps(CloudWatchBase):
    def find_series(
        self, ctx: RequestContext, namespace: str, name: str, dims: list[dict[str, str]]
    ) -> Series | None:
        return self.index.series.get(metric_key(scope(ctx), namespace, name, dims))

    def get_metric_statistics(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        stats: list[str] = req.get("Statistics") or []
        ext: list[str] = req.get("ExtendedStatistics") or []
        if stats and ext:
            raise InvalidParameterCombination(
                "The parameters Statistics and ExtendedStatistics are mutually exclusive "
                "and you have specified both.")
        if not stats and not ext:
            raise MissingParameter(
                "The parameter Statistics or ExtendedStatistics must be specified.")
        for i, e in enumerate(ext, 1):
            if percentile_of(e) is None:
                raise InvalidParameterValue(
                    f"The value {e} for parameter ExtendedStatistics.member.{i} is invalid.")
        period: int = req["Period"]
        if not valid_period(period):
            raise period_error()
        start, end = float(req["StartTime"]), float(req["EndTime"])
        if start >= end:
            raise InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime.")
        now = self.clock.now()
        start = round_start(start, period, now)
        wanted = -(-int(end - start) // period)
        if wanted > MAX_DATAPOINTS:
            raise InvalidParameterCombination(
                f"You have requested up to {wanted:,} datapoints, which exceeds the limit "
                f"of {MAX_DATAPOINTS:,}. You may reduce the datapoints requested by "
                "increasing Period, or decreasing the time range.")
        out: dict[str, Any] = {"Label": req["MetricName"], "Datapoints": []}
        series = self.find_series(ctx, req["Namespace"], req["MetricName"],
                                  req.get("Dimensions") or [])
        if series is None or period_too_fine(start, period, now):
            return out
        # without Unit, each unit the data was sent with has its own datapoints
        units = [req["Unit"]] if req.get("Unit") else sorted(series.units())
        found = [(ts, agg) for u in units
                 for ts, agg in series.buckets(start, end, period, u).items()]
        for ts, agg in sorted(found, key=lambda x: (x[0], x[1].unit or "")):
            dp: dict[str, Any] = {"Timestamp": ts, "Unit": agg.unit or "None"}
            for s in stats:
                dp[s] = agg.stat(s)
            if ext:
                dp["ExtendedStatistics"] = {
                    e: v for e in ext if (v := agg.stat(e)) is not None}
            out["Datapoints"].append(dp)
        return out

    def list_metrics(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.now()
        ns, name = req.get("Namespace"), req.get("MetricName")
        filters = req.get("Dimensions") or []
        recent = req.get("RecentlyActive")
        since = now - (3 * HOUR if recent else 14 * DAY)
        after = paging.decode(req.get("NextToken"))
        found: list[tuple[str, str, list[list[str]]]] = []
        for s in self.index.in_scope(scope(ctx)):
            _, s_ns, s_name, dims = s.key
            if (ns is not None and s_ns != ns) or (name is not None and s_name != name):
                continue
            if s.last_put < since:
                continue
            have = dict(dims)
            if any(f["Name"] not in have or ("Value" in f and have[f["Name"]] != f["Value"])
                   for f in filters):
                continue
            found.append((s_ns, s_name, [list(d) for d in dims]))
        found.sort()
        if after is not None:
            if not isinstance(after, list) or len(after) != 3:
                raise InvalidNextToken()
            pos = (after[0], after[1], after[2])
            found = [f for f in found if f > pos]
        page = found[:LIST_PAGE]
        out: dict[str, Any] = {"Metrics": [
            {"Namespace": a, "MetricName": b,
             "Dimensions": [{"Name": k, "Value": v} for k, v in d]} for a, b, d in page]}
        if len(found) > LIST_PAGE:
            out["NextToken"] = paging.encode(list(page[-1]))
        return out
