"""Matching events against patterns: each pattern compiled once into closures.

The semantics (EventBridge User Guide, "Event patterns", "Arrays in event patterns",
"Content filtering"; AWS event-ruler):

- every field named in the pattern must match (AND); a field matches when any of its
  match values matches (OR); ``$or`` needs one of its alternatives;
- an event value that is an array matches when any element does (the intersection of
  the pattern's and the event's arrays is not empty); an array of objects is matched one
  element at a time, so the fields a nested pattern names must all match in the same
  element;
- exact values match only the same JSON type: the string "5" is not the number 5,
  true is not "true"; numbers compare by value (300 matches 3.0e2); null matches null;
- a field that is absent, or that holds an object where the pattern wants values, or an
  empty array, has no value: only ``{"exists": false}`` matches it, and every other
  operator (``anything-but`` included) needs a value;
- prefix/suffix/equals-ignore-case/wildcard/cidr match strings only; numeric matches
  numbers only; anything-but matches every value that is not one of its own.

:func:`compile_pattern` returns a :class:`Matcher`; :class:`RuleIndex` holds many and
answers which match an event without trying every one: each pattern is filed under a
field it requires an exact string (or a prefix) for, when it has one.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cargobay.services.events.pattern_check import Match, Node, parse_pattern, wildcard_parts

Check = Callable[[Any], bool]  # the object holding the field (a dict, or None) → bool
Pred = Callable[[Any], bool]  # one scalar value → bool

_MISSING = object()
_IP_LIKE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$|^[0-9a-fA-F:]*:[0-9a-fA-F:]*$")


def _scalars(value: Any, out: list[Any]) -> None:
    for v in value:
        if isinstance(v, list):
            _scalars(v, out)
        elif not isinstance(v, dict):
            out.append(v)


def _objects(value: Any, out: list[dict[str, Any]]) -> None:
    for v in value:
        if isinstance(v, list):
            _objects(v, out)
        elif isinstance(v, dict):
            out.append(v)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not _IP_LIKE.match(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is float


# -- predicates for one match value -------------------------------------------------------


def _numeric_pred(low: float | None, low_open: bool, high: float | None, high_open: bool
                  ) -> Pred:
    def pred(v: Any) -> bool:
        t = type(v)
        if t is not int and t is not float:
            return False
        if low is not None and (v <= low if low_open else v < low):
            return False
        return not (high is not None and (v >= high if high_open else v > high))

    return pred


def _wildcard_pred(text: str) -> Pred:
    regex = re.compile(".*".join(re.escape(p) for p in wildcard_parts(text)), re.DOTALL)
    full = regex.fullmatch

    def pred(v: Any) -> bool:
        return type(v) is str and full(v) is not None

    return pred


def _ipv4_int(text: str) -> int | None:
    """A dotted IPv4 address as an integer (None if it is not one)."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    n = 0
    for p in parts:
        if not p.isdigit() or len(p) > 3:
            return None
        b = int(p)
        if b > 255:
            return None
        n = n * 256 + b
    return n


def _cidr_pred(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Pred:
    if net.version == 4:
        low = int(net.network_address)
        high = int(net.broadcast_address)

        def pred4(v: Any) -> bool:
            if type(v) is not str:
                return False
            n = _ipv4_int(v)
            return n is not None and low <= n <= high

        return pred4

    def pred6(v: Any) -> bool:
        if type(v) is not str or ":" not in v:
            return False
        ip = _ip(v)
        return ip is not None and ip.version == 6 and ip in net

    return pred6


def _anything_but_pred(kind: str, values: tuple[Any, ...]) -> Pred:
    if kind == "anything-but":
        if values and isinstance(values[0], str):
            strings = frozenset(values)
            return lambda v: not (type(v) is str and v in strings)
        numbers = frozenset(values)
        return lambda v: not (_is_num(v) and v in numbers)
    if kind == "anything-but-prefix":
        prefixes = tuple(values)
        return lambda v: not (type(v) is str and v.startswith(prefixes))
    if kind == "anything-but-suffix":
        suffixes = tuple(values)
        return lambda v: not (type(v) is str and v.endswith(suffixes))
    if kind == "anything-but-ic":
        lowered = frozenset(values)
        return lambda v: not (type(v) is str and v.lower() in lowered)
    wild = [_wildcard_pred(w) for w in values]
    return lambda v: not any(p(v) for p in wild)


@dataclass
class _Leaf:
    """A field's match values as one predicate on a scalar value (``one``), plus the
    exists flags."""

    one: Pred
    exists_true: bool
    exists_false: bool

    def any_value(self, values: list[Any]) -> bool:
        one = self.one
        for v in values:  # noqa: SIM110  (a plain loop: faster than any() here)
            if one(v):
                return True
        return False


def _string_set_pred(strings: frozenset[str]) -> Pred:
    return lambda v: type(v) is str and v in strings


def _number_set_pred(numbers: frozenset[float]) -> Pred:
    return lambda v: (type(v) is int or type(v) is float) and v in numbers


def _literal_pred(literals: tuple[Any, ...]) -> Pred:
    return lambda v: any(v is lit for lit in literals)


def _ip_set_pred(ips: frozenset[Any]) -> Pred:
    def pred(v: Any) -> bool:
        if type(v) is not str:
            return False
        ip = _ip(v)
        return ip is not None and ip in ips

    return pred


def _never(v: Any) -> bool:
    return False


def _one_of(preds: list[Pred]) -> Pred:
    if not preds:
        return _never
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda v: a(v) or b(v)
    every = tuple(preds)

    def pred(v: Any) -> bool:
        for p in every:  # noqa: SIM110
            if p(v):
                return True
        return False

    return pred


def _leaf(matches: list[Match]) -> tuple[_Leaf, frozenset[str], bool]:
    """The leaf, its exact strings, and whether those are all it matches."""
    strings: set[str] = set()
    numbers: set[float] = set()
    literals: list[Any] = []
    ips: set[Any] = set()
    preds: list[Pred] = []
    exists_true = exists_false = False
    prefixes: list[str] = []
    suffixes: list[str] = []
    ic: set[str] = set()
    prefix_ic: list[str] = []
    suffix_ic: list[str] = []
    for m in matches:
        k, v = m.kind, m.value
        if k == "string":
            strings.add(v)
            ip = _ip(v)
            if ip is not None:
                ips.add(ip)
        elif k == "number":
            numbers.add(v)
        elif k == "literal":
            literals.append(v)
        elif k == "prefix":
            prefixes.append(v)
        elif k == "suffix":
            suffixes.append(v)
        elif k == "equals-ic":
            ic.add(v)
        elif k == "prefix-ic":
            prefix_ic.append(v)
        elif k == "suffix-ic":
            suffix_ic.append(v)
        elif k == "wildcard":
            preds.append(_wildcard_pred(v))
        elif k == "numeric":
            preds.append(_numeric_pred(*v))
        elif k == "cidr":
            preds.append(_cidr_pred(v))
        elif k == "exists":
            if v:
                exists_true = True
            else:
                exists_false = True
        else:
            preds.append(_anything_but_pred(k, v))
    if prefixes:
        p = tuple(prefixes)
        preds.insert(0, lambda v: type(v) is str and v.startswith(p))
    if suffixes:
        s = tuple(suffixes)
        preds.insert(0, lambda v: type(v) is str and v.endswith(s))
    if ic:
        lowered = frozenset(ic)
        preds.append(lambda v: type(v) is str and v.lower() in lowered)
    if prefix_ic:
        pi = tuple(prefix_ic)
        preds.append(lambda v: type(v) is str and v.lower().startswith(pi))
    if suffix_ic:
        si = tuple(suffix_ic)
        preds.append(lambda v: type(v) is str and v.lower().endswith(si))
    parts: list[Pred] = []
    if strings:
        parts.append(_string_set_pred(frozenset(strings)))
    if numbers:
        parts.append(_number_set_pred(frozenset(numbers)))
    if literals:
        parts.append(_literal_pred(tuple(literals)))
    if ips:
        parts.append(_ip_set_pred(frozenset(ips)))
    return _Leaf(_one_of(parts + preds), exists_true, exists_false), frozenset(strings), (
        not (numbers or literals or ips or preds or exists_true))


# -- fields and objects ------------------------------------------------------------------


def _leaf_check(name: str, matches: list[Match]) -> Check:
    leaf, strings, plain = _leaf(matches)
    absent_ok = leaf.exists_false
    exists_true = leaf.exists_true
    one = leaf.one

    if plain:  # only exact strings (the common case): a set lookup
        def check_strings(obj: Any) -> bool:
            v = obj.get(name, _MISSING) if type(obj) is dict else _MISSING
            if type(v) is str:
                return v in strings
            if type(v) is list:
                vals: list[Any] = []
                _scalars(v, vals)
                if not vals:
                    return absent_ok
                return any(type(x) is str and x in strings for x in vals)
            if v is _MISSING or type(v) is dict:
                return absent_ok
            return False

        return check_strings

    def check(obj: Any) -> bool:
        v = obj.get(name, _MISSING) if type(obj) is dict else _MISSING
        t = type(v)
        if t is list:
            vals: list[Any] = []
            _scalars(v, vals)
            if not vals:
                return absent_ok
            return exists_true or leaf.any_value(vals)
        if v is _MISSING or t is dict:
            return absent_ok
        return exists_true or one(v)

    return check


def _child_check(name: str, node: Node) -> Check:
    inner = _compile_node(node)
    absent = inner(None)  # what the nested pattern says of an object that is not there

    def check(obj: Any) -> bool:
        v = obj.get(name, _MISSING) if type(obj) is dict else _MISSING
        if type(v) is dict:
            return inner(v)
        if type(v) is list:
            objs: list[dict[str, Any]] = []
            _objects(v, objs)
            if objs:
                return any(inner(o) for o in objs)
        return absent

    return check


def _or_check(alternatives: list[Node]) -> Check:
    fns = tuple(_compile_node(a) for a in alternatives)

    def check_any(obj: Any) -> bool:
        for f in fns:  # noqa: SIM110
            if f(obj):
                return True
        return False

    return check_any


def _compile_node(node: Node) -> Check:
    checks: list[Check] = []
    for name, f in node.fields.items():
        if f.leaf is not None:
            checks.append(_leaf_check(name, f.leaf))
        if f.child is not None:
            checks.append(_child_check(name, f.child))
    for alts in node.ors:
        checks.append(_or_check(alts))
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda obj: a(obj) and b(obj)
    if len(checks) == 3:
        a, b, c = checks
        return lambda obj: a(obj) and b(obj) and c(obj)
    every = tuple(checks)

    def check_all(obj: Any) -> bool:
        for c in every:  # noqa: SIM110
            if not c(obj):
                return False
        return True

    return check_all


# -- what an index can file a pattern under ------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A field a pattern cannot match without: ``kind`` "exact" (one of ``values``, as a
    string), "prefix" (a string starting with one of ``values``), "range" (a number in
    one of ``ranges``: (low, high), None for an open end) or "present" (any value at
    all)."""

    path: tuple[str, ...]
    kind: str
    values: tuple[str, ...]
    ranges: tuple[tuple[float | None, float | None], ...] = ()


def _leaf_anchor(path: tuple[str, ...], matches: list[Match]) -> Anchor | None:
    kinds = {m.kind for m in matches}
    if "exists" in kinds and any(m.kind == "exists" and not m.value for m in matches):
        return None  # absence can match: nothing is required
    ip_like = any(m.kind == "string" and _ip(m.value) is not None for m in matches)
    if kinds == {"string"} and not ip_like:
        return Anchor(path, "exact", tuple(m.value for m in matches))
    if kinds <= {"string", "prefix"} and not ip_like:
        return Anchor(path, "prefix", tuple(m.value for m in matches))
    if kinds == {"numeric"}:
        return Anchor(path, "range", (), tuple((m.value[0], m.value[2]) for m in matches))
    return Anchor(path, "present", ())


def _anchors(node: Node, path: tuple[str, ...] = ()) -> list[Anchor]:
    """Every field the node requires (fields outside ``$or``), nested ones included."""
    out: list[Anchor] = []
    for name, f in node.fields.items():
        p = (*path, name)
        if f.leaf is not None:
            a = _leaf_anchor(p, f.leaf)
            if a is not None:
                out.append(a)
        if f.child is not None:
            out.extend(_anchors(f.child, p))
    return out


_RANK = {"exact": 0, "prefix": 1, "range": 2, "present": 3}


class Matcher:
    """A compiled pattern."""

    __slots__ = ("anchors", "check", "node", "text")

    def __init__(self, text: str, node: Node) -> None:
        self.text = text
        self.node = node
        self.check: Check = _compile_node(node)
        #: alternatives: the pattern can only match an event that satisfies one of these
        #: (each a list of required fields); None: no field is required.
        self.anchors = self._anchor_options()

    def matches(self, event: dict[str, Any]) -> bool:
        return self.check(event)

    def _anchor_options(self) -> list[list[Anchor]] | None:
        own = _anchors(self.node)
        if own:
            return [own]
        if len(self.node.ors) == 1:  # a top-level $or: each alternative on its own
            options: list[list[Anchor]] = []
            for alt in self.node.ors[0]:
                a = _anchors(alt)
                if not a:
                    return None
                options.append(a)
            return options
        return None


def compile_pattern(text: str) -> Matcher:
    """Parse, check and compile ``text`` (PatternError if it is not a valid pattern)."""
    return Matcher(text, parse_pattern(text))


# -- many patterns -------------------------------------------------------------------------

K = TypeVar("K")


def values_at(event: Any, path: tuple[str, ...]) -> list[Any]:
    """Every scalar value at ``path`` (through arrays of objects)."""
    # the common case first: objects all the way down to one scalar
    cur = event
    for name in path:
        if type(cur) is not dict:
            break
        cur = cur.get(name, _MISSING)
    else:
        t = type(cur)
        if t is not list and t is not dict:
            return [] if cur is _MISSING else [cur]
    level: list[Any] = [event]
    for name in path:
        nxt: list[Any] = []
        for obj in level:
            v = obj.get(name, _MISSING) if type(obj) is dict else _MISSING
            if v is _MISSING:
                continue
            if type(v) is list:
                flat: list[Any] = []
                _flatten(v, flat)
                nxt.extend(flat)
            else:
                nxt.append(v)
        level = nxt
        if not level:
            return level
    return [v for v in level if type(v) is not dict]


_PAIR_MAX = 8


def _strings_at(event: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    if len(path) == 1:
        v = event.get(path[0])
        if type(v) is str:
            return [v]
        if type(v) is not list:
            return []
        flat: list[Any] = []
        _flatten(v, flat)
        return [x for x in flat if type(x) is str]
    return [x for x in values_at(event, path) if type(x) is str]


def _flatten(value: list[Any], out: list[Any]) -> None:
    for v in value:
        if type(v) is list:
            _flatten(v, out)
        else:
            out.append(v)


class RuleIndex(Generic[K]):
    """Many compiled patterns, filed so an event is tried only against those that can
    match it.

    Each pattern is filed under one of the fields it requires: preferably one with exact
    string values (a dict lookup per event value), else one with string prefixes (a dict
    lookup per prefix length), else a field that must merely be present; among a
    pattern's candidates, the one shared by the fewest other patterns.  Patterns that
    require no field at all (only ``exists: false``, a top-level ``$or`` with such an
    alternative) are tried for every event.
    """

    def __init__(self, entries: Iterable[tuple[K, Matcher]]) -> None:
        self._exact: dict[tuple[str, ...], dict[str, list[tuple[K, Matcher]]]] = {}
        self._prefix: dict[tuple[str, ...], dict[str, list[tuple[K, Matcher]]]] = {}
        self._prefix_lengths: dict[tuple[str, ...], list[int]] = {}
        self._present: dict[tuple[str, ...], list[tuple[K, Matcher]]] = {}
        #: per path: (low, high, entry) by low (open ends as -inf/inf)
        self._ranges: dict[tuple[str, ...], list[tuple[float, float, tuple[K, Matcher]]]] = {}
        self._always: list[tuple[K, Matcher]] = []
        self._pairs: dict[
            tuple[tuple[str, ...], tuple[str, ...]], dict[tuple[str, str], list[tuple[K, Matcher]]]
        ] = {}
        items = list(entries)
        self.size = len(items)
        load: dict[tuple[tuple[str, ...], str, str], int] = {}
        for _, m in items:
            for option in m.anchors or []:
                for a in option:
                    for v in a.values or ("",):
                        key = (a.path, a.kind, v)
                        load[key] = load.get(key, 0) + 1
        for key_, m in items:
            entry = (key_, m)  # one object per rule: buckets and candidates dedup by it
            if m.anchors is None:
                self._always.append(entry)
                continue
            for option in m.anchors:
                pair = self._best_pair(option, load)
                if pair is not None:
                    self._file_pair(entry, *pair)
                else:
                    self._file(entry, self._best(option, load))

    @staticmethod
    def _best(option: list[Anchor], load: dict[tuple[tuple[str, ...], str, str], int]
              ) -> Anchor:
        def cost(a: Anchor) -> tuple[bool, int, int]:
            n = sum(load.get((a.path, a.kind, v), 0) for v in (a.values or ("",)))
            return (a.kind == "present", n, _RANK[a.kind])

        return min(option, key=cost)

    @staticmethod
    def _best_pair(option: list[Anchor], load: dict[tuple[tuple[str, ...], str, str], int]
                   ) -> tuple[Anchor, Anchor] | None:
        """Two exact fields to file under together (source and detail-type, typically):
        an event then finds the patterns that want both of its values at once."""
        exact = [a for a in option if a.kind == "exact" and len(a.values) <= _PAIR_MAX]
        if len(exact) < 2:
            return None
        exact.sort(key=lambda a: (sum(load.get((a.path, "exact", v), 0) for v in a.values),
                                  a.path))
        first, second = sorted(exact[:2], key=lambda a: a.path)
        return first, second

    def _file_pair(self, entry: tuple[K, Matcher], a: Anchor, b: Anchor) -> None:
        by_pair = self._pairs.setdefault((a.path, b.path), {})
        for va in set(a.values):
            for vb in set(b.values):
                bucket = by_pair.setdefault((va, vb), [])
                if not any(e is entry for e in bucket):
                    bucket.append(entry)

    def _file(self, entry: tuple[K, Matcher], a: Anchor) -> None:
        def put(bucket: list[tuple[K, Matcher]]) -> None:
            # the same rule once (entry identity: two rules with the same pattern text
            # share one compiled Matcher, and each must still match)
            if not any(e is entry for e in bucket):
                bucket.append(entry)

        if a.kind == "exact":
            by_value = self._exact.setdefault(a.path, {})
            for v in set(a.values):
                put(by_value.setdefault(v, []))
        elif a.kind == "prefix":
            by_prefix = self._prefix.setdefault(a.path, {})
            for v in set(a.values):
                put(by_prefix.setdefault(v, []))
            self._prefix_lengths[a.path] = sorted({len(p) for p in by_prefix})
        elif a.kind == "range":
            spans = self._ranges.setdefault(a.path, [])
            for low, high in set(a.ranges):
                spans.append((-math.inf if low is None else low,
                              math.inf if high is None else high, entry))
            spans.sort(key=lambda s: s[0])
        else:
            put(self._present.setdefault(a.path, []))

    def _buckets(self, event: dict[str, Any]) -> list[list[tuple[K, Matcher]]]:
        """Lists of patterns worth trying on ``event`` (a pattern may be in several)."""
        found: list[list[tuple[K, Matcher]]] = []
        for (pa, pb), by_pair in self._pairs.items():
            a_vals = _strings_at(event, pa)
            if not a_vals:
                continue
            for vb in _strings_at(event, pb):
                for va in a_vals:
                    hit = by_pair.get((va, vb))
                    if hit is not None:
                        found.append(hit)
        for path, by_value in self._exact.items():
            if len(path) == 1:
                v = event.get(path[0], _MISSING)
                if type(v) is str:
                    hit = by_value.get(v)
                    if hit is not None:
                        found.append(hit)
                    continue
                vals: list[Any] = []
                if type(v) is list:
                    _flatten(v, vals)
            else:
                vals = values_at(event, path)
            for x in vals:
                if type(x) is str:
                    hit = by_value.get(x)
                    if hit is not None:
                        found.append(hit)
        for path, by_prefix in self._prefix.items():
            lengths = self._prefix_lengths[path]
            for x in values_at(event, path):
                if type(x) is not str:
                    continue
                for n in lengths:
                    if n > len(x):
                        break
                    hit = by_prefix.get(x[:n])
                    if hit is not None:
                        found.append(hit)
        for path, spans in self._ranges.items():
            for x in values_at(event, path):
                t = type(x)
                if t is not int and t is not float:
                    continue
                hit = []
                for low, high, entry in spans:
                    if low > x:
                        break
                    if x <= high:
                        hit.append(entry)
                if hit:
                    found.append(hit)
        for path, entries in self._present.items():
            if values_at(event, path):
                found.append(entries)
        if self._always:
            found.append(self._always)
        return found

    def candidates(self, event: dict[str, Any]) -> list[tuple[K, Matcher]]:
        """Patterns worth trying on ``event``, each once."""
        buckets = self._buckets(event)
        if len(buckets) == 1 and len(buckets[0]) == 1:
            return buckets[0]
        # one bucket may hold a pattern twice ($or branches over the same field's ranges)
        seen: set[int] = set()
        out: list[tuple[K, Matcher]] = []
        for bucket in buckets:
            for entry in bucket:
                eid = id(entry)  # per rule, not per Matcher (shared by equal patterns)
                if eid not in seen:
                    seen.add(eid)
                    out.append(entry)
        return out

    def match(self, event: dict[str, Any]) -> list[K]:
        """The keys of every pattern that matches ``event``."""
        return [key for key, m in self.candidates(event) if m.check(event)]
