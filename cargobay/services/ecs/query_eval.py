"""Evaluating a cluster query language expression (query_language.py) against one
container instance's facts.

- ``attribute:<name>``: a missing attribute equals nothing (``==``, ``in``, ``=~`` and
  the ordering operators are false; ``!=``, ``!in``, ``!~`` true); values compare as
  numbers when both sides are numbers, else part by part as dotted versions.
- ``agentConnected``: ``true``/``false``, any case; ``agentVersion``: dotted versions;
  ``runningTasksCount``: numbers; ``registeredAt``: a date alone compares by day, a date
  and time by the second.
- ``task:group``: true when any task on the instance satisfies the comparison (its
  negations: when none does).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cargobay.services.ecs.query_language import (
    BoolOp,
    Compare,
    Expr,
    InstanceFacts,
    Not,
    parse,
    parse_date,
    regex,
)


def evaluate(expr: Expr, facts: InstanceFacts) -> bool:
    if isinstance(expr, Not):
        return not evaluate(expr.inner, facts)
    if isinstance(expr, BoolOp):
        if expr.op == "and":
            return evaluate(expr.left, facts) and evaluate(expr.right, facts)
        return evaluate(expr.left, facts) or evaluate(expr.right, facts)
    return _compare(expr, facts)


def matches(text: str, facts: InstanceFacts) -> bool:
    return evaluate(parse(text), facts)


def _compare(c: Compare, f: InstanceFacts) -> bool:
    if c.subject == "task:group":
        return _any_of(c, list(f.task_groups))
    if c.subject.startswith("attribute:"):
        name = c.subject[len("attribute:") :]
        if c.op == "exists":
            return name in f.attributes
        if c.op == "!exists":
            return name not in f.attributes
        if name not in f.attributes:
            return c.op in ("!=", "!in", "!~")
        return _scalar(c, f.attributes[name] or "", ordered=True)
    if c.subject == "agentConnected":
        return _scalar(c, "true" if f.agent_connected else "false", fold=True)
    if c.subject == "ec2InstanceId":
        return _scalar(c, f.ec2_instance_id)
    if c.subject == "agentVersion":
        return _ordered(c.op, _version(f.agent_version), _version(_single(c)))
    if c.subject == "runningTasksCount":
        return _ordered(c.op, f.running_tasks_count, int(_single(c)))
    # registeredAt: a date alone compares by day, a date and time by the second
    text = _single(c)
    when, day_only = parse_date(text)
    ours = datetime.fromtimestamp(f.registered_at, tz=UTC)
    if day_only:
        return _ordered(c.op, ours.date().toordinal(), when.date().toordinal())
    return _ordered(c.op, int(f.registered_at), int(when.timestamp()))


def _single(c: Compare) -> str:
    return c.arg if isinstance(c.arg, str) else ""


def _any_of(c: Compare, values: list[str]) -> bool:
    """``task:group``: does any task on the instance satisfy the comparison?"""
    if c.op == "exists":
        return bool(values)
    if c.op == "!exists":
        return not values
    negated = {"!=": "==", "!in": "in", "!~": "=~"}
    if c.op in negated:
        return not _any_of(Compare(c.subject, negated[c.op], c.arg), values)
    return any(_scalar(c, v) for v in values)


def _scalar(c: Compare, value: str, *, ordered: bool = False, fold: bool = False) -> bool:
    def norm(s: str) -> str:
        return s.lower() if fold else s

    if c.op in ("==", "!="):
        same = norm(value) == norm(_single(c))
        return same if c.op == "==" else not same
    if c.op in ("in", "!in"):
        args = c.arg if isinstance(c.arg, tuple) else ()
        inside = norm(value) in {norm(a) for a in args}
        return inside if c.op == "in" else not inside
    if c.op in ("=~", "!~"):
        hit = regex(_single(c)).fullmatch(value) is not None
        return hit if c.op == "=~" else not hit
    if not ordered:
        return False
    try:
        return _ordered(c.op, float(value), float(_single(c)))
    except ValueError:
        # not both numbers: dotted versions part by part (plain text is one part)
        return _ordered(c.op, _version(value), _version(_single(c)))


def _version(text: str) -> tuple[tuple[int, object], ...]:
    parts = re.split(r"[.\-+]", text.strip().lstrip("vV"))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _ordered(op: str, left: object, right: object) -> bool:
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    try:
        if op == ">":
            return bool(left > right)  # type: ignore[operator]
        if op == ">=":
            return bool(left >= right)  # type: ignore[operator]
        if op == "<":
            return bool(left < right)  # type: ignore[operator]
        if op == "<=":
            return bool(left <= right)  # type: ignore[operator]
    except TypeError:
        return False
    return False
