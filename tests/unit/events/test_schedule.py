"""Schedule expressions (EventBridge User Guide, "Schedule expressions for rules"):
parsing, refusals, and the next firing time, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cargobay.services.events.schedule import INVALID, Rate, ScheduleError, next_fire, parse


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def fires(expr: str, start: float, n: int = 1) -> list[datetime]:
    sched = parse(expr)
    out: list[datetime] = []
    t = start
    for _ in range(n):
        nxt = next_fire(sched, start, t)
        assert nxt is not None
        out.append(datetime.fromtimestamp(nxt, tz=UTC))
        t = nxt
    return out


# -- rate ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600),
     ("rate(12 hours)", 43200), ("rate(1 day)", 86400), ("rate(7 days)", 604800)],
)
def test_rate_units(expr: str, seconds: int) -> None:
    assert parse(expr) == Rate(seconds)


def test_rate_fires_a_period_after_its_anchor_then_every_period() -> None:
    anchor = ts(2026, 1, 1, 10, 0, 30)
    sched = parse("rate(5 minutes)")
    assert next_fire(sched, anchor, anchor) == anchor + 300
    assert next_fire(sched, anchor, anchor + 300) == anchor + 600
    assert next_fire(sched, anchor, anchor + 301) == anchor + 600


# -- cron: the guide's examples ------------------------------------------------------------


def test_every_day_at_noon() -> None:
    assert fires("cron(0 12 * * ? *)", ts(2026, 3, 1, 12, 0), 2) == [
        datetime(2026, 3, 2, 12, 0, tzinfo=UTC), datetime(2026, 3, 3, 12, 0, tzinfo=UTC)]


def test_weekdays_at_quarter_past_ten() -> None:
    # cron(15 10 ? * MON-FRI *): 2026-03-06 is a Friday
    assert fires("cron(15 10 ? * MON-FRI *)", ts(2026, 3, 6, 11, 0), 2) == [
        datetime(2026, 3, 9, 10, 15, tzinfo=UTC), datetime(2026, 3, 10, 10, 15, tzinfo=UTC)]


def test_every_ten_minutes_on_weekdays() -> None:
    got = fires("cron(0/10 * ? * MON-FRI *)", ts(2026, 3, 6, 23, 45), 3)
    assert got == [datetime(2026, 3, 6, 23, 50, tzinfo=UTC),
                   datetime(2026, 3, 9, 0, 0, tzinfo=UTC),
                   datetime(2026, 3, 9, 0, 10, tzinfo=UTC)]


def test_first_of_the_month() -> None:
    assert fires("cron(0 18 1 * ? *)", ts(2026, 1, 15), 2) == [
        datetime(2026, 2, 1, 18, tzinfo=UTC), datetime(2026, 3, 1, 18, tzinfo=UTC)]


def test_lists_ranges_and_steps() -> None:
    got = fires("cron(5,35 8-10/2 ? JAN-MAR,DEC TUE *)", ts(2026, 3, 30), 4)
    # 2026-03-31 is a Tuesday; then December (first Tuesday 2026-12-01)
    assert got == [datetime(2026, 3, 31, 8, 5, tzinfo=UTC),
                   datetime(2026, 3, 31, 8, 35, tzinfo=UTC),
                   datetime(2026, 3, 31, 10, 5, tzinfo=UTC),
                   datetime(2026, 3, 31, 10, 35, tzinfo=UTC)]
    assert fires("cron(0 0 ? JAN-MAR,DEC TUE *)", ts(2026, 4, 1))[0] == datetime(
        2026, 12, 1, tzinfo=UTC)


def test_year_field() -> None:
    assert fires("cron(0 0 1 1 ? 2028)", ts(2026, 6, 1)) == [datetime(2028, 1, 1, tzinfo=UTC)]
    assert next_fire(parse("cron(0 0 1 1 ? 2027)"), 0, ts(2027, 1, 1, 0, 0)) is None


# -- L, W, # and ? ------------------------------------------------------------------------


def test_L_last_day_of_month() -> None:
    assert fires("cron(0 0 L * ? *)", ts(2026, 1, 31, 1), 3) == [
        datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC),
        datetime(2026, 4, 30, tzinfo=UTC)]


def test_L_in_leap_february() -> None:
    assert fires("cron(0 0 L 2 ? *)", ts(2027, 6, 1)) == [datetime(2028, 2, 29, tzinfo=UTC)]


def test_L_day_of_week_is_saturday() -> None:
    assert fires("cron(0 0 ? * L *)", ts(2026, 3, 2)) == [datetime(2026, 3, 7, tzinfo=UTC)]


def test_nL_last_weekday_of_month() -> None:
    # 6L: the last Friday of the month
    assert fires("cron(0 9 ? * 6L *)", ts(2026, 3, 1), 2) == [
        datetime(2026, 3, 27, 9, tzinfo=UTC), datetime(2026, 4, 24, 9, tzinfo=UTC)]


def test_W_nearest_weekday() -> None:
    # 2026-02-15 is a Sunday: nearest weekday Monday the 16th;
    # 2026-08-15 is a Saturday: Friday the 14th
    assert fires("cron(0 0 15W * ? *)", ts(2026, 2, 1)) == [datetime(2026, 2, 16, tzinfo=UTC)]
    assert fires("cron(0 0 15W * ? *)", ts(2026, 8, 1)) == [datetime(2026, 8, 14, tzinfo=UTC)]


def test_W_does_not_leave_the_month() -> None:
    # 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday July 31st
    assert fires("cron(0 0 1W * ? *)", ts(2026, 7, 15)) == [datetime(2026, 8, 3, tzinfo=UTC)]
    # 2026-05-31 is a Sunday: 31W is Friday the 29th
    assert fires("cron(0 0 31W 5 ? *)", ts(2026, 5, 1)) == [datetime(2026, 5, 29, tzinfo=UTC)]


def test_LW_last_weekday_of_month() -> None:
    # 2026-05-31 is a Sunday
    assert fires("cron(0 0 LW 5 ? *)", ts(2026, 5, 1)) == [datetime(2026, 5, 29, tzinfo=UTC)]


def test_hash_nth_weekday() -> None:
    # 3#2: the second Tuesday
    assert fires("cron(0 12 ? * 3#2 *)", ts(2026, 3, 1), 2) == [
        datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 4, 14, 12, tzinfo=UTC)]
    # MON#5: only months with a fifth Monday
    assert fires("cron(0 0 ? * MON#5 *)", ts(2026, 1, 1))[0] == datetime(2026, 3, 30, tzinfo=UTC)


def test_question_mark_in_either_day_field() -> None:
    assert fires("cron(0 0 ? * SUN *)", ts(2026, 3, 2))[0] == datetime(2026, 3, 8, tzinfo=UTC)
    assert fires("cron(0 0 10 * ? *)", ts(2026, 3, 2))[0] == datetime(2026, 3, 10, tzinfo=UTC)


def test_wrapping_day_range() -> None:
    # FRI-MON: Fri, Sat, Sun, Mon; 2026-03-03 is a Tuesday
    got = fires("cron(0 0 ? * FRI-MON *)", ts(2026, 3, 3), 4)
    assert [d.day for d in got] == [6, 7, 8, 9]


def test_fires_at_the_minute_strictly_after() -> None:
    assert fires("cron(* * * * ? *)", ts(2026, 3, 1, 0, 0, 0))[0] == datetime(
        2026, 3, 1, 0, 1, tzinfo=UTC)
    assert fires("cron(* * * * ? *)", ts(2026, 3, 1, 0, 0, 59))[0] == datetime(
        2026, 3, 1, 0, 1, tzinfo=UTC)


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr",
    [
        "rate(0 minutes)", "rate(1 minutes)", "rate(2 minute)", "rate(5 seconds)",
        "rate(-1 hours)", "rate(1.5 hours)", "rate(5  minutes)", "rate 5 minutes",
        "cron(0 12 * * * *)", "cron(0 12 ? * ? *)", "cron(0 12 * *)",
        "cron(0 12 * * ? * *)", "cron(60 12 * * ? *)", "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)", "cron(0 0 0 * ? *)", "cron(0 0 ? 13 MON *)",
        "cron(0 0 ? * 8 *)", "cron(0 0 ? * MON#6 *)", "cron(0 0 1#2 * ? *)",
        "cron(0 0 ? * 2W *)", "cron(0/0 * * * ? *)", "cron(a 0 * * ? *)",
        "cron(0 0 * * ? 1969)", "every 5 minutes", "",
    ],
)
def test_invalid(expr: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse(expr)
    assert str(info.value) == INVALID
