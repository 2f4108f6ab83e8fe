"""The CloudWatch User Guide's own tables, row by row ("Configuring how CloudWatch
alarms treat missing data" → "How alarm state is evaluated when data is missing").

Each row is a range of 5 one-minute datapoints, oldest first (0 not breaching,
X breaching, - missing), evaluated by a 3-of-3 alarm (first table) or a 2-of-3 alarm
(second table) under each TreatMissingData; "retain" is "Retain current state".
The datapoints go in through PutMetricData and the alarm is evaluated by the
service's evaluator on a SimClock.
"""

from __future__ import annotations

import asyncio

import pytest

from cargobay.services.cloudwatch.evaluation import evaluate
from tests.unit.cloudwatch.helpers import T0, alarm, cw, make_app, put, state

TREATS = ("missing", "ignore", "breaching", "notBreaching")
R = "retain"
INS = "INSUFFICIENT_DATA"

# (data points, MISSING, IGNORE, BREACHING, NOT BREACHING)
TABLE_3_OF_3 = [
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", INS, R, "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - - - X", INS, R, "ALARM", "OK"),
    ("X - - - -", "ALARM", R, "ALARM", "OK"),
]
TABLE_2_OF_3 = [
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - - X", INS, R, "ALARM", "OK"),
]

CASES = [
    pytest.param(m, points, treat, row[1 + k], id=f"{m}of3[{points}]-{treat}")
    for m, table in ((3, TABLE_3_OF_3), (2, TABLE_2_OF_3))
    for row in table
    for points in (row[0],)
    for k, treat in enumerate(TREATS)
]


def flags(points: str) -> list[bool | None]:
    return [None if c == "-" else c == "X" for c in points.split()]


@pytest.mark.parametrize(("m", "points", "treat", "expected"), CASES)
def test_rule_matches_the_table(m: int, points: str, treat: str, expected: str) -> None:
    got = evaluate(flags(points), m, 3, treat).state
    assert (got or R) == expected


def run_row(m: int, points: str, treat: str, before: str | None) -> str:
    """Put the row's datapoints in the five minutes before ``now``, optionally force the
    alarm to ``before`` first, evaluate once, and return the state."""

    async def go() -> str:
        app = make_app()
        now = T0 + 3600
        await app.clock.advance(3600)  # type: ignore[attr-defined]
        for i, c in enumerate(points.split()):
            ts = now - (5 - i) * 60
            if c != "-":
                put(app, 10.0 if c == "X" else 1.0, ts + 15)
        alarm(app, m, 3, treat)
        svc = cw(app)
        if before is not None:
            key = "000000000000/us-east-1/a"
            await svc.transition(key, svc.alarms[key], before, "set by test", None, now)
        await svc.evaluate_all(now)
        return state(app)

    return asyncio.run(go())


@pytest.mark.parametrize(("m", "points", "treat", "expected"), CASES)
def test_evaluator_follows_the_table(m: int, points: str, treat: str, expected: str) -> None:
    if expected == R:
        # "Retain current state": whatever the alarm was, it stays
        assert run_row(m, points, treat, "OK") == "OK"
        assert run_row(m, points, treat, "ALARM") == "ALARM"
    else:
        assert run_row(m, points, treat, None) == expected
