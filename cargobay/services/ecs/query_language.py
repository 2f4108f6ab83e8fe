"""The cluster query language: ListContainerInstances ``filter`` and memberOf constraints.

ECS Developer Guide, "Create expressions to define container instances for Amazon ECS
tasks": an expression is ``subject operator [argument]``; expressions combine with
``&&``/``and``, ``||``/``or``, ``!``/``not`` and parentheses.

Subjects: ``agentConnected``, ``agentVersion``, ``attribute:<name>``, ``ec2InstanceId``,
``registeredAt``, ``runningTasksCount``, ``task:group`` (and ``ec2InstanceType``, read as
``attribute:ecs.instance-type``).  Operators: ``==``/``equals``, ``!=``/``not_equals``,
``>``/``greater_than``, ``>=``/``greater_than_equal``, ``<``/``less_than``,
``<=``/``less_than_equal``, ``exists``, ``!exists``/``not_exists``, ``in``,
``!in``/``not_in`` (argument ``[a, b, ...]``), ``=~``/``matches``, ``!~``/``not_matches``
(a Java-style regular expression matched against the whole value).  Each subject takes
the operators the guide lists for it.  Arguments are bare words or quoted strings.

This module reads an expression into a tree (``parse``); query_eval.py evaluates it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

#: nesting of parentheses / not, and the length of a query, that we agree to read
MAX_DEPTH = 64
MAX_LENGTH = 4096


class QueryError(ValueError):
    """The expression cannot be read."""


@dataclass(frozen=True)
class InstanceFacts:
    """What a query can ask about one container instance."""

    attributes: Mapping[str, str | None]
    agent_connected: bool
    agent_version: str
    ec2_instance_id: str
    registered_at: float
    running_tasks_count: int
    task_groups: Collection[str]


# -- the tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    subject: str
    op: str
    arg: str | tuple[str, ...] | None


@dataclass(frozen=True)
class Not:
    inner: Expr


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Expr
    right: Expr


Expr = Compare | Not | BoolOp

_OPERATORS = {
    "==": "==", "equals": "==",
    "!=": "!=", "not_equals": "!=",
    ">": ">", "greater_than": ">",
    ">=": ">=", "greater_than_equal": ">=",
    "<": "<", "less_than": "<",
    "<=": "<=", "less_than_equal": "<=",
    "exists": "exists", "!exists": "!exists", "not_exists": "!exists",
    "in": "in", "!in": "!in", "not_in": "!in",
    "=~": "=~", "matches": "=~", "!~": "!~", "not_matches": "!~",
}  # fmt: skip

_EQUALITY = frozenset({"==", "!=", "in", "!in", "=~", "!~"})
_ORDERING = frozenset({"==", "!=", ">", ">=", "<", "<="})
_SUBJECT_OPS: dict[str, frozenset[str]] = {
    "agentConnected": _EQUALITY,
    "ec2InstanceId": _EQUALITY,
    "agentVersion": _ORDERING,
    "registeredAt": _ORDERING,
    "runningTasksCount": _ORDERING,
    "task:group": _EQUALITY | {"exists", "!exists"},
}
_ATTRIBUTE_OPS = frozenset(set(_OPERATORS.values()))
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_./\\:-]{1,128}$")
_SYMBOL_OPS = ("!exists", "!in", ">=", "<=", "==", "!=", "=~", "!~", ">", "<")
_STOP = frozenset(" \t\r\n()[],'\"")


# -- reading ----------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.depth = 0

    def fail(self, what: str) -> QueryError:
        return QueryError(f"{what} at position {self.i + 1} of the expression")

    def ws(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self, text: str) -> bool:
        return self.s.startswith(text, self.i)

    def keyword(self, *words: str) -> str | None:
        """A word (``and``, ``not``...) standing alone at the cursor, consumed."""
        for w in words:
            end = self.i + len(w)
            if self.s[self.i : end].lower() == w and (
                end >= len(self.s) or self.s[end].isspace() or self.s[end] in "()"
            ):
                self.i = end
                return w
        return None

    def parse(self) -> Expr:
        self.ws()
        if self.i >= len(self.s):
            raise QueryError("The expression is empty")
        expr = self.or_expr()
        self.ws()
        if self.i < len(self.s):
            raise self.fail(f"Unexpected '{self.s[self.i]}'")
        return expr

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while True:
            self.ws()
            if self.peek("||"):
                self.i += 2
            elif self.keyword("or") is None:
                return left
            left = BoolOp("or", left, self.and_expr())

    def and_expr(self) -> Expr:
        left = self.unary()
        while True:
            self.ws()
            if self.peek("&&"):
                self.i += 2
            elif self.keyword("and") is None:
                return left
            left = BoolOp("and", left, self.unary())

    def unary(self) -> Expr:
        self.ws()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("The expression is nested too deeply")
        try:
            if self.peek("!") and not self.peek("!="):
                self.i += 1
                return Not(self.unary())
            if self.keyword("not") is not None:
                return Not(self.unary())
            if self.peek("("):
                self.i += 1
                inner = self.or_expr()
                self.ws()
                if not self.peek(")"):
                    raise self.fail("Missing ')'")
                self.i += 1
                return inner
            return self.compare()
        finally:
            self.depth -= 1

    def compare(self) -> Compare:
        subject = self.subject()
        op = self.operator(subject)
        if op in ("exists", "!exists"):
            return Compare(subject, op, None)
        self.ws()
        if op in ("in", "!in"):
            return Compare(subject, op, self.arg_list())
        return Compare(subject, op, self.argument(regex=op in ("=~", "!~")))

    def subject(self) -> str:
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in _STOP and self.s[self.i] not in "=!<>":
            self.i += 1
        word = self.s[start : self.i]
        if not word:
            raise self.fail("Expected a subject")
        if word == "ec2InstanceType":
            return "attribute:ecs.instance-type"
        if word.startswith("attribute:"):
            if not _ATTRIBUTE_NAME.match(word[len("attribute:") :]):
                raise self.fail(f"Invalid attribute name in '{word}'")
            return word
        if word not in _SUBJECT_OPS:
            raise self.fail(f"Unknown subject '{word}'")
        return word

    def operator(self, subject: str) -> str:
        self.ws()
        op: str | None = None
        for sym in _SYMBOL_OPS:
            if self.peek(sym):
                word_op = sym in ("!exists", "!in")
                end = self.i + len(sym)
                if word_op and end < len(self.s) and self.s[end].isalnum():
                    continue
                op, self.i = _OPERATORS[sym], end
                break
        if op is None:
            start = self.i
            while self.i < len(self.s) and (self.s[self.i].isalnum() or self.s[self.i] == "_"):
                self.i += 1
            op = _OPERATORS.get(self.s[start : self.i].lower())
            if op is None:
                self.i = start
                raise self.fail(f"Expected an operator after '{subject}'")
        allowed = _ATTRIBUTE_OPS if subject.startswith("attribute:") else _SUBJECT_OPS[subject]
        if op not in allowed:
            raise self.fail(f"Operator '{op}' cannot be used with '{subject}'")
        return op

    def arg_list(self) -> tuple[str, ...]:
        if not self.peek("["):
            raise self.fail("Expected an argument list '[...]'")
        self.i += 1
        items: list[str] = []
        while True:
            self.ws()
            if self.peek("]") and not items:
                self.i += 1
                return ()
            items.append(self.argument(regex=False, in_list=True))
            self.ws()
            if self.peek(","):
                self.i += 1
            elif self.peek("]"):
                self.i += 1
                return tuple(items)
            else:
                raise self.fail("Expected ',' or ']' in the argument list")

    def argument(self, *, regex: bool, in_list: bool = False) -> str:
        if self.i < len(self.s) and self.s[self.i] in "'\"":
            quote = self.s[self.i]
            end = self.s.find(quote, self.i + 1)
            if end < 0:
                raise self.fail("Unterminated quoted argument")
            value = self.s[self.i + 1 : end]
            self.i = end + 1
            return value
        start, depth = self.i, 0
        while self.i < len(self.s):
            c = self.s[self.i]
            if c.isspace() or (in_list and c in ",]"):
                break
            if c == "(" and regex:
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif c == "(" or (c in "[]," and not regex):
                break
            self.i += 1
        if self.i == start:
            raise self.fail("Expected an argument")
        return self.s[start : self.i]


def parse(text: str) -> Expr:
    """The expression tree of ``text``; QueryError if it is not a valid expression."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"The expression is longer than {MAX_LENGTH} characters")
    expr = _Parser(text).parse()
    _check_arguments(expr)
    return expr


def _check_arguments(expr: Expr) -> None:
    """Arguments that can never compare (a bad number, date or pattern) are errors."""
    stack: list[Expr] = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, Not):
            stack.append(e.inner)
        elif isinstance(e, BoolOp):
            stack += [e.left, e.right]
        else:
            args = e.arg if isinstance(e.arg, tuple) else (e.arg,) if e.arg is not None else ()
            for a in args:
                if e.subject == "runningTasksCount" and not re.fullmatch(r"-?\d+", a):
                    raise QueryError(f"runningTasksCount needs a whole number, not '{a}'")
                if e.subject == "registeredAt":
                    parse_date(a)
                if e.op in ("=~", "!~"):
                    regex(a)


# -- arguments ---------------------------------------------------------------------------


_DATE_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S%z", False),
    ("%Y-%m-%dT%H:%M:%SZ", False),
    ("%Y-%m-%dT%H:%M:%S", False),
    ("%Y-%m-%d", True),
)


def parse_date(text: str) -> tuple[datetime, bool]:
    """registeredAt arguments: 2018-06-18T22:28:28+00:00, ...Z, 2018-06-18T22:28:28, 2018-06-18."""
    for fmt, day_only in _DATE_FORMATS:
        try:
            when = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when, day_only
    raise QueryError(f"'{text}' is not a date registeredAt can compare with")


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def regex(text: str) -> re.Pattern[str]:
    pattern = _REGEX_CACHE.get(text)
    if pattern is None:
        try:
            pattern = re.compile(text)
        except (re.error, RecursionError, OverflowError):
            raise QueryError(f"'{text}' is not a valid regular expression") from None
        if len(_REGEX_CACHE) > 256:
            _REGEX_CACHE.clear()
        _REGEX_CACHE[text] = pattern
    return pattern
