"""Statistics over the samples of one period: SampleCount, Sum, Average, Minimum,
Maximum and percentiles (``p99``, ``p99.9``).

A sample is what one MetricDatum contributed: a count, a sum, a minimum, a maximum
and, where the caller sent values (``Value`` or ``Values``/``Counts``), the values with
their counts, from which percentiles are computed (nearest rank).  A period holding a
sample sent as StatisticValues only has no percentiles, as in CloudWatch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{0,10})?|100(\.0{0,10})?)")


@dataclass
class Agg:
    """The samples of one period, combined."""

    count: float = 0.0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    #: (value, count) pairs; None once a sample without values was added
    values: list[tuple[float, float]] | None = field(default_factory=list)
    unit: str | None = None

    def add(
        self,
        count: float,
        total: float,
        low: float,
        high: float,
        values: list[tuple[float, float]] | None,
        unit: str,
    ) -> None:
        self.count += count
        self.total += total
        self.low = min(self.low, low)
        self.high = max(self.high, high)
        if values is None or self.values is None:
            self.values = None
        else:
            self.values.extend(values)
        if self.unit is None:
            self.unit = unit

    def stat(self, name: str) -> float | None:
        """The value of statistic ``name`` (a standard one or ``pNN``), or None."""
        if name == "SampleCount":
            return self.count
        if name == "Sum":
            return self.total
        if name == "Average":
            return self.total / self.count if self.count else None
        if name == "Minimum":
            return self.low
        if name == "Maximum":
            return self.high
        p = percentile_of(name)
        return self.percentile(p) if p is not None else None

    def percentile(self, p: float) -> float | None:
        if not self.values:
            return None
        vals = sorted(self.values)
        total = sum(c for _, c in vals)
        if total <= 0:
            return None
        rank = max(1.0, math.ceil(p / 100.0 * total - 1e-9))
        seen = 0.0
        for v, c in vals:
            seen += c
            if seen >= rank:
                return v
        return vals[-1][0]


def percentile_of(name: str) -> float | None:
    """``p99.5`` → 99.5; None for anything that is not a percentile statistic."""
    if not _PERCENTILE.fullmatch(name):
        return None
    return float(name[1:])


def is_statistic(name: str) -> bool:
    return name in STATISTICS or percentile_of(name) is not None
