"""capacity_strategy.split follows the CapacityProviderStrategyItem rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cargobay.services.ecs.capacity_strategy import split, tally
from cargobay.services.ecs.errors import InvalidParameterException


def item(name: str, weight: int = 0, base: int = 0) -> dict[str, object]:
    return {"capacityProvider": name, "weight": weight, "base": base}


def test_base_first_then_weights_one_to_four() -> None:
    s = [item("A", 1, base=2), item("B", 4)]
    got = split(s, 12)
    assert got[:2] == ["A", "A"]
    assert tally(got[2:]) == {"A": 2, "B": 8}


def test_equal_weights_alternate() -> None:
    assert split([item("A", 1), item("B", 1)], 4) == ["A", "B", "A", "B"]


def test_weight_zero_gets_only_its_base() -> None:
    assert tally(split([item("A", 0, base=3), item("B", 1)], 10)) == {"A": 3, "B": 7}


def test_existing_tasks_count_toward_the_split() -> None:
    assert split([item("A", 1), item("B", 1)], 2, {"A": 3, "B": 1}) == ["B", "B"]


def test_no_weight_is_refused() -> None:
    with pytest.raises(InvalidParameterException):
        split([item("A", 0, base=1)], 2)


@given(st.integers(0, 5), st.integers(1, 5), st.integers(1, 5), st.integers(0, 60))
def test_shares_follow_weights_within_one_task(base: int, wa: int, wb: int, n: int) -> None:
    got = tally(split([item("A", wa, base), item("B", wb)], n))
    a, b = got.get("A", 0), got.get("B", 0)
    assert a + b == n
    assert a >= min(base, n)
    rest = n - min(base, n)
    beyond = a - min(base, n)
    assert abs(beyond - rest * wa / (wa + wb)) <= 1
