"""Tags of every ECS resource, kept in one table keyed by the resource's ARN.

ECS rules (Tagging your Amazon ECS resources): at most 50 user tags per resource; keys
1–128 characters, values 0–256; keys and values are case sensitive; the ``aws:`` prefix
is reserved and cannot be added or removed by users.
"""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.store import Store

TABLE = "ecs.tags"
MAX_TAGS = 50

Tag = dict[str, str]


def get_tags(store: Store, arn: str) -> list[Tag]:
    doc = store.get(TABLE, arn)
    tags: list[Tag] = [] if doc is None else doc["tags"]
    return tags


def check_tags(tags: list[dict[str, Any]]) -> list[Tag]:
    """ECS's checks on tags a user supplies; returns them as plain {key, value}."""
    out: list[Tag] = []
    for t in tags:
        key = t.get("key")
        value = t.get("value", "")
        if key is None or not (1 <= len(key) <= 128):
            raise InvalidParameterException("Tag keys must be between 1 and 128 characters.")
        if len(value) > 256:
            raise InvalidParameterException("Tag values must be no longer than 256 characters.")
        if key.lower().startswith("aws:"):
            raise InvalidParameterException(
                "Tag keys cannot start with the reserved prefix 'aws:'."
            )
        out.append({"key": key, "value": value})
    return out


def merge_tags(store: Store, arn: str, new: list[Tag]) -> None:
    """Add or overwrite tags by key (TagResource)."""
    current = {t["key"]: t["value"] for t in get_tags(store, arn)}
    for t in new:
        current[t["key"]] = t["value"]
    if len(current) > MAX_TAGS:
        raise InvalidParameterException(
            f"The tag limit of {MAX_TAGS} tags per resource has been exceeded."
        )
    store.put(TABLE, arn, {"tags": [{"key": k, "value": v} for k, v in current.items()]})


def set_tags(store: Store, arn: str, tags: list[Tag]) -> None:
    """Replace all tags (resource creation)."""
    if len({t["key"] for t in tags}) > MAX_TAGS:
        raise InvalidParameterException(
            f"The tag limit of {MAX_TAGS} tags per resource has been exceeded."
        )
    if tags:
        store.put(TABLE, arn, {"tags": tags})
    else:
        store.delete(TABLE, arn)


def remove_tags(store: Store, arn: str, keys: list[str]) -> None:
    drop = set(keys)
    kept = [t for t in get_tags(store, arn) if t["key"] not in drop]
    set_tags(store, arn, kept)


def drop_tags(store: Store, arn: str) -> None:
    store.delete(TABLE, arn)
