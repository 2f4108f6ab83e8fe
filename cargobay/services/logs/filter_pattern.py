"""CloudWatch Logs filter patterns ("Filter pattern syntax for metric filters, subscription
filters, filter log events, and Live Tail"), compiled once into a predicate on a message.

Two forms:

- **Terms** (unstructured events): ``ERROR`` (the event contains ERROR; case-sensitive),
  ``ERROR Exception`` (both), ``"Out of memory"`` (a quoted phrase, which may hold
  spaces and punctuation), ``ERROR -Exception`` (ERROR but not Exception), and
  ``?ERROR ?WARN`` (either), ``%ERR[0-9]+%`` (a regular expression).  An empty pattern
  matches every event.
- **JSON** (``{ … }``): selectors ``$.a.b``, ``$.list[0].c``, ``$.*`` excluded; comparisons
  ``=`` ``!=`` on strings (with ``*`` wildcards) and numbers, ``<`` ``<=`` ``>`` ``>=``
  on numbers, ``IS TRUE`` / ``IS FALSE`` / ``IS NULL`` / ``NOT EXISTS``; conditions
  joined with ``&&`` and ``||`` and grouped with parentheses.  An event that is not a
  JSON object matches no JSON pattern.

Space-delimited patterns (``[ip, user, ...]``) are not supported: they are answered with
InvalidParameterException (docs/differences.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

Predicate = Callable[[str], bool]
JsonTest = Callable[[Any], bool]


class PatternError(ValueError):
    """Not a filter pattern CloudWatch Logs accepts."""


def compile_pattern(text: str | None) -> Predicate:
    """The predicate ``text`` describes (PatternError if it is not a valid pattern)."""
    s = (text or "").strip()
    if not s:
        return _always
    if s.startswith("{"):
        test = _JsonParser(s).parse()
        return lambda message: _json_match(test, message)
    if s.startswith("["):
        raise PatternError("Space-delimited filter patterns are not supported by cargobay.")
    return _terms(s)


def _always(message: str) -> bool:
    return True


# -- terms -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    text: str
    kind: str  # "and", "not", "or"


def _split_terms(s: str) -> list[_Term]:
    out: list[_Term] = []
    i, n = 0, len(s)
    while i < n:
        if s[i].isspace():
            i += 1
            continue
        kind = "and"
        if s[i] in "-?" and i + 1 < n and not s[i + 1].isspace():
            kind = "not" if s[i] == "-" else "or"
            i += 1
        if s[i] == '"':
            end = s.find('"', i + 1)
            if end < 0:
                raise PatternError("Invalid filter pattern: unterminated quoted term.")
            text = s[i + 1 : end]
            i = end + 1
        elif s[i] == "%":
            end = s.find("%", i + 1)
            if end < 0:
                raise PatternError("Invalid filter pattern: unterminated regular expression.")
            text = s[i : end + 1]  # kept whole: %…% marks a regular expression
            i = end + 1
        else:
            j = i
            while j < n and not s[j].isspace():
                j += 1
            text = s[i:j]
            i = j
            if '"' in text:
                raise PatternError("Invalid filter pattern: misplaced quote.")
        if text:
            out.append(_Term(text, kind))
    return out


TermTest = Callable[[str], bool]


def _term_test(text: str) -> TermTest:
    """A literal term matches where it occurs; ``%regex%`` where the expression does."""
    if len(text) >= 2 and text.startswith("%") and text.endswith("%"):
        try:
            rx = re.compile(text[1:-1])
        except re.error as e:
            raise PatternError(f"Invalid regular expression {text}: {e}") from None
        return lambda message: rx.search(message) is not None
    return lambda message: text in message


def _terms(s: str) -> Predicate:
    terms = _split_terms(s)
    must = [_term_test(t.text) for t in terms if t.kind == "and"]
    must_not = [_term_test(t.text) for t in terms if t.kind == "not"]
    any_of = [_term_test(t.text) for t in terms if t.kind == "or"]

    def match(message: str) -> bool:
        if any_of and not any(t(message) for t in any_of):
            return False
        if not all(t(message) for t in must):
            return False
        return not any(t(message) for t in must_not)

    return match


# -- JSON --------------------------------------------------------------------------------

_MISSING = object()
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\)|\})
      | (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<sel>\$(?:\.[A-Za-z0-9_@$-]+|\[\d+\])*)
      | (?P<word>[^\s()&|=!<>"}]+)
    )""",
    re.VERBOSE,
)


def _json_match(test: JsonTest, message: str) -> bool:
    try:
        doc = orjson.loads(message)
    except orjson.JSONDecodeError:
        return False
    return isinstance(doc, dict) and test(doc)


def _select(doc: Any, path: list[str | int]) -> Any:
    cur = doc
    for part in path:
        if isinstance(part, int):
            if not isinstance(cur, list) or part >= len(cur):
                return _MISSING
            cur = cur[part]
        else:
            if not isinstance(cur, dict) or part not in cur:
                return _MISSING
            cur = cur[part]
    return cur


def _parse_selector(sel: str) -> list[str | int]:
    path: list[str | int] = []
    for m in re.finditer(r"\.([A-Za-z0-9_@$-]+)|\[(\d+)\]", sel[1:]):
        path.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
    return path


def _number(word: str) -> float | None:
    try:
        return float(word)
    except ValueError:
        return None


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class _JsonParser:
    """Recursive descent: or-expr := and-expr ('||' and-expr)*; and-expr := atom ('&&'
    atom)*; atom := '(' or-expr ')' | selector comparison."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        body = text.strip()
        if not body.endswith("}"):
            raise PatternError("Invalid JSON filter pattern: missing '}'.")
        pos = 1
        while pos < len(body):
            if body[pos:].strip() == "":
                break
            m = _TOKEN.match(body, pos)
            if m is None or m.end() == pos:
                raise PatternError(f"Invalid JSON filter pattern near: {body[pos:pos + 20]}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        if not self.tokens or self.tokens[-1] != ("op", "}"):
            raise PatternError("Invalid JSON filter pattern: missing '}'.")
        self.tokens.pop()
        self.i = 0

    def parse(self) -> JsonTest:
        if not self.tokens:
            raise PatternError("Invalid JSON filter pattern: no condition.")
        test = self._or()
        if self.i != len(self.tokens):
            raise PatternError(f"Invalid JSON filter pattern near: {self.tokens[self.i][1]}")
        return test

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        tok = self._peek()
        if tok is None:
            raise PatternError("Invalid JSON filter pattern: unexpected end.")
        self.i += 1
        return tok

    def _or(self) -> JsonTest:
        parts = [self._and()]
        while self._peek() == ("op", "||"):
            self.i += 1
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: any(p(doc) for p in parts)

    def _and(self) -> JsonTest:
        parts = [self._atom()]
        while self._peek() == ("op", "&&"):
            self.i += 1
            parts.append(self._atom())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: all(p(doc) for p in parts)

    def _atom(self) -> JsonTest:
        kind, text = self._take()
        if (kind, text) == ("op", "("):
            inner = self._or()
            if self._take() != ("op", ")"):
                raise PatternError("Invalid JSON filter pattern: missing ')'.")
            return inner
        if kind != "sel" or text == "$":
            raise PatternError(f"Invalid JSON filter pattern: expected a selector at {text}")
        path = _parse_selector(text)
        kind, op = self._take()
        if kind == "word" and op.upper() in ("IS", "NOT"):
            return self._keyword(path, op.upper())
        if kind != "op" or op not in ("=", "!=", "<", "<=", ">", ">="):
            raise PatternError(f"Invalid JSON filter pattern: expected an operator at {op}")
        vkind, value = self._take()
        if vkind == "str":
            literal = str(orjson.loads(value))
            if op not in ("=", "!="):
                raise PatternError("Invalid JSON filter pattern: strings compare with = or !=")
            return _string_test(path, op, literal)
        if vkind != "word":
            raise PatternError(f"Invalid JSON filter pattern: expected a value at {value}")
        num = _number(value)
        if num is not None:
            return _number_test(path, op, num)
        if op not in ("=", "!="):
            raise PatternError(f"Invalid JSON filter pattern: {value} is not a number")
        return _string_test(path, op, value)

    def _keyword(self, path: list[str | int], first: str) -> JsonTest:
        _kind, word = self._take()
        word = word.upper()
        if first == "NOT" and word == "EXISTS":
            return lambda doc: _select(doc, path) is _MISSING
        if first == "IS" and word in ("TRUE", "FALSE"):
            want = word == "TRUE"
            return lambda doc: _select(doc, path) is want
        if first == "IS" and word == "NULL":
            return lambda doc: _select(doc, path) is None
        raise PatternError(f"Invalid JSON filter pattern: {first} {word}")


def _string_test(path: list[str | int], op: str, literal: str) -> JsonTest:
    if "*" in literal:
        rx = re.compile(".*".join(re.escape(p) for p in literal.split("*")) + r"\Z", re.DOTALL)

        def eq(v: Any) -> bool:
            return isinstance(v, str) and rx.match(v) is not None
    else:

        def eq(v: Any) -> bool:
            if isinstance(v, str):
                return v == literal
            if _is_number(v):
                return _number(literal) == float(v)
            return False

    if op == "=":
        return lambda doc: eq(_select(doc, path))
    return lambda doc: (v := _select(doc, path)) is not _MISSING and not eq(v)


_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _number_test(path: list[str | int], op: str, num: float) -> JsonTest:
    cmp = _NUMERIC[op]

    def test(doc: Any) -> bool:
        v = _select(doc, path)
        if _is_number(v):
            return cmp(float(v), num)
        if isinstance(v, str) and op in ("=", "!="):
            n = _number(v)
            return n is not None and cmp(n, num)
        return False

    return test
