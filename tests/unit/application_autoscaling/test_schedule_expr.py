"""Scheduled-action expressions in a time zone, across DST changes
(cargobay/services/application_autoscaling/schedule_expr.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cargobay.services.application_autoscaling import schedule_expr as se


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()  # type: ignore[misc]


def iso(t: float | None) -> str:
    assert t is not None
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M")


def fires(expr: str, tz: str | None, after: float, n: int) -> list[str]:
    e, z = se.parse(expr), se.zone(tz)
    out: list[str] = []
    for _ in range(n):
        t = se.next_fire(e, z, after, after)
        out.append(iso(t))
        assert t is not None
        after = t
    return out


def test_cron_in_paris_follows_local_time_across_the_spring_change() -> None:
    # CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2): 09:00 local moves
    # from 08:00 UTC to 07:00 UTC
    got = fires("cron(0 9 * * ? *)", "Europe/Paris", utc(2026, 3, 27, 12), 3)
    assert got == ["2026-03-28T08:00", "2026-03-29T07:00", "2026-03-30T07:00"]


def test_cron_in_new_york_across_the_autumn_change() -> None:
    # EDT (UTC-4) until 2026-11-01 02:00, then EST (UTC-5)
    got = fires("cron(30 8 ? * SUN *)", "America/New_York", utc(2026, 10, 20), 2)
    assert got == ["2026-10-25T12:30", "2026-11-01T13:30"]


def test_a_skipped_local_time_does_not_fire_and_a_repeated_one_fires_once() -> None:
    # 02:30 does not exist in Paris on 2026-03-29
    got = fires("cron(30 2 * * ? *)", "Europe/Paris", utc(2026, 3, 28, 12), 2)
    assert got == ["2026-03-30T00:30", "2026-03-31T00:30"]
    # 02:30 happens twice on 2026-10-25 (CEST then CET): once, at the first
    got = fires("cron(30 2 * * ? *)", "Europe/Paris", utc(2026, 10, 24, 12), 2)
    assert got == ["2026-10-25T00:30", "2026-10-26T01:30"]


def test_at_is_local_time_and_fires_once() -> None:
    e, z = se.parse("at(2026-07-01T12:00:00)"), se.zone("Asia/Tokyo")
    t = se.next_fire(e, z, 0, utc(2026, 6, 1))
    assert iso(t) == "2026-07-01T03:00"
    assert t is not None and se.next_fire(e, z, 0, t) is None


def test_rate_counts_from_the_anchor_and_respects_start_and_end() -> None:
    e, z = se.parse("rate(2 hours)"), se.zone(None)
    anchor = utc(2026, 1, 1)
    assert iso(se.next_fire(e, z, anchor, anchor)) == "2026-01-01T02:00"
    assert iso(se.next_fire(e, z, anchor, utc(2026, 1, 1, 3))) == "2026-01-01T04:00"
    assert se.next_fire(e, z, anchor, utc(2026, 1, 1, 3), end=utc(2026, 1, 1, 3, 30)) is None
    cron = se.parse("cron(0 * * * ? *)")
    start = utc(2026, 1, 2, 5)
    assert iso(se.next_fire(cron, z, anchor, anchor, start=start)) == "2026-01-02T05:00"


@pytest.mark.parametrize("text", [
    "cron(0 8 * * * *)", "cron(0 8 ? * MON)", "rate(1 minutes)", "rate(0 hours)",
    "at(2026-02-30T00:00:00)", "at(2026-01-01 00:00:00)", "tomorrow",
])
def test_bad_expressions(text: str) -> None:
    with pytest.raises(se.ExpressionError):
        se.parse(text)


def test_bad_zone() -> None:
    with pytest.raises(se.ExpressionError):
        se.zone("Mars/Olympus")
    assert se.zone("Etc/GMT+9").key == "Etc/GMT+9"
