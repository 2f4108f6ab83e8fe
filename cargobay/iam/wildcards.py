"""Wildcard matching as IAM does it: ``*`` any run of characters, ``?`` one character.

Actions match without regard to case (``ecs:list*`` allows ``ecs:ListClusters``);
resources and ``StringLike`` values match case-sensitively.  ARNs (``Resource`` and
the ``Arn*`` condition operators) match component by component: each of the six
colon-separated parts is matched on its own, the last one (the resource) keeping any
further colons, so a ``*`` in the region part cannot reach into the account part.
"""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=8192)
def compile_glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    out: list[str] = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return compile_glob(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, arn: str) -> bool:
    """``arn`` matches the ARN ``pattern`` (``*`` alone matches everything)."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern == arn
    want = pattern.split(":", 5)
    got = arn.split(":", 5)
    if len(want) != 6 or len(got) != 6:
        # not an ARN: compare as a whole (a policy may name non-ARN resources, "*"…)
        return glob_match(pattern, arn)
    return all(glob_match(w, g) for w, g in zip(want, got, strict=True))
