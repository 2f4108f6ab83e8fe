"""Reading an event pattern: JSON text → a checked tree (:class:`Node`), or the error
EventBridge gives for it.

EventBridge reads patterns with AWS's event-ruler; a bad pattern is
``InvalidEventPatternException`` with "Event pattern is not valid. Reason: <why>", where
<why> is one of the ruler's messages (the ones below, in the order the ruler checks).
The rules ("Content filtering in Amazon EventBridge event patterns", "Comparison
operators for use in event patterns"):

- a pattern is a non-empty JSON object; each field's value is an object (nested fields)
  or a non-empty array of match values; ``$or`` takes an array of at least two objects;
- a match value is a string, a number, true, false, null, or an object with exactly one
  operator: ``prefix``, ``suffix`` (a string, or ``{"equals-ignore-case": s}``),
  ``equals-ignore-case``, ``wildcard`` (``*`` for any run of characters, ``\\*`` and
  ``\\\\`` to escape; two ``*`` in a row are refused), ``anything-but`` (a string, a
  number, a list of only strings or only numbers, or ``{"prefix"|"suffix"|
  "equals-ignore-case"|"wildcard": s or [s, ...]}``), ``numeric`` (``["=", n]``,
  ``[">"|">=", n]``, ``["<"|"<=", n]``, ``[">"|">=", a, "<"|"<=", b]`` with a < b, every
  number within ±5e9), ``exists`` (true/false), ``cidr`` (IPv4 or IPv6 with a mask),
  ``exactly`` (a string);
- inside ``$or`` the operator names are reserved and may not be field names.

Field names with dots address nested fields (``"detail.state"`` is ``detail`` →
``state``), as the ruler joins paths with dots.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

PREFIX = "Event pattern is not valid. Reason: "
LIMIT = 5e9
_RANGE_MSG = "Value must be between -5.0E9 and 5.0E9, inclusive"

OR = "$or"
RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists",
        "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range",
        "ip-address-not-in-range",
    }
)


class PatternError(ValueError):
    """A pattern the ruler refuses; ``reason`` is its message."""

    def __init__(self, reason: str) -> None:
        super().__init__(PREFIX + reason)
        self.reason = reason


@dataclass(frozen=True)
class Match:
    """One element of a field's array of match values.

    ``kind`` is one of: ``string``, ``number`` (value: float), ``literal`` (value: True,
    False or None), ``prefix``, ``suffix``, ``prefix-ic``, ``suffix-ic``, ``equals-ic``,
    ``wildcard`` (value: the pattern text), ``anything-but`` (value: tuple of strings or
    of floats), ``anything-but-prefix``/``-suffix``/``-ic``/``-wildcard`` (value: tuple
    of strings), ``numeric`` (value: (low, low_open, high, high_open), None for an open
    end; "=" is low == high, both closed), ``exists`` (value: bool), ``cidr`` (value: an
    ip_network).
    """

    kind: str
    value: Any


@dataclass
class Field:
    """What a pattern requires of one field: match values (a leaf), nested fields, or both
    (a dotted name and a nested object naming the same path)."""

    leaf: list[Match] | None = None
    child: Node | None = None


@dataclass
class Node:
    """An object in the pattern: every field must match, and every ``$or`` (one of its
    alternatives, each an object at this same level)."""

    fields: dict[str, Field] = field(default_factory=dict)
    ors: list[list[Node]] = field(default_factory=list)


def parse_pattern(text: str) -> Node:
    """The checked pattern, or PatternError."""
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise PatternError(_json_reason(e)) from None
    if not isinstance(doc, dict):
        raise PatternError("Filter is not an object")
    return _object(doc, in_or=False)


def _no_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _json_reason(e: Exception) -> str:
    if isinstance(e, json.JSONDecodeError):
        return f"{e.msg} at line {e.lineno}, column {e.colno}"
    return str(e) or "Filter is not valid JSON"


def _object(doc: dict[str, Any], *, in_or: bool) -> Node:
    if not doc:
        raise PatternError("Empty objects are not allowed")
    node = Node()
    for name, value in doc.items():
        if name == OR:
            node.ors.append(_or(value))
            continue
        if in_or and name in RESERVED_IN_OR:
            raise PatternError(
                f"{name} is Ruler reserved fieldName which cannot be used inside {OR}."
            )
        if isinstance(value, dict):
            _add(node, name, child=_object(value, in_or=in_or))
        elif isinstance(value, list):
            _add(node, name, leaf=_values(value))
        else:
            raise PatternError(f'"{name}" must be an object or an array')
    return node


def _or(value: Any) -> list[Node]:
    if not isinstance(value, list):
        raise PatternError(f"It must be an Array followed with {OR}.")
    alts: list[Node] = []
    for item in value:
        if not isinstance(item, dict):
            raise PatternError(
                f"Only JSON object is allowed in array of {OR} relationship."
            )
        alts.append(_object(item, in_or=True))
    if len(alts) < 2:
        raise PatternError(f"There must have at least 2 Objects in {OR} relationship.")
    return alts


def _add(node: Node, name: str, *, leaf: list[Match] | None = None,
         child: Node | None = None) -> None:
    """Put a field under its (possibly dotted) path; the last of two leaves wins, as in
    the ruler, and nested objects for one path merge."""
    head, dot, rest = name.partition(".")
    if dot and head and rest:
        sub = node.fields.setdefault(head, Field())
        if sub.child is None:
            sub.child = Node()
        _add(sub.child, rest, leaf=leaf, child=child)
        return
    f = node.fields.setdefault(name, Field())
    if leaf is not None:
        f.leaf = leaf
    if child is not None:
        if f.child is None:
            f.child = child
        else:
            _merge(f.child, child)


def _merge(into: Node, other: Node) -> None:
    for name, f in other.fields.items():
        _add(into, name, leaf=f.leaf, child=f.child)
    into.ors.extend(other.ors)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _token_text(v: Any) -> str:
    """How the ruler's parser shows a token in a message."""
    if isinstance(v, dict):
        return "{"
    if isinstance(v, list):
        return "["
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e16:
        return repr(v)
    return str(v)


def _values(items: list[Any]) -> list[Match]:
    out: list[Match] = []
    for v in items:
        if isinstance(v, dict):
            out.append(_expression(v))
        elif isinstance(v, str):
            out.append(Match("string", v))
        elif isinstance(v, bool) or v is None:
            out.append(Match("literal", v))
        elif _is_number(v):
            out.append(Match("number", float(v) if abs(v) <= LIMIT else v))
        else:
            raise PatternError("Match value must be String, number, true, false, or null")
    if not out:
        raise PatternError("Empty arrays are not allowed")
    return out


def _one_key(expr: dict[str, Any], message: str = "Only one key allowed in match expression"
             ) -> None:
    if len(expr) > 1:
        raise PatternError(message)


_TOO_MANY = "Too many elements in numeric expression"


def _expression(expr: dict[str, Any]) -> Match:
    if not expr:
        raise PatternError("Match expression name not found")
    kind, value = next(iter(expr.items()))
    if kind == "exactly":
        if not isinstance(value, str):
            raise PatternError("exact match pattern must be a string")
        _one_key(expr)
        return Match("string", value)
    if kind in ("prefix", "suffix"):
        if isinstance(value, dict):
            text = _ignore_case_inner(value, kind)
            _one_key(expr)
            return Match(f"{kind}-ic", text.lower())
        if not isinstance(value, str):
            raise PatternError(f"{kind} match pattern must be a string")
        _one_key(expr)
        return Match(kind, value)
    if kind == "numeric":
        if not isinstance(value, list):
            raise PatternError("Value of numeric must be an array.")
        m = _numeric(value)
        _one_key(expr, _TOO_MANY)
        return m
    if kind == "anything-but":
        m = _anything_but(value)
        _one_key(expr, _TOO_MANY)
        return m
    if kind == "exists":
        if not isinstance(value, bool):
            raise PatternError("exists match pattern must be either true or false.")
        _one_key(expr)
        return Match("exists", value)
    if kind == "cidr":
        if not isinstance(value, str):
            raise PatternError("prefix match pattern must be a string")
        net = cidr(value)
        _one_key(expr)
        return Match("cidr", net)
    if kind == "equals-ignore-case":
        if not isinstance(value, str):
            raise PatternError("equals-ignore-case match pattern must be a string")
        _one_key(expr)
        return Match("equals-ic", value.lower())
    if kind == "wildcard":
        if not isinstance(value, str):
            raise PatternError("wildcard match pattern must be a string")
        check_wildcard(value)
        _one_key(expr)
        return Match("wildcard", value)
    raise PatternError(f"Unrecognized match type {kind}")


def _ignore_case_inner(value: dict[str, Any], kind: str) -> str:
    title = kind.capitalize()
    if not value:
        raise PatternError(f"{title} expression name not found")
    op, text = next(iter(value.items()))
    if op != "equals-ignore-case":
        raise PatternError(f"Unsupported {kind} pattern: {op}")
    if not isinstance(text, str):
        raise PatternError("equals-ignore-case match pattern must be a string")
    _one_key(value)
    return text


def _number(v: Any) -> float:
    f = float(v)
    if f < -LIMIT or f > LIMIT:
        raise PatternError(_RANGE_MSG)
    return f


def _numeric(items: list[Any]) -> Match:
    if not items or not isinstance(items[0], str):
        raise PatternError(
            "Invalid member in numeric match: " + (_token_text(items[0]) if items else "]")
        )
    op = items[0]
    rest = items[1:]
    if op not in ("=", ">=", ">", "<=", "<"):
        raise PatternError(f"Unrecognized numeric range operator: {op}")
    if not rest or not _is_number(rest[0]):
        raise PatternError(f"Value of {op} must be numeric")
    first = _number(rest[0])
    if op == "=":
        if len(rest) > 1:
            raise PatternError(_TOO_MANY)
        return Match("numeric", (first, False, first, False))
    if op in ("<", "<="):
        if len(rest) > 1:
            raise PatternError(_TOO_MANY)
        return Match("numeric", (None, False, first, op == "<"))
    if len(rest) == 1:
        return Match("numeric", (first, op == ">", None, False))
    top_op = rest[1]
    if not isinstance(top_op, str):
        raise PatternError(f"Bad value in numeric range: {_token_text(top_op)}")
    if top_op not in ("<", "<="):
        raise PatternError(f"Bad numeric range operator: {top_op}")
    if len(rest) < 3 or not _is_number(rest[2]):
        raise PatternError(f"Value of {top_op} must be numeric")
    top = _number(rest[2])
    if len(rest) > 3:
        raise PatternError("Too many terms in numeric range expression")
    if first >= top:
        raise PatternError("Bottom must be less than top")
    return Match("numeric", (first, op == ">", top, top_op == "<"))


_AB_KINDS = {
    "equals-ignore-case": "anything-but-ic",
    "prefix": "anything-but-prefix",
    "suffix": "anything-but-suffix",
    "wildcard": "anything-but-wildcard",
}
_AB_VALUE = "Value of anything-but must be an array or single string/number value."


def _anything_but(value: Any) -> Match:
    if isinstance(value, dict):
        if not value:
            raise PatternError("Anything-But expression name not found")
        op, inner = next(iter(value.items()))
        kind = _AB_KINDS.get(op)
        if kind is None:
            raise PatternError(f"Unsupported anything-but pattern: {op}")
        if not (isinstance(inner, (list, str)) or _is_number(inner)):
            raise PatternError(_AB_VALUE)
        texts = [_ab_text(kind, v) for v in (inner if isinstance(inner, list) else [inner])]
        _one_key(value, _TOO_MANY)
        if kind == "anything-but-ic":
            texts = [t.lower() for t in texts]
        return Match(kind, tuple(texts))
    if isinstance(value, list):
        if any(not (isinstance(v, str) or _is_number(v)) for v in value):
            raise PatternError(
                "Inside anything but list, start|null|boolean is not supported."
            )
        strings = [v for v in value if isinstance(v, str)]
        if not value or (strings and len(strings) != len(value)):
            raise PatternError(
                "Inside anything but list, either all values are number or string, "
                "mixed type is not supported"
            )
        if strings:
            return Match("anything-but", tuple(strings))
        return Match("anything-but", tuple(_number(v) for v in value))
    if isinstance(value, str):
        return Match("anything-but", (value,))
    if _is_number(value):
        return Match("anything-but", (_number(value),))
    raise PatternError(_AB_VALUE)


def _ab_text(kind: str, v: Any) -> str:
    if not isinstance(v, str):
        if kind == "anything-but-ic":
            raise PatternError(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean "
                "is not supported."
            )
        if kind == "anything-but-wildcard":
            raise PatternError("wildcard match pattern must be a string")
        raise PatternError("prefix/suffix match pattern must be a string")
    if kind in ("anything-but-prefix", "anything-but-suffix") and not v:
        raise PatternError("Null prefix/suffix not allowed")
    if kind == "anything-but-wildcard":
        check_wildcard(v)
    return v


def check_wildcard(text: str) -> None:
    """The ruler's wildcard syntax; positions count bytes of the quoted value."""
    raw = text.encode()
    i = 0
    while i < len(raw):
        b = raw[i]
        if b == 0x2A:  # *
            if i + 1 < len(raw) and raw[i + 1] == 0x2A:
                raise PatternError(f"Consecutive wildcard characters at pos {i + 1}")
        elif b == 0x5C:  # backslash
            if i + 1 < len(raw) and raw[i + 1] in (0x2A, 0x5C):
                i += 2
                continue
            raise PatternError(f"Invalid escape character at pos {i + 1}")
        i += 1


def wildcard_parts(text: str) -> list[str]:
    """The literal pieces between unescaped ``*`` (a checked wildcard)."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i + 1])
            i += 2
            continue
        if c == "*":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IPv4 or IPv6 CIDR block, checked as the ruler checks it."""
    pieces = text.split("/")
    if len(pieces) != 2:
        raise PatternError("Malformed CIDR, one '/' required")
    addr, bits_text = pieces
    try:
        bits = int(bits_text)
    except ValueError:
        raise PatternError("Malformed CIDR, mask bits must be an integer") from None
    if bits < 0:
        raise PatternError("Malformed CIDR, mask bits must not be negative")
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        raise PatternError(f"Invalid IP address: {addr}") from None
    if ip.version == 4 and bits > 31:
        raise PatternError("IPv4 mask bits must be < 32")
    if ip.version == 6 and bits > 127:
        raise PatternError("IPv6 mask bits must be < 128")
    return ipaddress.ip_network(f"{ip}/{bits}", strict=False)
