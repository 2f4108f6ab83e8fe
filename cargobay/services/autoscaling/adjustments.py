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

from typing import Any

from cargobay.services.step_scaling import aggregate, percent_change, pick_step

__all__ = ["aggregate", "new_capacity", "step_for"]

Doc = dict[str, Any]


def step_for(steps: list[Doc], value: float, threshold: float) -> Doc | None:
    """The step adjustment whose interval holds ``value - threshold``."""
    return pick_step(steps, value - threshold)


def new_capacity(policy: Doc, adjustment: int, current: int, lo: int, hi: int) -> int:
    kind = policy.get("AdjustmentType") or "ChangeInCapacity"
    if kind == "ExactCapacity":
        target = adjustment
    elif kind == "PercentChangeInCapacity":
        moved = percent_change(current, float(adjustment))
        least = int(policy.get("MinAdjustmentMagnitude") or 0)
        if moved and abs(moved) < least:
            moved = least if moved > 0 else -least
        target = current + moved
    else:
        target = current + adjustment
    return max(lo, min(hi, target))
