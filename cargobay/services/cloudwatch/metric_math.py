"""Metric math: the expression language of GetMetricData and metric-math alarms.

Supported (User Guide, "Using math expressions with CloudWatch metrics"): numbers,
query ids, ``+ - * / ^``, comparisons ``< <= > >= == !=`` (1 or 0), ``AND``/``OR``,
arrays ``[m1, m2]``, ``METRICS()`` / ``METRICS("id part")``, and the functions
SUM, AVG, MIN, MAX (of an array: one series, point by point; of one series: a
scalar), STDDEV and DATAPOINT_COUNT (the same way), ABS, CEIL, FLOOR, LOG, LOG10,
DIFF, DIFF_TIME, RATE (per second), RUNNING_SUM, PERIOD, TIME_SERIES(scalar),
IF(condition, a[, b]) and FILL(series, value | REPEAT | LINEAR).

Values are scalars (float), time series (``dict`` timestamp → value) or arrays of
series.  Arithmetic between two series keeps the timestamps both have.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cargobay.services.cloudwatch.errors import ValidationError

TS = dict[float, float]
Value = float | TS | list[TS]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<str>\"[^\"]*\")|(?P<op><=|>=|==|!=|[-+*/^(),\[\]<>]))")


class MathError(ValidationError):
    pass


@dataclass
class Tok:
    kind: str
    text: str


def tokenize(expr: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise MathError(f"Unrecognized token at position {pos + 1} in '{expr}'.")
        kind = m.lastgroup or "op"
        out.append(Tok(kind, m.group(kind)))
        pos = m.end()
    return out


class Evaluator:
    """Evaluates one expression against named values (other queries' results)."""

    def __init__(self, lookup: Callable[[str], Value], ids: Sequence[str],
                 grid: Sequence[float], period: float = 60.0) -> None:
        self.lookup = lookup
        self.ids = ids
        self.grid = grid
        self.period = float(period)
        self.toks: list[Tok] = []
        self.i = 0

    def run(self, expr: str) -> Value:
        self.toks = tokenize(expr)
        self.i = 0
        if not self.toks:
            raise MathError("The expression is empty.")
        try:
            v = self._or()
        except RecursionError:
            raise MathError(f"The expression '{expr[:40]}…' is nested too deeply.") from None
        if self.i != len(self.toks):
            raise MathError(f"Unexpected '{self.toks[self.i].text}' in '{expr}'.")
        return v

    # -- parsing -------------------------------------------------------------------------
    def _peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self, text: str | None = None) -> Tok:
        t = self._peek()
        if t is None or (text is not None and t.text.upper() != text):
            raise MathError(f"Expected '{text}'" if text else "Unexpected end of expression.")
        self.i += 1
        return t

    def _is(self, *texts: str) -> bool:
        t = self._peek()
        return t is not None and t.kind in ("op", "id") and t.text.upper() in texts

    def _or(self) -> Value:
        v = self._and()
        while self._is("OR"):
            self._take()
            v = binary(v, self._and(), lambda a, b: float(bool(a) or bool(b)))
        return v

    def _and(self) -> Value:
        v = self._cmp()
        while self._is("AND"):
            self._take()
            v = binary(v, self._cmp(), lambda a, b: float(bool(a) and bool(b)))
        return v

    def _cmp(self) -> Value:
        v = self._add()
        if self._is("<", "<=", ">", ">=", "==", "!="):
            op = self._take().text
            v = binary(v, self._add(), COMPARE[op])
        return v

    def _add(self) -> Value:
        v = self._mul()
        while self._is("+", "-"):
            op = self._take().text
            rhs = self._mul()
            v = binary(v, rhs, (lambda a, b: a + b) if op == "+" else (lambda a, b: a - b))
        return v

    def _mul(self) -> Value:
        v = self._unary()
        while self._is("*", "/"):
            op = self._take().text
            rhs = self._unary()
            v = binary(v, rhs, (lambda a, b: a * b) if op == "*" else _div)
        return v

    def _unary(self) -> Value:
        if self._is("-"):
            self._take()
            return binary(0.0, self._unary(), lambda a, b: a - b)
        v = self._atom()
        if self._is("^"):
            self._take()
            v = binary(v, self._unary(), _pow)
        return v

    def _atom(self) -> Value:
        t = self._take()
        if t.kind == "num":
            return float(t.text)
        if t.text == "(":
            v = self._or()
            self._take(")")
            return v
        if t.text == "[":
            items = [self._or()]
            while self._is(","):
                self._take()
                items.append(self._or())
            self._take("]")
            return flatten(items)
        if t.kind == "id":
            if self._is("("):
                return self._call(t.text.upper())
            return self.lookup(t.text)
        raise MathError(f"Unexpected '{t.text}'.")

    def _call(self, fn: str) -> Value:
        self._take("(")
        args: list[Value | str] = []
        while not self._is(")"):
            t = self._peek()
            if t is not None and t.kind == "str":
                self._take()
                args.append(t.text.strip('"'))
            elif t is not None and t.kind == "id" and t.text.upper() in ("REPEAT", "LINEAR"):
                self._take()
                args.append(t.text.upper())
            else:
                args.append(self._or())
            if not self._is(","):
                break
            self._take(",")
        self._take(")")
        return self._apply(fn, args)

    # -- functions -----------------------------------------------------------------------
    def _apply(self, fn: str, args: list[Value | str]) -> Value:
        if fn == "METRICS":
            part = args[0] if args and isinstance(args[0], str) else ""
            return flatten([self.lookup(i) for i in self.ids if part in i])
        vals = [a for a in args if not isinstance(a, str)]
        if fn in AGGREGATES:
            if len(args) != 1 or not vals:
                raise MathError(f"{fn} takes one argument.")
            return aggregate(vals[0], AGGREGATES[fn])
        if fn in UNARY and len(args) == 1 and vals:
            return unary(vals[0], UNARY[fn])
        if fn in SEQUENTIAL and len(args) == 1 and vals:
            return _each(vals[0], SEQUENTIAL[fn])
        if fn == "STDDEV" and len(args) == 1 and vals:
            return aggregate(vals[0], _stddev)
        if fn == "DATAPOINT_COUNT" and len(args) == 1 and vals:
            return aggregate(vals[0], lambda xs: float(len(xs)))
        if fn == "PERIOD" and len(args) == 1 and vals:
            return self.period
        if fn == "TIME_SERIES" and len(args) == 1 and isinstance(vals[0], float):
            return {t: vals[0] for t in self.grid}
        if fn == "IF" and len(vals) in (2, 3):
            return if_(vals[0], vals[1], vals[2] if len(vals) == 3 else None)
        if fn == "FILL" and len(args) == 2 and not isinstance(args[0], str):
            return self._fill(args[0], args[1])
        raise MathError(f"Unsupported function or arguments: {fn}.")

    def _fill(self, series: Value, how: Value | str) -> Value:
        if isinstance(series, list):
            return [self._fill_one(s, how) for s in series]
        if not isinstance(series, dict):
            raise MathError("FILL takes a time series.")
        return self._fill_one(series, how)

    def _fill_one(self, s: TS, how: Value | str) -> TS:
        out: TS = {}
        known = sorted(s)
        for t in self.grid:
            if t in s:
                out[t] = s[t]
            elif how == "REPEAT":
                prev = [k for k in known if k < t]
                if prev:
                    out[t] = s[prev[-1]]
            elif how == "LINEAR":
                prev = [k for k in known if k < t]
                nxt = [k for k in known if k > t]
                if prev and nxt:
                    a, b = prev[-1], nxt[0]
                    out[t] = s[a] + (s[b] - s[a]) * (t - a) / (b - a)
            elif isinstance(how, float):
                out[t] = how
            elif isinstance(how, dict) and t in how:
                out[t] = how[t]
        return out


def _div(a: float, b: float) -> float:
    if b == 0:
        return math.nan
    return a / b


def _pow(a: float, b: float) -> float:
    try:
        r = a ** b
    except (OverflowError, ZeroDivisionError):
        return math.nan
    return r if isinstance(r, float) else math.nan


COMPARE: dict[str, Callable[[float, float], float]] = {
    "<": lambda a, b: float(a < b), "<=": lambda a, b: float(a <= b),
    ">": lambda a, b: float(a > b), ">=": lambda a, b: float(a >= b),
    "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b),
}

def _log(fn: Callable[[float], float]) -> Callable[[float], float]:
    def safe(x: float) -> float:
        return fn(x) if x > 0 else math.nan
    return safe


UNARY: dict[str, Callable[[float], float]] = {
    "ABS": abs, "CEIL": lambda x: float(math.ceil(x)), "FLOOR": lambda x: float(math.floor(x)),
    "LOG": _log(math.log), "LOG10": _log(math.log10),
}


def _diff(points: list[tuple[float, float]]) -> TS:
    return {t: v - points[i - 1][1] for i, (t, v) in enumerate(points) if i}


def _diff_time(points: list[tuple[float, float]]) -> TS:
    return {t: t - points[i - 1][0] for i, (t, _) in enumerate(points) if i}


def _rate(points: list[tuple[float, float]]) -> TS:
    return {t: (v - points[i - 1][1]) / (t - points[i - 1][0])
            for i, (t, v) in enumerate(points) if i}


def _running_sum(points: list[tuple[float, float]]) -> TS:
    out: TS = {}
    total = 0.0
    for t, v in points:
        total += v
        out[t] = total
    return out


SEQUENTIAL: dict[str, Callable[[list[tuple[float, float]]], TS]] = {
    "DIFF": _diff, "DIFF_TIME": _diff_time, "RATE": _rate, "RUNNING_SUM": _running_sum,
}


def _each(v: Value, fn: Callable[[list[tuple[float, float]]], TS]) -> Value:
    if isinstance(v, float):
        raise MathError("This function takes a time series.")
    if isinstance(v, list):
        return [fn(sorted(s.items())) for s in v]
    return fn(sorted(v.items()))


def _stddev(xs: list[float]) -> float:
    mean = sum(xs) / len(xs)
    return math.sqrt(sum((x - mean) ** 2 for x in xs) / len(xs))


AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum, "AVG": lambda xs: sum(xs) / len(xs), "MIN": min, "MAX": max,
}


def flatten(items: Sequence[Value]) -> list[TS]:
    out: list[TS] = []
    for v in items:
        if isinstance(v, list):
            out.extend(v)
        elif isinstance(v, dict):
            out.append(v)
        else:
            raise MathError("An array may only hold time series.")
    return out


def binary(a: Value, b: Value, op: Callable[[float, float], float]) -> Value:
    if isinstance(a, list):
        return [_series(x, b, op) for x in a]
    if isinstance(b, list):
        return [_series(a, y, op) for y in b]
    if isinstance(a, float) and isinstance(b, float):
        return op(a, b)
    return _series(a, b, op)


def _series(a: float | TS, b: Value, op: Callable[[float, float], float]) -> TS:
    if isinstance(b, list):
        raise MathError("Cannot combine an array with an array.")
    if isinstance(a, dict) and isinstance(b, dict):
        return {t: op(v, b[t]) for t, v in a.items() if t in b}
    if isinstance(a, dict):
        assert isinstance(b, float)
        return {t: op(v, b) for t, v in a.items()}
    assert isinstance(b, dict)
    return {t: op(a, v) for t, v in b.items()}


def unary(a: Value, op: Callable[[float], float]) -> Value:
    if isinstance(a, list):
        return [{t: op(v) for t, v in s.items()} for s in a]
    if isinstance(a, dict):
        return {t: op(v) for t, v in a.items()}
    return op(a)


def aggregate(v: Value, fn: Callable[[list[float]], float]) -> Value:
    if isinstance(v, float):
        return v
    if isinstance(v, dict):
        vals = [x for x in v.values() if not math.isnan(x)]
        return fn(vals) if vals else math.nan
    by_time: dict[float, list[float]] = {}
    for s in v:
        for t, x in s.items():
            if not math.isnan(x):
                by_time.setdefault(t, []).append(x)
    return {t: fn(xs) for t, xs in sorted(by_time.items())}


def if_(cond: Value, a: Value, b: Value | None) -> Value:
    if isinstance(cond, list) or isinstance(a, list) or isinstance(b, list):
        raise MathError("IF takes time series or scalars, not arrays.")
    if isinstance(cond, float):
        return a if cond else (b if b is not None else math.nan)
    out: TS = {}
    for t, c in cond.items():
        pick = a if c else b
        if pick is None:
            continue
        if isinstance(pick, float):
            out[t] = pick
        elif t in pick:
            out[t] = pick[t]
    return out
