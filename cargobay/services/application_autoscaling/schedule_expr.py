"""Scheduled-action expressions: ``at(yyyy-mm-ddThh:mm:ss)``, ``rate(value unit)`` and
six-field ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``.

``at`` and ``cron`` are read in the action's Timezone (an IANA name, UTC by default):
the cron fields are matched against local wall-clock time, so ``cron(0 9 * * ? *)`` in
Europe/Paris fires at 08:00 UTC in winter and 07:00 UTC in summer.  Across a DST change
a local time that does not exist (the skipped hour of spring) does not fire, and a
local time that happens twice (the repeated hour of autumn) fires once, at its first
occurrence.  Rates count from StartTime when given, else from when the action was put.
The cron fields and their wildcards are EventBridge's (cargobay/services/events/schedule.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cargobay.services.events.schedule import Cron, Rate, ScheduleError
from cargobay.services.events.schedule import parse as parse_events_schedule

_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
#: minutes tried when looking for the next cron firing (years are skipped fast)
_MAX_STEPS = 400_000


class ExpressionError(ValueError):
    pass


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        raise ExpressionError(f"Invalid timezone: {name}") from None


@dataclass(frozen=True)
class At:
    when: datetime  # naive local time

    def next_after(self, tz: ZoneInfo, anchor: float, after: float) -> float | None:
        t = local_to_epoch(self.when, tz)
        return t if t is not None and t > after else None


@dataclass(frozen=True)
class Every:
    rate: Rate

    def next_after(self, tz: ZoneInfo, anchor: float, after: float) -> float | None:
        if after < anchor:
            return anchor
        return self.rate.next_after(anchor, after)


@dataclass(frozen=True)
class LocalCron:
    cron: Cron

    def next_after(self, tz: ZoneInfo, anchor: float, after: float) -> float | None:
        c = self.cron
        start = datetime.fromtimestamp(after, tz=UTC).astimezone(tz).replace(tzinfo=None)
        t = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
        last_year = max(c.years) if c.years else 10_000
        checked_day: tuple[int, int, int] | None = None
        day_ok = False
        for _ in range(_MAX_STEPS):
            if t.year > last_year:
                return None
            if c.years is not None and t.year not in c.years:
                t = datetime(t.year + 1, 1, 1)
                continue
            if t.month not in c.months:
                t = (datetime(t.year + 1, 1, 1) if t.month == 12
                     else datetime(t.year, t.month + 1, 1))
                continue
            day = (t.year, t.month, t.day)
            if day != checked_day:
                checked_day, day_ok = day, c.day_ok(*day)
            if not day_ok:
                t = datetime(t.year, t.month, t.day) + timedelta(days=1)
                continue
            if t.hour not in c.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in c.minutes:
                later = [m for m in c.minutes if m > t.minute]
                t = (t.replace(minute=min(later)) if later
                     else t.replace(minute=0) + timedelta(hours=1))
                continue
            epoch = local_to_epoch(t, tz)
            if epoch is not None and epoch > after:
                return epoch
            t += timedelta(minutes=1)
        return None


Expression = At | Every | LocalCron


def local_to_epoch(naive: datetime, tz: ZoneInfo) -> float | None:
    """Epoch seconds of a wall-clock time in ``tz``; None if DST skips it; the first of
    two when DST repeats it."""
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        return None
    return aware.timestamp()


def parse(text: str) -> Expression:
    m = _AT.match(text)
    if m:
        try:
            y, mo, d, h, mi, sec = (int(g) for g in m.groups())
            return At(datetime(y, mo, d, h, mi, sec))
        except ValueError:
            raise ExpressionError(text) from None
    if not (text.startswith("rate(") or text.startswith("cron(")):
        raise ExpressionError(text)
    try:
        sched = parse_events_schedule(text)
    except ScheduleError:
        raise ExpressionError(text) from None
    if isinstance(sched, Rate):
        return Every(sched)
    return LocalCron(sched)


def next_fire(expr: Expression, tz: ZoneInfo, anchor: float, after: float,
              start: float | None = None, end: float | None = None) -> float | None:
    """The first firing strictly after ``after`` within [start, end]."""
    if start is not None and after < start:
        after = start - 1e-6
    t = expr.next_after(tz, anchor, after)
    if t is None or (end is not None and t > end):
        return None
    return t
