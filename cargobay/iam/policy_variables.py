"""Policy variables: ``${aws:username}`` in a Resource or a condition value.

IAM User Guide, "IAM policy elements: Variables and tags": a variable is replaced by
the request's value of that context key; ``${*}``, ``${?}`` and ``${$}`` stand for a
literal ``*``, ``?`` and ``$``; ``${key, 'default'}`` gives a value when the key is
absent.  A variable whose key is absent (and has no default) makes that Resource or
condition value match nothing.  Only policies of version 2012-10-17 have variables;
in older ones ``${...}`` is plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.wildcards import compile_glob

_VAR = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


def has_variables(text: str) -> bool:
    return "${" in text


@dataclass(frozen=True)
class _Piece:
    text: str
    variable: bool


def _pieces(text: str, ctx: ConditionContext) -> list[_Piece] | None:
    out: list[_Piece] = []
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            out.append(_Piece(text[pos : m.start()], False))
        inner = m.group(1).strip()
        if inner in _LITERALS:
            out.append(_Piece(_LITERALS[inner], True))
        else:
            key, sep, default = inner.partition(",")
            value = ctx.single(key.strip())
            if value is None and sep:
                value = default.strip().strip("'")
            if value is None:
                return None
            out.append(_Piece(value, True))
        pos = m.end()
    if pos < len(text):
        out.append(_Piece(text[pos:], False))
    return out


def substitute(text: str, ctx: ConditionContext) -> str | None:
    """``text`` with its variables replaced (None when one has no value)."""
    pieces = _pieces(text, ctx)
    return None if pieces is None else "".join(p.text for p in pieces)


def substitute_pattern(
    text: str, ctx: ConditionContext, ignore_case: bool = False
) -> re.Pattern[str] | None:
    """A wildcard pattern with variables replaced: the variables' values match literally."""
    pieces = _pieces(text, ctx)
    if pieces is None:
        return None
    parts = [
        re.escape(p.text) if p.variable else compile_glob(p.text, ignore_case).pattern
        for p in pieces
    ]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))
