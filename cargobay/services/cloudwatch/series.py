"""The datapoints of every metric, indexed in memory and kept in the store.

One :class:`Series` per metric (account/region, namespace, name, dimension set): its
samples sorted by time, so a period's statistics cost a bisect and a short walk.
Each PutMetricData writes one row per metric it touched (table ``cloudwatch.points``,
key ``<account>/<region>/<metric digest>/<sequence>``), all in one store batch before
the call answers; the rows are read back when the service starts.

Retention follows CloudWatch's (User Guide, "Metrics retention"): 1-second data for
3 hours, then 1-minute aggregates for 15 days, 5-minute ones for 63 days and 1-hour
ones for 455 days.  :meth:`MetricIndex.compact` rolls samples up as they age and
rewrites a series' rows as one.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cargobay.services.cloudwatch.stats import Agg
from cargobay.store import Store

POINTS = "cloudwatch.points"

HOUR = 3600.0
DAY = 86400.0
#: (age beyond which, granularity kept) — the last age drops the data
ROLLUPS = ((3 * HOUR, 60.0), (15 * DAY, 300.0), (63 * DAY, 3600.0))
EXPIRY = 455 * DAY

Dims = tuple[tuple[str, str], ...]
#: (scope "account/region", namespace, metric name, sorted dimensions)
MetricKey = tuple[str, str, str, Dims]
#: [timestamp, unit, count, sum, min, max, [[value, count], ...] or None]
Sample = list[Any]


def metric_key(scope: str, namespace: str, name: str, dims: list[dict[str, str]]) -> MetricKey:
    return (scope, namespace, name, tuple(sorted((d["Name"], d["Value"]) for d in dims)))


def digest(key: MetricKey) -> str:
    raw = json.dumps([key[1], key[2], key[3]], separators=(",", ":"))
    return hashlib.sha1(raw.encode()).hexdigest()[:24]


@dataclass
class Series:
    key: MetricKey
    times: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    #: clock time of the last PutMetricData (ListMetrics RecentlyActive)
    last_put: float = 0.0
    rows: list[str] = field(default_factory=list)
    #: the metric's part of its store keys
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            self.digest = digest(self.key)

    def add(self, sample: Sample) -> None:
        ts = sample[0]
        if not self.times or ts >= self.times[-1]:
            self.times.append(ts)
            self.samples.append(sample)
            return
        i = bisect.bisect_right(self.times, ts)
        self.times.insert(i, ts)
        self.samples.insert(i, sample)

    def window(self, start: float, end: float) -> Iterator[Sample]:
        """Samples with start <= timestamp < end, oldest first."""
        i = bisect.bisect_left(self.times, start)
        samples, times = self.samples, self.times
        n = len(times)
        while i < n and times[i] < end:
            yield samples[i]
            i += 1

    def buckets(
        self, start: float, end: float, period: float, unit: str | None = None
    ) -> dict[float, Agg]:
        """Each period [start + k·period, …) within [start, end) that holds data."""
        out: dict[float, Agg] = {}
        for s in self.window(start, end):
            if unit is not None and s[1] != unit:
                continue
            b = start + ((s[0] - start) // period) * period
            agg = out.get(b)
            if agg is None:
                agg = out[b] = Agg()
            agg.add(s[2], s[3], s[4], s[5], _pairs(s[6]), s[1])
        return out

    def slots(
        self, start: float, period: float, size: int, stat: str, unit: str | None = None
    ) -> tuple[list[float | None], list[float]]:
        """The value of a standard statistic (not a percentile) in each of ``size``
        periods from ``start``, and each period's sample count: the evaluator's hot path."""
        values: list[float | None] = [None] * size
        counts = [0.0] * size
        sums = [0.0] * size
        lows = [0.0] * size
        highs = [0.0] * size
        times, samples = self.times, self.samples
        end = start + size * period
        i = bisect.bisect_left(times, start)
        n = len(times)
        while i < n and times[i] < end:
            s = samples[i]
            i += 1
            if unit is not None and s[1] != unit:
                continue
            k = int((s[0] - start) // period)
            if counts[k] == 0.0:
                counts[k], sums[k], lows[k], highs[k] = s[2], s[3], s[4], s[5]
            else:
                counts[k] += s[2]
                sums[k] += s[3]
                lows[k] = min(lows[k], s[4])
                highs[k] = max(highs[k], s[5])
        for k in range(size):
            c = counts[k]
            if c == 0.0:
                continue
            if stat == "Average":
                values[k] = sums[k] / c
            elif stat == "Sum":
                values[k] = sums[k]
            elif stat == "Maximum":
                values[k] = highs[k]
            elif stat == "Minimum":
                values[k] = lows[k]
            else:
                values[k] = c
        return values, counts

    def units(self) -> set[str]:
        return {s[1] for s in self.samples}


def _pairs(values: list[list[float]] | None) -> list[tuple[float, float]] | None:
    if values is None:
        return None
    return [(v[0], v[1]) for v in values]


class MetricIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.series: dict[MetricKey, Series] = {}
        self._seq = 0

    # -- loading -------------------------------------------------------------------------
    def load(self) -> None:
        self.series.clear()
        for key, doc in self.store.scan(POINTS):
            scope = key.rsplit("/", 2)[0]
            mk: MetricKey = (scope, doc["n"], doc["m"], tuple((a, b) for a, b in doc["d"]))
            s = self.series.get(mk)
            if s is None:
                s = self.series[mk] = Series(mk)
            s.rows.append(key)
            s.last_put = max(s.last_put, float(doc.get("t", 0.0)))
            for sample in doc["s"]:
                s.add(sample)
            self._seq = max(self._seq, int(key.rsplit("/", 1)[1]))

    def reset(self) -> None:
        self.series.clear()

    # -- writing -------------------------------------------------------------------------
    def put(self, batch: dict[MetricKey, list[Sample]], now: float) -> None:
        """Add samples, durably: one row per metric, all in one store batch."""
        rows: list[tuple[Series, str, dict[str, Any]]] = []
        for mk, samples in batch.items():
            s = self.series.get(mk)
            if s is None:
                s = Series(mk)
            self._seq += 1
            row = f"{mk[0]}/{s.digest}/{self._seq:016d}"
            rows.append((s, row, _row_doc(mk, samples, now)))
        with self.store.batch():
            for _, row, doc in rows:
                self.store.put(POINTS, row, doc)
        for (s, row, _), samples in zip(rows, batch.values(), strict=True):
            self.series[s.key] = s
            s.rows.append(row)
            s.last_put = now
            for sample in samples:
                s.add(sample)

    # -- retention -----------------------------------------------------------------------
    def compact(self, now: float, max_rows: int = 32) -> int:
        """Roll aged samples up, drop expired ones, and rewrite series whose rows
        changed (or grew past ``max_rows``) as one row.  Returns series rewritten."""
        rewritten = 0
        for mk in list(self.series):
            s = self.series[mk]
            changed = _rollup(s, now)
            if not changed and len(s.rows) <= max_rows:
                continue
            rewritten += 1
            with self.store.batch():
                for row in s.rows:
                    self.store.delete(POINTS, row)
                s.rows = []
                if s.samples:
                    self._seq += 1
                    row = f"{mk[0]}/{s.digest}/{self._seq:016d}"
                    self.store.put(POINTS, row, _row_doc(mk, s.samples, s.last_put))
                    s.rows.append(row)
            if not s.samples:
                del self.series[mk]
        return rewritten

    def in_scope(self, scope: str) -> Iterator[Series]:
        for mk, s in self.series.items():
            if mk[0] == scope:
                yield s


def _row_doc(mk: MetricKey, samples: list[Sample], now: float) -> dict[str, Any]:
    return {"n": mk[1], "m": mk[2], "d": [list(d) for d in mk[3]], "t": now, "s": samples}


def granularity(age: float) -> float | None:
    """The granularity data of this age is kept at (None: raw; inf: expired)."""
    if age > EXPIRY:
        return float("inf")
    kept: float | None = None
    for limit, gran in ROLLUPS:
        if age > limit:
            kept = gran
    return kept


def _rollup(s: Series, now: float) -> bool:
    """Merge samples older than each retention step into that step's granularity."""
    if not s.samples or now - s.times[0] <= ROLLUPS[0][0]:
        return False
    merged: dict[tuple[float, str], Sample] = {}
    keep: list[Sample] = []
    changed = False
    for sample in s.samples:
        gran = granularity(now - sample[0])
        if gran is None:
            keep.append(sample)
            continue
        if gran == float("inf"):
            changed = True
            continue
        ts = sample[0] - sample[0] % gran
        k = (ts, sample[1])
        m = merged.get(k)
        if m is None:
            merged[k] = [ts, sample[1], sample[2], sample[3], sample[4], sample[5],
                         None if sample[6] is None else list(sample[6])]
            changed = changed or ts != sample[0]
            continue
        changed = True
        m[2] += sample[2]
        m[3] += sample[3]
        m[4] = min(m[4], sample[4])
        m[5] = max(m[5], sample[5])
        m[6] = None if m[6] is None or sample[6] is None else m[6] + sample[6]
    if not changed:
        return False
    out = sorted([*merged.values(), *keep], key=lambda x: x[0])
    s.samples = out
    s.times = [x[0] for x in out]
    return True
