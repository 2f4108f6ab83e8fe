"""How a simple or step scaling policy changes a group's desired capacity.

EC2 Auto Scaling User Guide, "Step and simple scaling policies":

- **AdjustmentType** ChangeInCapacity (add the adjustment), ExactCapacity (set it),
  PercentChangeInCapacity (add that percent of the current capacity: a result between
  0 and 1 counts as 1, between -1 and 0 as -1, anything else is rounded toward zero;
  MinAdjustmentMagnitude is the least instances a percent change moves).
- **Step adjustments** are bounds relative to the alarm threshold: above the threshold
  the lower bound is inclusive and the upper exclusive; below it the lower bound is
  exclusive and the upper inclusive; a missing bound is infinity.
- The result is kept within MinSize and MaxSize.
"""

from __future__ import annotations

import math
from typing import Any

Doc = dict[str, Any]


def aggregate(values: list[float], how: str | None) -> float | None:
    if not values:
        return None
    if how == "Minimum":
        return min(values)
    if how == "Maximum":
        return max(values)
    return sum(values) / len(values)


def step_for(steps: list[Doc], value: float, threshold: float) -> Doc | None:
    """The step adjustment whose interval holds ``value - threshold``."""
    diff = value - threshold
    for step in steps:
        lo = step.get("MetricIntervalLowerBound")
        hi = step.get("MetricIntervalUpperBound")
        lo = -math.inf if lo is None else float(lo)
        hi = math.inf if hi is None else float(hi)
        inside = (lo <= diff < hi) if diff >= 0 else (lo < diff <= hi)
        if inside:
            return step
    return None


def new_capacity(policy: Doc, adjustment: int, current: int, lo: int, hi: int) -> int:
    kind = policy.get("AdjustmentType") or "ChangeInCapacity"
    if kind == "ExactCapacity":
        target = adjustment
    elif kind == "PercentChangeInCapacity":
        change = current * adjustment / 100.0
        if 0 < change < 1:
            moved = 1
        elif -1 < change < 0:
            moved = -1
        else:
            moved = int(change)
        least = int(policy.get("MinAdjustmentMagnitude") or 0)
        if moved and abs(moved) < least:
            moved = least if moved > 0 else -least
        target = current + moved
    else:
        target = current + adjustment
    return max(lo, min(hi, target))
