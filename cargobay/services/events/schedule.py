"""Schedule expressions: ``rate(...)`` and AWS's six-field ``cron(...)``, and when they
next fire.

EventBridge User Guide, "Schedule expressions for rules":

- ``rate(value unit)``: a positive whole ``value``; ``unit`` minute/minutes, hour/hours,
  day/days, singular exactly when the value is 1.  The first firing is one period after
  the rule was created or enabled (here: exactly; AWS says "within" it), then every
  period.
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, in UTC, to the minute:

  ========  =============  ======================
  field     values         wildcards
  ========  =============  ======================
  Minutes   0-59           , - * /
  Hours     0-23           , - * /
  DOM       1-31           , - * ? / L W
  Month     1-12, JAN-DEC  , - * /
  DOW       1-7, SUN-SAT   , - * ? L #
  Year      1970-2199      , - * /
  ========  =============  ======================

  One of Day-of-month and Day-of-week must be ``?`` (and not both).  ``L`` is the last
  day of the month (DOM) or of the week (DOW, Saturday; ``5L`` is the month's last
  Thursday); ``15W`` is the weekday nearest the 15th within its month (``LW`` the last
  weekday); ``3#2`` is the month's second Tuesday.

Anything else is ValidationException "Parameter ScheduleExpression is not valid.".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

INVALID = "Parameter ScheduleExpression is not valid."

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
#: search bound for the next firing: minutes tried, roughly (years are skipped fast)
_MAX_STEPS = 200_000


class ScheduleError(ValueError):
    def __init__(self) -> None:
        super().__init__(INVALID)


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, anchor: float, after: float) -> float:
        """The first firing strictly after ``after`` for a rate counted from ``anchor``."""
        if after < anchor:
            return anchor + self.seconds
        n = int((after - anchor) // self.seconds) + 1
        return anchor + n * self.seconds


@dataclass(frozen=True)
class DaySpec:
    """Day-of-month or day-of-week rules for one field (the other is '?')."""

    days: frozenset[int]  # plain values (DOM 1-31, DOW 1-7)
    last: bool = False  # DOM "L"
    last_weekday: bool = False  # DOM "LW"
    nearest_weekday: frozenset[int] = frozenset()  # DOM "nW"
    last_of_week: frozenset[int] = frozenset()  # DOW "nL"
    nth: frozenset[tuple[int, int]] = frozenset()  # DOW "n#k"


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None  # None: every year
    dom: DaySpec | None
    dow: DaySpec | None

    def day_ok(self, y: int, m: int, d: int) -> bool:
        if self.dom is not None:
            return _dom_ok(self.dom, y, m, d)
        assert self.dow is not None
        return _dow_ok(self.dow, y, m, d)

    def next_after(self, anchor: float, after: float) -> float | None:
        """The first firing strictly after ``after`` (epoch seconds), None if never."""
        t = datetime.fromtimestamp(after, tz=UTC).replace(second=0, microsecond=0)
        t += timedelta(minutes=1)
        last_year = max(self.years) if self.years else 10_000
        for _ in range(_MAX_STEPS):
            if t.year > last_year:
                return None
            if self.years is not None and t.year not in self.years:
                t = datetime(t.year + 1, 1, 1, tzinfo=UTC)
                continue
            if t.month not in self.months:
                t = _next_month(t)
                continue
            if not self.day_ok(t.year, t.month, t.day):
                t = datetime(t.year, t.month, t.day, tzinfo=UTC) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t += timedelta(minutes=1)
                continue
            return t.timestamp()
        return None


Schedule = Rate | Cron


def _next_month(t: datetime) -> datetime:
    if t.month == 12:
        return datetime(t.year + 1, 1, 1, tzinfo=UTC)
    return datetime(t.year, t.month + 1, 1, tzinfo=UTC)


def _weekday(y: int, m: int, d: int) -> int:
    """1 = Sunday … 7 = Saturday."""
    return (calendar.weekday(y, m, d) + 1) % 7 + 1


def _nearest_weekday(y: int, m: int, target: int) -> int | None:
    last = calendar.monthrange(y, m)[1]
    if target > last:
        return None
    wd = _weekday(y, m, target)
    if 2 <= wd <= 6:
        return target
    if wd == 7:  # Saturday: Friday before, unless that leaves the month
        return target - 1 if target > 1 else target + 2
    return target + 1 if target < last else target - 2  # Sunday


def _dom_ok(spec: DaySpec, y: int, m: int, d: int) -> bool:
    last = calendar.monthrange(y, m)[1]
    if d in spec.days:
        return True
    if spec.last and d == last:
        return True
    if spec.last_weekday:
        day = last
        while _weekday(y, m, day) in (1, 7):
            day -= 1
        if d == day:
            return True
    return any(_nearest_weekday(y, m, n) == d for n in spec.nearest_weekday)


def _dow_ok(spec: DaySpec, y: int, m: int, d: int) -> bool:
    wd = _weekday(y, m, d)
    if wd in spec.days:
        return True
    last = calendar.monthrange(y, m)[1]
    if wd in spec.last_of_week and d + 7 > last:
        return True
    return any(wd == day and (d - 1) // 7 + 1 == k for day, k in spec.nth)


def parse(expr: str) -> Schedule:
    """A checked schedule (ScheduleError if ``expr`` is not one)."""
    m = _RATE.match(expr)
    if m:
        value, unit = int(m.group(1)), m.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleError()
        return Rate(value * _UNIT[unit.rstrip("s")])
    m = _CRON.match(expr)
    if not m:
        raise ScheduleError()
    fields = m.group(1).split()
    if len(fields) != 6:
        raise ScheduleError()
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleError()
    return Cron(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        months=_field(month, 1, 12, _MONTHS),
        years=None if year == "*" else _field(year, 1970, 2199),
        dom=None if dom == "?" else _dom(dom),
        dow=None if dow == "?" else _dow(dow),
    )


def _value(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> int:
    if names is not None and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ScheduleError()
    n = int(text)
    if not lo <= n <= hi:
        raise ScheduleError()
    return n


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        out |= _part(part, lo, hi, names)
    return frozenset(out)


def _part(part: str, lo: int, hi: int, names: dict[str, int] | None) -> set[int]:
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise ScheduleError()
        step = int(step_text)
    if base == "*":
        start, end = lo, hi
    elif "-" in base:
        a, _, b = base.partition("-")
        start, end = _value(a, lo, hi, names), _value(b, lo, hi, names)
    else:
        start = _value(base, lo, hi, names)
        end = hi if slash else start
    if start <= end:
        return set(range(start, end + 1, step))
    # a range that wraps (FRI-MON, NOV-FEB)
    span = list(range(start, hi + 1)) + list(range(lo, end + 1))
    return set(span[::step])


def _dom(text: str) -> DaySpec:
    days: set[int] = set()
    nearest: set[int] = set()
    last = last_weekday = False
    for part in text.split(","):
        if part == "L":
            last = True
        elif part == "LW":
            last_weekday = True
        elif part.endswith("W"):
            nearest.add(_value(part[:-1], 1, 31))
        else:
            days |= _part(part, 1, 31, None)
    return DaySpec(frozenset(days), last, last_weekday, frozenset(nearest))


def _dow(text: str) -> DaySpec:
    days: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for part in text.split(","):
        if part == "L":
            days.add(7)
        elif part.endswith("L"):
            last_of.add(_value(part[:-1], 1, 7, _DAYS))
        elif "#" in part:
            day, _, k = part.partition("#")
            nth.add((_value(day, 1, 7, _DAYS), _value(k, 1, 5)))
        else:
            days |= _part(part, 1, 7, _DAYS)
    return DaySpec(frozenset(days), last_of_week=frozenset(last_of), nth=frozenset(nth))


def next_fire(schedule: Schedule, anchor: float, after: float) -> float | None:
    """When ``schedule`` (counted from ``anchor`` for rates) next fires after ``after``."""
    return schedule.next_after(anchor, after)
