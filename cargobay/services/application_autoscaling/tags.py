"""TagResource, UntagResource, ListTagsForResource (scalable targets only)."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.application_autoscaling import tag_store
from cargobay.services.application_autoscaling.base import AasBase
from cargobay.services.application_autoscaling.errors import ResourceNotFoundException

Doc = dict[str, Any]


class TagOps(AasBase):
    def _tags_doc(self, arn: str) -> Doc:
        doc = tag_store.get(self.store, arn)
        if doc is None:
            raise ResourceNotFoundException(f"No scalable target found for ARN {arn}",)
        return doc

    def tag_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._tags_doc(req["ResourceARN"])
        tag_store.check_tags(req["Tags"])
        tag_store.put(self.store, req["ResourceARN"], doc["target"],
                      {**doc["Tags"], **req["Tags"]})
        return {}

    def untag_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._tags_doc(req["ResourceARN"])
        tags = {k: v for k, v in doc["Tags"].items() if k not in set(req["TagKeys"])}
        tag_store.put(self.store, req["ResourceARN"], doc["target"], tags)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        return {"Tags": self._tags_doc(req["ResourceARN"])["Tags"]}
