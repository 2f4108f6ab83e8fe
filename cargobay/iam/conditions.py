"""The Condition element: operators, and how one condition is decided.

IAM User Guide, "IAM JSON policy elements: Condition operators" and "Conditions with
multiple context keys or values":

- operators of one block are ANDed; the keys of one operator are ANDed; the values of
  one key are ORed (NORed for a negated operator such as ``StringNotEquals``);
- a key the request does not have makes the condition false, or true for a negated
  operator; ``...IfExists`` makes it true; ``Null`` tests presence itself;
- ``ForAllValues:`` is true when every request value matches some policy value (and
  when the key is absent or empty); ``ForAnyValue:`` when at least one does (false when
  absent).
"""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.errors import MalformedPolicyDocument
from cargobay.iam.policy_variables import has_variables, substitute, substitute_pattern
from cargobay.iam.wildcards import arn_match, glob_match

Match = Callable[[str, str], bool]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """An IAM date (ISO 8601, date only, or epoch seconds) as epoch seconds."""
    text = text.strip()
    if not text:
        return None
    n = _number(text)
    if n is not None:
        return n
    t = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        d = datetime.fromisoformat(t)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.timestamp()


def _num_cmp(cmp: Callable[[float, float], bool]) -> Match:
    def match(req: str, pol: str) -> bool:
        a, b = _number(req), _number(pol)
        return a is not None and b is not None and cmp(a, b)

    return match


def _date_cmp(cmp: Callable[[float, float], bool]) -> Match:
    def match(req: str, pol: str) -> bool:
        a, b = parse_date(req), parse_date(pol)
        return a is not None and b is not None and cmp(a, b)

    return match


def _ip(req: str, pol: str) -> bool:
    try:
        net = ipaddress.ip_network(pol, strict=False)
        return ipaddress.ip_address(req) in net
    except ValueError:
        return False


def _binary(req: str, pol: str) -> bool:
    try:
        return base64.b64decode(req, validate=True) == base64.b64decode(pol, validate=True)
    except (binascii.Error, ValueError):
        return False


@dataclass(frozen=True)
class Operator:
    name: str
    match: Match
    #: a "Not" operator: true when the key is absent, NOR over the values
    negated: bool
    #: values may hold wildcards (StringLike, ArnLike…)
    wildcards: bool = False
    ignore_case: bool = False
    #: values may hold policy variables
    variables: bool = False
    #: how each policy value is checked when the policy is stored (None: any text)
    check: Callable[[str], bool] | None = None


def _eq(a: str, b: str) -> bool:
    return a == b


def _eq_ic(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _like(a: str, b: str) -> bool:
    return glob_match(b, a)


def _arn(a: str, b: str) -> bool:
    return arn_match(b, a)


def _bool(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _is_number(v: str) -> bool:
    return _number(v) is not None


def _is_date(v: str) -> bool:
    return parse_date(v) is not None


def _is_bool(v: str) -> bool:
    return v.lower() in ("true", "false")


def _is_network(v: str) -> bool:
    try:
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        return False
    return True


def _ops() -> dict[str, Operator]:
    ops = [
        Operator("StringEquals", _eq, False, variables=True),
        Operator("StringNotEquals", _eq, True, variables=True),
        Operator("StringEqualsIgnoreCase", _eq_ic, False, ignore_case=True, variables=True),
        Operator("StringNotEqualsIgnoreCase", _eq_ic, True, ignore_case=True, variables=True),
        Operator("StringLike", _like, False, wildcards=True, variables=True),
        Operator("StringNotLike", _like, True, wildcards=True, variables=True),
        Operator("NumericEquals", _num_cmp(lambda a, b: a == b), False, check=_is_number),
        Operator("NumericNotEquals", _num_cmp(lambda a, b: a == b), True, check=_is_number),
        Operator("NumericLessThan", _num_cmp(lambda a, b: a < b), False, check=_is_number),
        Operator("NumericLessThanEquals", _num_cmp(lambda a, b: a <= b), False, check=_is_number),
        Operator("NumericGreaterThan", _num_cmp(lambda a, b: a > b), False, check=_is_number),
        Operator(
            "NumericGreaterThanEquals", _num_cmp(lambda a, b: a >= b), False, check=_is_number
        ),
        Operator("DateEquals", _date_cmp(lambda a, b: a == b), False, check=_is_date),
        Operator("DateNotEquals", _date_cmp(lambda a, b: a == b), True, check=_is_date),
        Operator("DateLessThan", _date_cmp(lambda a, b: a < b), False, check=_is_date),
        Operator("DateLessThanEquals", _date_cmp(lambda a, b: a <= b), False, check=_is_date),
        Operator("DateGreaterThan", _date_cmp(lambda a, b: a > b), False, check=_is_date),
        Operator("DateGreaterThanEquals", _date_cmp(lambda a, b: a >= b), False, check=_is_date),
        Operator("Bool", _bool, False, check=_is_bool),
        Operator("BinaryEquals", _binary, False),
        Operator("IpAddress", _ip, False, check=_is_network),
        Operator("NotIpAddress", _ip, True, check=_is_network),
        Operator("ArnEquals", _arn, False, wildcards=True, variables=True),
        Operator("ArnLike", _arn, False, wildcards=True, variables=True),
        Operator("ArnNotEquals", _arn, True, wildcards=True, variables=True),
        Operator("ArnNotLike", _arn, True, wildcards=True, variables=True),
    ]
    return {op.name.lower(): op for op in ops}


OPERATORS = _ops()
NULL = "null"


@dataclass(frozen=True)
class Condition:
    operator: Operator | None  # None: Null
    key: str  # lower-cased
    values: tuple[str, ...]
    qualifier: str | None = None  # "forallvalues" | "foranyvalue"
    if_exists: bool = False
    has_variables: bool = False


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise MalformedPolicyDocument("Syntax errors in policy.")


def parse_block(block: object, variables_allowed: bool) -> tuple[Condition, ...]:
    """A statement's Condition element, checked (raises MalformedPolicyDocument)."""
    if not isinstance(block, dict):
        raise MalformedPolicyDocument("Syntax errors in policy.")
    out: list[Condition] = []
    for raw_name, keys in block.items():
        qualifier: str | None = None
        name = str(raw_name)
        lower = name.lower()
        for q in ("forallvalues:", "foranyvalue:"):
            if lower.startswith(q):
                qualifier = q[:-1]
                lower = lower[len(q) :]
        if_exists = lower.endswith("ifexists") and lower != "ifexists"
        if if_exists:
            lower = lower[: -len("ifexists")]
        op = OPERATORS.get(lower)
        if op is None and not (lower == NULL and not if_exists and qualifier is None):
            raise MalformedPolicyDocument(f"Invalid Condition type : {name}")
        if not isinstance(keys, dict) or not keys:
            raise MalformedPolicyDocument("Syntax errors in policy.")
        for key, raw in keys.items():
            items = raw if isinstance(raw, list) else [raw]
            values = tuple(_text(v) for v in items)
            if not values:
                raise MalformedPolicyDocument("Syntax errors in policy.")
            if op is None and any(v.lower() not in ("true", "false") for v in values):
                raise MalformedPolicyDocument(f"Invalid Condition value for Null: {raw}")
            if op is not None and op.check is not None:
                for v in values:
                    if not op.check(v):
                        raise MalformedPolicyDocument(
                            f"Invalid Condition value for {op.name}: {v}"
                        )
            out.append(
                Condition(
                    op,
                    str(key).lower(),
                    values,
                    qualifier,
                    if_exists,
                    variables_allowed
                    and op is not None
                    and op.variables
                    and any(has_variables(v) for v in values),
                )
            )
    return tuple(out)


def _policy_values(cond: Condition, ctx: ConditionContext) -> list[str] | list[object]:
    """The condition's values for this request (variables replaced; unresolvable ones
    dropped).  Wildcard operators get compiled patterns for values with variables."""
    if not cond.has_variables:
        return list(cond.values)
    op = cond.operator
    assert op is not None
    out: list[object] = []
    for v in cond.values:
        if not has_variables(v):
            out.append(v)
        elif op.wildcards and op.match is _like:
            pattern = substitute_pattern(v, ctx, op.ignore_case)
            if pattern is not None:
                out.append(pattern)
        else:
            text = substitute(v, ctx)
            if text is not None:
                out.append(text)
    return out


def _matches(op: Operator, req: str, pol: object) -> bool:
    if isinstance(pol, str):
        return op.match(req, pol)
    return pol.fullmatch(req) is not None  # type: ignore[attr-defined]


def holds(cond: Condition, ctx: ConditionContext) -> bool:
    """Whether one condition (operator + key + values) is true for the request."""
    req = ctx.get(cond.key)
    present = bool(req)
    if cond.qualifier is not None and req == [""]:
        present = False  # "a null data set, such as an empty string"
    op = cond.operator
    if op is None:  # Null: "true" means the key must be absent
        return any((v.lower() == "true") != present for v in cond.values)
    if not present:
        if cond.if_exists or cond.qualifier == "forallvalues":
            return True
        if cond.qualifier == "foranyvalue":
            return False
        return op.negated
    assert req is not None
    pol = _policy_values(cond, ctx)

    def hit(r: str) -> bool:
        return any(_matches(op, r, p) for p in pol)

    if cond.qualifier == "forallvalues":
        return all((not hit(r)) if op.negated else hit(r) for r in req)
    if cond.qualifier == "foranyvalue":
        return any((not hit(r)) if op.negated else hit(r) for r in req)
    found = any(hit(r) for r in req)
    return not found if op.negated else found


def all_hold(conditions: tuple[Condition, ...], ctx: ConditionContext) -> bool:
    return all(holds(c, ctx) for c in conditions)
