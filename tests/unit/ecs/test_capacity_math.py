"""Managed scaling arithmetic (capacity_math), as the ECS Developer Guide defines it."""

from __future__ import annotations

from cargobay.services.ecs.capacity_math import (
    Demand,
    instances_for,
    reservation,
    scale_out_to,
)


def test_reservation_is_m_over_n_with_the_documented_edges() -> None:
    assert reservation(3, 4) == 75.0
    assert reservation(0, 0) == 100.0
    assert reservation(2, 0) == 200.0
    assert reservation(0, 5) == 0.0


def test_instances_for_waiting_tasks() -> None:
    # t3.small: 2048 CPU, 2048 MiB; tasks of half an instance
    assert instances_for([Demand(12, 1024, 1024)], 2048, 2048) == 6
    assert instances_for([Demand(3, 1024, 512)], 2048, 2048) == 2
    assert instances_for([Demand(1, 4096, 512)], 2048, 2048) == 0  # never fits


def test_scale_out_steps_are_bounded() -> None:
    assert scale_out_to(6, 0, 100, 1, 10000, 6) == 6
    assert scale_out_to(6, 0, 100, 1, 2, 6) == 2
    assert scale_out_to(1, 0, 100, 3, 10, 6) == 3  # at least minimumScalingStepSize
    assert scale_out_to(4, 2, 50, 1, 100, 5) == 5  # ceil(4 × 100 / 50) = 8, MaxSize 5
    assert scale_out_to(2, 2, 100, 1, 10, 5) is None
