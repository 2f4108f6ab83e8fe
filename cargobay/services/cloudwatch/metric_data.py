"""GetMetricData: MetricStat queries and math expressions over them, paginated by
datapoints (MaxDatapoints, default 100,800), newest first unless ScanBy says
TimestampAscending.  :func:`run_queries` is shared with metric-math alarms."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch import paging
from cargobay.services.cloudwatch.base import CloudWatchBase, scope
from cargobay.services.cloudwatch.errors import InvalidNextToken, ValidationError
from cargobay.services.cloudwatch.metric_math import TS, Evaluator, MathError, Value
from cargobay.services.cloudwatch.metrics_read import round_start, valid_period
from cargobay.services.cloudwatch.series import MetricIndex, metric_key
from cargobay.services.cloudwatch.stats import is_statistic

DEFAULT_MAX_DATAPOINTS = 100_800
MAX_QUERIES = 500
#: the most periods an expression is evaluated over (FILL, scalars)
MAX_GRID = 1_000_000
_ID = re.compile(r"[a-z][a-zA-Z0-9_]*")


def check_queries(queries: Sequence[dict[str, Any]], what: str = "MetricDataQueries") -> None:
    seen: set[str] = set()
    for i, q in enumerate(queries, 1):
        path = f"{what}.member.{i}"
        qid = q["Id"]
        if not _ID.fullmatch(qid):
            raise ValidationError(
                f"The value {qid} for parameter {path}.Id is invalid: it must start with a "
                "lowercase letter and contain only letters, numbers and underscores.")
        if qid in seen:
            raise ValidationError(f"The values for parameter Id in {what} are not unique.")
        seen.add(qid)
        has_stat, has_expr = "MetricStat" in q, "Expression" in q
        if has_stat == has_expr:
            raise ValidationError(
                f"Exactly one of {path}.MetricStat and {path}.Expression must be specified.")
        if has_stat:
            ms = q["MetricStat"]
            if not is_statistic(ms["Stat"]):
                raise ValidationError(
                    f"The value {ms['Stat']} for parameter {path}.MetricStat.Stat is invalid.")
            if not valid_period(ms["Period"]):
                raise ValidationError(
                    f"The parameter {path}.MetricStat.Period must be 1, 5, 10, 20, 30, or a "
                    "multiple of 60.")


def check_expressions(queries: Sequence[dict[str, Any]]) -> None:
    """Parse every expression against the queries' ids (ValidationError if one does not
    parse or names an unknown id), without data."""
    ids = [q["Id"] for q in queries]
    stat_ids = [q["Id"] for q in queries if "MetricStat" in q]

    def lookup(qid: str) -> Value:
        if qid not in ids:
            raise MathError(f"Unknown metric or expression id: {qid}.")
        return {}

    for q in queries:
        if "Expression" in q:
            Evaluator(lookup, stat_ids, []).run(q["Expression"])


def query_period(q: dict[str, Any], queries: Sequence[dict[str, Any]]) -> int:
    if "MetricStat" in q:
        return int(q["MetricStat"]["Period"])
    if q.get("Period"):
        return int(q["Period"])
    for other in queries:
        if "MetricStat" in other:
            return int(other["MetricStat"]["Period"])
    return 60


def run_queries(
    index: MetricIndex, where: str, queries: Sequence[dict[str, Any]],
    start: float, end: float, now: float,
) -> dict[str, TS]:
    """Every query's series over [start, end), by Id (scalars spread over the grid)."""
    results: dict[str, Value] = {}
    by_id = {q["Id"]: q for q in queries}
    busy: set[str] = set()
    stat_ids = [q["Id"] for q in queries if "MetricStat" in q]

    def value(qid: str) -> Value:
        if qid in results:
            return results[qid]
        q = by_id.get(qid)
        if q is None:
            raise MathError(f"Unknown metric or expression id: {qid}.")
        if qid in busy:
            raise MathError(f"Circular reference involving {qid}.")
        busy.add(qid)
        period = query_period(q, queries)
        s = round_start(start, period, now)
        if "MetricStat" in q:
            ms = q["MetricStat"]
            m = ms["Metric"]
            series = index.series.get(metric_key(where, m.get("Namespace", ""),
                                                 m.get("MetricName", ""),
                                                 m.get("Dimensions") or []))
            out: TS = {}
            if series is not None:
                for ts, agg in series.buckets(s, end, period, ms.get("Unit")).items():
                    v = agg.stat(ms["Stat"])
                    if v is not None:
                        out[ts] = v
            results[qid] = out
        else:
            slots = max(0, math.ceil((end - s) / period))
            if slots > MAX_GRID:
                raise MathError(
                    f"The expression {qid} would cover {slots:,} periods; at most "
                    f"{MAX_GRID:,} are supported: increase the period or narrow the range.")
            grid = [s + k * period for k in range(slots)]
            ev = Evaluator(value, stat_ids, grid, period)
            results[qid] = ev.run(q["Expression"])
        busy.discard(qid)
        return results[qid]

    final: dict[str, TS] = {}
    for q in queries:
        v = value(q["Id"])
        if isinstance(v, list):
            if len(v) != 1:
                raise MathError(
                    f"The expression for {q['Id']} returns {len(v)} time series; a query "
                    "must return one.")
            v = v[0]
        if isinstance(v, float):
            period = query_period(q, queries)
            s = round_start(start, period, now)
            slots = max(0, math.ceil((end - s) / period))
            if slots > MAX_GRID:
                raise MathError(f"The expression {q['Id']} would cover {slots:,} periods.")
            v = {s + k * period: v for k in range(slots)}
        final[q["Id"]] = {t: x for t, x in sorted(v.items()) if math.isfinite(x)}
    return final


def label(q: dict[str, Any]) -> str:
    if q.get("Label"):
        return str(q["Label"])
    if "MetricStat" in q:
        return str(q["MetricStat"]["Metric"].get("MetricName", q["Id"]))
    return str(q["Id"])


class MetricDataOps(CloudWatchBase):
    def get_metric_data(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        queries: list[dict[str, Any]] = req["MetricDataQueries"]
        if len(queries) > MAX_QUERIES:
            raise ValidationError(
                f"The collection MetricDataQueries must not have a size greater than "
                f"{MAX_QUERIES}.")
        check_queries(queries)
        start, end = float(req["StartTime"]), float(req["EndTime"])
        if start >= end:
            raise ValidationError("The parameter StartTime must be less than the parameter "
                                  "EndTime.")
        offset = paging.decode(req.get("NextToken")) or 0
        if not isinstance(offset, int) or offset < 0:
            raise InvalidNextToken()
        limit = req.get("MaxDatapoints") or DEFAULT_MAX_DATAPOINTS
        descending = req.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        series = run_queries(self.index, scope(ctx), queries, start, end, self.clock.now())
        returned = [q for q in queries if q.get("ReturnData", True)]
        flat: list[tuple[int, float, float]] = []
        for n, q in enumerate(returned):
            points = sorted(series[q["Id"]].items(), reverse=descending)
            flat.extend((n, t, v) for t, v in points)
        page = flat[offset:offset + limit]
        results: list[dict[str, Any]] = []
        for n, q in enumerate(returned):
            mine = [(t, v) for k, t, v in page if k == n]
            last = max((i for i, p in enumerate(flat) if p[0] == n), default=-1)
            if not mine and offset > 0 and last < offset:
                continue
            done = last < offset + limit
            results.append({
                "Id": q["Id"], "Label": label(q),
                "Timestamps": [t for t, _ in mine], "Values": [v for _, v in mine],
                "StatusCode": "Complete" if done else "PartialData",
                "Messages": [],
            })
        out: dict[str, Any] = {"MetricDataResults": results, "Messages": []}
        if offset + limit < len(flat):
            out["NextToken"] = paging.encode(offset + limit)
        return out
