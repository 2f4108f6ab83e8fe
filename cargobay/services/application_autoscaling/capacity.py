"""How a policy turns a metric into a new capacity (pure functions, no state).

- Target tracking (ECS Developer Guide, "Target tracking scaling policies"): capacity
  proportional to metric ÷ target, "acting conservatively by rounding up or down ... so
  that it never adds insufficient capacity or removes too much": the new capacity is
  ``ceil(current × metric / target)`` for scale-out and scale-in alike (rounding the
  capacity up removes fewer tasks), so a policy whose one-task removal would push the
  metric over the target does not scale in.
- Step scaling (Application Auto Scaling User Guide, "Step scaling policies"): step
  bounds are relative to the alarm threshold; above the threshold a step's lower bound
  is inclusive and its upper bound exclusive, below it the reverse. The metric is the
  alarm's datapoints aggregated with MetricAggregationType (default Average).
- PercentChangeInCapacity rounding ("Scaling adjustment types"): a change above 1 is
  rounded down, between 0 and 1 becomes 1, between -1 and 0 becomes -1, below -1 is
  rounded up (toward 0); MinAdjustmentMagnitude is the least magnitude of the change.
"""

from __future__ import annotations

import math

from cargobay.services.step_scaling import aggregate, percent_change, pick_step

__all__ = ["aggregate", "clamp", "percent_change", "pick_step", "step_capacity",
           "target_tracking"]

_EPS = 1e-9


def target_tracking(current: int, metric: float, target: float) -> int:
    """The capacity that brings ``metric`` (measured at ``current``) to ``target``."""
    if target <= 0:
        return current
    if current <= 0:
        # nothing runs, so utilization cannot be measured against tasks: one task
        return 1 if metric > target else 0
    return max(0, math.ceil(current * metric / target - _EPS))


def step_capacity(current: int, adjustment_type: str, adjustment: int,
                  min_magnitude: int | None = None) -> int:
    if adjustment_type == "ExactCapacity":
        return adjustment
    if adjustment_type == "PercentChangeInCapacity":
        change = percent_change(current, float(adjustment))
        if min_magnitude and change and abs(change) < min_magnitude:
            change = min_magnitude if change > 0 else -min_magnitude
        return max(0, current + change)
    return max(0, current + adjustment)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
