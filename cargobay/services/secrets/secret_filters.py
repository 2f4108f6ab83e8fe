"""ListSecrets / BatchGetSecretValue filters (Secrets Manager API reference, ``Filter``).

- ``name``, ``tag-key``, ``tag-value``, ``primary-region``, ``owning-service``: prefix
  match, case-sensitive; ``description``: prefix match, not case-sensitive.
- ``all``: the value is broken into words (at a change of case from upper to lower, from
  letter to digit, and at punctuation) and any word may match, not case-sensitive, the
  start of a word of the name, description, tag keys or tag values.
- A value starting with ``!`` negates. Within one filter the plain values are
  alternatives and every negated one must hold; all filters must hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Doc = dict[str, Any]

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(text: str) -> list[str]:
    """``credsDatabase#892`` → ``['creds', 'database', '892']``."""
    return [w.lower() for w in _WORD.findall(text)]


def _tags(doc: Doc, part: str) -> list[str]:
    return [str(t.get(part, "")) for t in doc.get("tags", [])]


def _attributes(doc: Doc, key: str, region: str) -> list[str]:
    if key == "name":
        return [doc["name"]]
    if key == "description":
        return [doc.get("description") or ""]
    if key == "tag-key":
        return _tags(doc, "Key")
    if key == "tag-value":
        return _tags(doc, "Value")
    if key == "primary-region":
        return [region]
    if key == "owning-service":
        return [doc["owning_service"]] if doc.get("owning_service") else []
    return []


def _matcher(doc: Doc, key: str, region: str) -> Callable[[str], bool]:
    if key == "all":
        texts = [doc["name"], doc.get("description") or "", *_tags(doc, "Key"),
                 *_tags(doc, "Value")]
        have = [w for t in texts for w in words(t)]
        return lambda value: any(h.startswith(w) for w in words(value) for h in have)
    attrs = _attributes(doc, key, region)
    if key == "description":
        low = [a.lower() for a in attrs]
        return lambda value: any(a.startswith(value.lower()) for a in low)
    return lambda value: any(a.startswith(value) for a in attrs)


def matches(doc: Doc, filters: list[Doc], region: str) -> bool:
    for f in filters:
        values = [str(v) for v in f.get("Values") or []]
        test = _matcher(doc, str(f.get("Key", "")), region)
        plain = [v for v in values if not v.startswith("!")]
        negated = [v[1:] for v in values if v.startswith("!")]
        if plain and not any(test(v) for v in plain):
            return False
        if any(test(v) for v in negated):
            return False
    return True
