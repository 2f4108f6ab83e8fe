"""Subscription filter policies: checking them and matching messages against them.

SNS reads filter policies with the same rule engine as EventBridge (AWS's event-ruler),
so a policy is parsed and matched by :mod:`cargobay.services.events.pattern_check` and
:mod:`cargobay.services.events.pattern`, and this module adds only where SNS differs
(Developer Guide, "Amazon SNS subscription filter policies", "Filter policy
constraints", "Key matching", "String value matching", "Numeric value matching"):

- operators: exact values, ``prefix``, ``suffix``, ``equals-ignore-case``,
  ``anything-but`` (values, or ``{"prefix": …}``), ``numeric``, ``exists``, ``cidr``
  and ``$or``; EventBridge's ``wildcard``, ``exactly``, ``anything-but`` with
  ``suffix``/``equals-ignore-case``/``wildcard`` and case-insensitive prefix/suffix are
  refused;
- at most five keys (top-level keys; for ``$or``, its widest alternative), at most 150
  combinations (the product of every array's size, a nested key's array counted times
  its depth), numeric operands within ±1e9;
- scope ``MessageAttributes`` (the default): no nesting; a key names a message attribute
  (dots are part of the name); String attributes are strings, Number attributes numbers,
  String.Array attributes arrays (any element may match); Binary attributes are ignored;
  a message without attributes matches no policy ("exists: false only matches if at
  least one attribute is present");
- scope ``MessageBody``: the body must be a JSON object, matched like an event (nested
  keys, arrays);
- ``"exists": true`` needs a non-null, non-empty value: a property that holds null,
  ``""`` or ``[]`` counts as absent for a key that is matched only with ``exists``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from cargobay.services.events.pattern import Matcher, compile_pattern
from cargobay.services.events.pattern_check import Node, PatternError
from cargobay.services.sns.errors import InvalidParameter

MAX_KEYS = 5
MAX_COMBINATIONS = 150
NUMERIC_LIMIT = 1e9
SCOPES = ("MessageAttributes", "MessageBody")

#: stands in for "." in attribute names, which the ruler would read as nesting
_DOT = "\x1f"
_SNS_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric",
                  "exists", "cidr"}


@dataclass(frozen=True)
class FilterPolicy:
    text: str
    scope: str
    matcher: Matcher
    #: paths matched only with ``exists`` (null / "" / [] count as absent there)
    exists_only: tuple[tuple[str, ...], ...]

    def matches_attributes(self, attributes: dict[str, dict[str, Any]]) -> bool:
        """Whether a message with these attributes (Publish's MessageAttributes shape:
        DataType, StringValue / BinaryValue) gets through."""
        doc = attribute_document(attributes)
        if not doc:
            return False
        return self.matcher.matches(self._clean(doc))

    def matches_body(self, body: str) -> bool:
        try:
            doc = json.loads(body)
        except ValueError:
            return False
        if not isinstance(doc, dict):
            return False
        return self.matcher.matches(self._clean(doc))

    def matches(self, body: str, attributes: dict[str, dict[str, Any]]) -> bool:
        if self.scope == "MessageBody":
            return self.matches_body(body)
        return self.matches_attributes(attributes)

    def _clean(self, doc: dict[str, Any]) -> dict[str, Any]:
        if not self.exists_only:
            return doc
        for path in self.exists_only:
            if _has_empty(doc, path):
                doc = json.loads(json.dumps(doc))
                for p in self.exists_only:
                    _drop_empty(doc, p)
                break
        return doc


def attribute_document(attributes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Message attributes as the JSON object a policy is matched against."""
    out: dict[str, Any] = {}
    for name, attr in attributes.items():
        base = str(attr.get("DataType", "")).split(".", 1)[0]
        full = str(attr.get("DataType", ""))
        text = attr.get("StringValue")
        if base == "Binary" or text is None:
            continue
        key = name.replace(".", _DOT)
        if full == "String.Array":
            try:
                out[key] = json.loads(text)
            except ValueError:
                continue
        elif base == "Number":
            number = _number(text)
            if number is not None:
                out[key] = number
        else:
            out[key] = text
    return out


def _number(text: str) -> int | float | None:
    try:
        f = float(text)
    except ValueError:
        return None
    if not math.isfinite(f):
        return None
    return int(f) if f.is_integer() and abs(f) < 2**53 else f


def _is_empty(v: Any) -> bool:
    return v is None or v == "" or v == []


def _has_empty(obj: Any, path: tuple[str, ...]) -> bool:
    if isinstance(obj, list):
        return any(_has_empty(o, path) for o in obj)
    if not isinstance(obj, dict) or path[0] not in obj:
        return False
    v = obj[path[0]]
    if len(path) == 1:
        return _is_empty(v)
    return _has_empty(v, path[1:])


def _drop_empty(obj: Any, path: tuple[str, ...]) -> None:
    if isinstance(obj, list):
        for o in obj:
            _drop_empty(o, path)
        return
    if not isinstance(obj, dict) or path[0] not in obj:
        return
    if len(path) == 1:
        if _is_empty(obj[path[0]]):
            del obj[path[0]]
        return
    _drop_empty(obj[path[0]], path[1:])


# -- checking ------------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, reason: str, bare: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        #: worded without the "FilterPolicy: " prefix
        self.bare = bare


def check_policy(text: str, scope: str, *, on_subscribe: bool) -> FilterPolicy | None:
    """The policy ``text`` for ``scope`` checked and compiled; None for an empty policy
    (no filtering).  InvalidParameter with SNS's wording for a bad one."""
    lead = "Invalid parameter: Attributes Reason: " if on_subscribe else "Invalid parameter: "
    if not text.strip():
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidParameter(f"{lead}FilterPolicy: failed to parse JSON.") from None
    if doc == {}:
        return None
    try:
        return _compile(doc, scope)
    except _Refused as e:
        raise InvalidParameter(lead + (e.reason if e.bare else f"FilterPolicy: {e.reason}")
                               ) from None
    except PatternError as e:
        raise InvalidParameter(f"{lead}FilterPolicy: {e.reason}") from None


def _compile(doc: Any, scope: str) -> FilterPolicy:
    if not isinstance(doc, dict):
        raise _Refused("Filter is not an object")
    if scope == "MessageAttributes":
        _no_nesting(doc)
        doc = _escape_dots(doc)
    _check_operators(doc)
    if _key_count(doc) > MAX_KEYS:
        raise _Refused("Filter policy can not have more than 5 keys")
    text = json.dumps(doc)
    matcher = compile_pattern(text)
    if _combinations(doc, 1) > MAX_COMBINATIONS:
        raise _Refused("Filter policy is too complex")
    kinds: dict[tuple[str, ...], set[str]] = {}
    _leaf_kinds(matcher.node, (), kinds)
    exists_only = tuple(sorted(p for p, k in kinds.items() if k == {"exists"}))
    return FilterPolicy(text, scope, matcher, exists_only)


def _no_nesting(doc: dict[str, Any]) -> None:
    for name, value in doc.items():
        if name == "$or" and isinstance(value, list):
            for alt in value:
                if isinstance(alt, dict):
                    _no_nesting(alt)
        elif isinstance(value, dict):
            raise _Refused(
                "Filter policy scope MessageAttributes does not support nested filter policy",
                bare=True,
            )


def _escape_dots(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {(k if k == "$or" else k.replace(".", _DOT)): (
            [_escape_dots(a) for a in v] if k == "$or" and isinstance(v, list) else v)
            for k, v in doc.items()}
    return doc


def _check_operators(doc: Any) -> None:
    """SNS's operator set (the ruler checks the rest)."""
    if isinstance(doc, list):
        for v in doc:
            if isinstance(v, dict):
                _check_expression(v)
        return
    if isinstance(doc, dict):
        for name, value in doc.items():
            if name == "$or" and isinstance(value, list):
                for alt in value:
                    _check_operators(alt)
            elif isinstance(value, (dict, list)):
                _check_operators(value)


def _check_expression(expr: dict[str, Any]) -> None:
    if not expr:
        return
    op, value = next(iter(expr.items()))
    if op not in _SNS_OPERATORS:
        raise _Refused(f"Unrecognized match type {op}")
    if op in ("prefix", "suffix", "equals-ignore-case") and not isinstance(value, str):
        raise _Refused(f"{op} match pattern must be a string")
    if op == "anything-but" and isinstance(value, dict) and value:
        inner = next(iter(value))
        if inner != "prefix":
            raise _Refused(f"Unsupported anything-but pattern: {inner}")
    if op == "numeric" and isinstance(value, list):
        for v in value:
            if isinstance(v, (int, float)) and not isinstance(v, bool) and (
                    abs(v) > NUMERIC_LIMIT):
                raise _Refused("Value must be between -1.0E9 and 1.0E9, inclusive")


def _key_count(doc: dict[str, Any]) -> int:
    n = 0
    for name, value in doc.items():
        if name == "$or" and isinstance(value, list):
            n += max((_key_count(a) for a in value if isinstance(a, dict)), default=0)
        else:
            n += 1
    return n


def _combinations(doc: dict[str, Any], depth: int) -> int:
    total = 1
    for name, value in doc.items():
        if name == "$or" and isinstance(value, list):
            total *= sum(_combinations(a, depth) for a in value if isinstance(a, dict))
        elif isinstance(value, dict):
            total *= _combinations(value, depth + 1)
        elif isinstance(value, list):
            total *= len(value) * depth
    return total


def _leaf_kinds(node: Node, path: tuple[str, ...], out: dict[tuple[str, ...], set[str]]
                ) -> None:
    for name, f in node.fields.items():
        p = (*path, name)
        if f.leaf is not None:
            out.setdefault(p, set()).update(m.kind for m in f.leaf)
        if f.child is not None:
            _leaf_kinds(f.child, p, out)
    for alts in node.ors:
        for alt in alts:
            _leaf_kinds(alt, path, out)
