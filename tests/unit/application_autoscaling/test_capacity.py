"""How policies compute capacity (cargobay/services/application_autoscaling/capacity.py)."""

from __future__ import annotations

import pytest

from cargobay.services.application_autoscaling import capacity


@pytest.mark.parametrize("current,metric,target,expected", [
    (2, 90.0, 50.0, 4),   # 3.6 → 4: scale out rounds the capacity up
    (4, 75.0, 75.0, 4),   # at target: no change
    (10, 20.0, 50.0, 4),  # scale in to 4, not 3: removing too much is avoided
    (3, 40.0, 50.0, 3),   # 2.4 → 3: removing one task would push the metric over target
    (0, 80.0, 50.0, 1),
    (1, 1000.0, 50.0, 20),
])
def test_target_tracking_is_proportional_and_rounds_up(
        current: int, metric: float, target: float, expected: int) -> None:
    assert capacity.target_tracking(current, metric, target) == expected


@pytest.mark.parametrize("current,percent,expected", [
    (10, 27, 12),   # +2.7 rounded down to +2
    (2, 25, 3),     # +0.5 becomes +1
    (2, -25, 1),    # -0.5 becomes -1
    (10, -67, 4),   # -6.7 rounded up to -6
])
def test_percent_change_rounding(current: int, percent: int, expected: int) -> None:
    assert capacity.step_capacity(current, "PercentChangeInCapacity", percent) == expected


def test_min_adjustment_magnitude() -> None:
    # the documented example: 25% of 4 tasks is 1, MinAdjustmentMagnitude 2 → +2
    assert capacity.step_capacity(4, "PercentChangeInCapacity", 25, 2) == 6
    assert capacity.step_capacity(4, "ChangeInCapacity", -1) == 3
    assert capacity.step_capacity(4, "ExactCapacity", 7) == 7


STEPS = [
    {"MetricIntervalUpperBound": -10.0, "ScalingAdjustment": -2},
    {"MetricIntervalLowerBound": -10.0, "MetricIntervalUpperBound": 0.0, "ScalingAdjustment": -1},
    {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0, "ScalingAdjustment": 1},
    {"MetricIntervalLowerBound": 10.0, "ScalingAdjustment": 3},
]


@pytest.mark.parametrize("delta,adjustment", [
    (0.0, 1), (9.99, 1), (10.0, 3), (100.0, 3),   # above: lower inclusive, upper exclusive
    (-0.5, -1), (-9.99, -1), (-10.0, -2),          # below: lower exclusive, upper inclusive
])
def test_step_bounds_are_relative_to_the_threshold(delta: float, adjustment: int) -> None:
    step = capacity.pick_step(STEPS, delta)
    assert step is not None and step["ScalingAdjustment"] == adjustment


def test_aggregation_types() -> None:
    values = [10.0, 40.0, 70.0]
    assert capacity.aggregate(values, "Average") == 40.0
    assert capacity.aggregate(values, None) == 40.0
    assert capacity.aggregate(values, "Minimum") == 10.0
    assert capacity.aggregate(values, "Maximum") == 70.0
    assert capacity.aggregate([], "Average") is None
