"""Tags of log groups: TagResource, UntagResource, ListTagsForResource (by ARN) and the
older TagLogGroup, UntagLogGroup, ListTagsLogGroup (by name).  Up to 50 per group;
keys starting ``aws:`` are reserved."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.logs import names
from cargobay.services.logs.base import LogsBase
from cargobay.services.logs.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    TooManyTagsException,
)
from cargobay.services.logs.names import GroupRef

Doc = dict[str, Any]
MAX_TAGS = 50


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    for key in tags:
        if key.lower().startswith("aws:"):
            raise InvalidParameterException("Tag keys starting with 'aws:' are reserved.")
    return dict(tags)


class TagOps(LogsBase):
    def _tagged_group(self, ctx: RequestContext, arn: str) -> GroupRef:
        ref = names.group_from_arn(arn)
        if ref is None or self.store.get(names.GROUPS, ref.key) is None:
            raise ResourceNotFoundException(f"The specified resource does not exist: {arn}")
        return ref

    def _tags(self, ref: GroupRef) -> dict[str, str]:
        doc = self.store.get(names.TAGS, ref.key)
        return dict(doc["tags"]) if doc else {}

    def _add_tags(self, ref: GroupRef, tags: dict[str, str]) -> None:
        current = self._tags(ref)
        current.update(check_tags(tags))
        if len(current) > MAX_TAGS:
            raise TooManyTagsException(
                f"A resource can have no more than {MAX_TAGS} tags.", status=400
            )
        self.store.put(names.TAGS, ref.key, {"tags": current})

    def _remove_tags(self, ref: GroupRef, keys: list[str]) -> None:
        current = self._tags(ref)
        for k in keys:
            current.pop(k, None)
        self.store.put(names.TAGS, ref.key, {"tags": current})

    def tag_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        self._add_tags(self._tagged_group(ctx, req["resourceArn"]), req["tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        self._remove_tags(self._tagged_group(ctx, req["resourceArn"]), req["tagKeys"])
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        return {"tags": self._tags(self._tagged_group(ctx, req["resourceArn"]))}

    def tag_log_group(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"])
        self.require_group(ref)
        self._add_tags(ref, req["tags"])
        return {}

    def untag_log_group(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"])
        self.require_group(ref)
        self._remove_tags(ref, req["tags"])
        return {}

    def list_tags_log_group(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"])
        self.require_group(ref)
        return {"tags": self._tags(ref)}
