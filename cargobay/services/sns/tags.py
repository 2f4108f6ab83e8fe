"""TagResource, UntagResource, ListTagsForResource on topics (tags live in the topic's
document).  At most 50 tags a topic; keys 1–128 and values 0–256 characters (the model
checks lengths)."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.sns import names
from cargobay.services.sns.base import SnsBase
from cargobay.services.sns.errors import ResourceNotFound, TagLimitExceeded, invalid

Doc = dict[str, Any]

MAX_TAGS = 50


def check_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags:
        key = tag["Key"]
        if key in out:
            raise invalid("Duplicated keys are not allowed.")
        if key.lower().startswith("aws:"):
            raise invalid("Tags", "Tag keys must not start with 'aws:'")
        out[key] = tag.get("Value", "")
    if len(out) > MAX_TAGS:
        raise TagLimitExceeded("Could not complete request: tag quota of per resource exceeded")
    return out


class TagOps(SnsBase):
    def _tagged(self, ctx: RequestContext, arn: str) -> Doc:
        ref = names.sub_ref(arn)
        if ref is not None:
            raise invalid("ResourceArn", "tags are supported on topics only")
        doc = self.topic_doc(names.local_topic(ctx, arn, "ResourceArn"))
        if doc is None:
            raise ResourceNotFound("Resource does not exist")
        return doc

    def tag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self._tagged(ctx, req["ResourceArn"])
        new = check_tags(req["Tags"])
        merged = {**doc["tags"], **new}
        if len(merged) > MAX_TAGS:
            raise TagLimitExceeded(
                "Could not complete request: tag quota of per resource exceeded")
        doc["tags"] = merged
        self.store.put(names.TOPICS, names.topic_ref(doc["arn"]).key, doc)
        return {}

    def untag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self._tagged(ctx, req["ResourceArn"])
        for key in req["TagKeys"]:
            doc["tags"].pop(key, None)
        self.store.put(names.TOPICS, names.topic_ref(doc["arn"]).key, doc)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: dict[str, Any]
                               ) -> dict[str, Any]:
        doc = self._tagged(ctx, req["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in doc["tags"].items()]}
