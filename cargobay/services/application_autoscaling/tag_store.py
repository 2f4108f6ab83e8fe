"""Tags of scalable targets, by ARN (TagResource, UntagResource, ListTagsForResource)."""

from __future__ import annotations

from typing import Any

from cargobay.services.application_autoscaling import names
from cargobay.services.application_autoscaling.errors import (
    TooManyTagsException,
    ValidationException,
)
from cargobay.store import Store

Doc = dict[str, Any]
MAX_TAGS = 50


def check_tags(tags: dict[str, str]) -> None:
    for key in tags:
        if key.lower().startswith("aws:"):
            raise ValidationException("Tag keys prefixed with 'aws:' are reserved for AWS use")


def get(store: Store, arn: str) -> Doc | None:
    return store.get(names.TAGS, arn)


def put(store: Store, arn: str, target_key: str, tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise TooManyTagsException(f"A resource can have at most {MAX_TAGS} tags.")
    store.put(names.TAGS, arn, {"target": target_key, "Tags": dict(tags)})


def delete(store: Store, arn: str) -> None:
    store.delete(names.TAGS, arn)
