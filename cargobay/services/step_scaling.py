"""Step scaling arithmetic shared by EC2 Auto Scaling and Application Auto Scaling
(their user guides describe the same rules):

- the alarm's datapoints are aggregated with MetricAggregationType (Average by default,
  Minimum, Maximum);
- step bounds are relative to the alarm threshold; above the threshold a step's lower
  bound is inclusive and its upper bound exclusive, below it the reverse;
- PercentChangeInCapacity: a change above 1 is rounded down, between 0 and 1 becomes 1,
  between -1 and 0 becomes -1, below -1 is rounded up (toward 0).
"""

from __future__ import annotations

import math
from typing import Any

_EPS = 1e-9


def aggregate(values: list[float], how: str | None) -> float | None:
    """The datapoints as the policy's MetricAggregationType sees them (None: none)."""
    if not values:
        return None
    if how == "Minimum":
        return min(values)
    if how == "Maximum":
        return max(values)
    return sum(values) / len(values)


def pick_step(steps: list[dict[str, Any]], delta: float) -> dict[str, Any] | None:
    """The step adjustment whose interval holds ``delta`` (metric − threshold)."""
    for step in steps:
        lo = step.get("MetricIntervalLowerBound")
        hi = step.get("MetricIntervalUpperBound")
        lo_f = -math.inf if lo is None else float(lo)
        hi_f = math.inf if hi is None else float(hi)
        if delta >= 0:
            if lo_f <= delta < hi_f or (hi is None and delta >= lo_f):
                return step
        elif lo_f < delta <= hi_f or (lo is None and delta <= hi_f):
            return step
    return None


def percent_change(current: int, percent: float) -> int:
    """The change in capacity ``percent`` of ``current`` makes, rounded as documented."""
    change = current * percent / 100.0
    if change > 1:
        return math.floor(change + _EPS)
    if 0 < change <= 1:
        return 1
    if -1 <= change < 0:
        return -1
    if change < -1:
        return math.ceil(change - _EPS)
    return 0
