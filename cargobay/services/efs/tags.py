"""Tags on file systems and access points: TagResource, UntagResource,
ListTagsForResource, and the older CreateTags / DeleteTags / DescribeTags.

A ``Name`` tag is also the resource's ``Name`` (as EFS shows it).
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.efs import names
from cargobay.services.efs.base import Doc, EfsBase, page
from cargobay.services.efs.errors import BadRequest

#: EFS: 50 tags per resource
MAX_TAGS = 50


def merged(tags: list[Doc], new: list[Doc]) -> list[Doc]:
    by_key = {str(t["Key"]): str(t.get("Value", "")) for t in tags}
    for t in new:
        by_key[str(t["Key"])] = str(t.get("Value", ""))
    if len(by_key) > MAX_TAGS:
        raise BadRequest(f"A resource can have at most {MAX_TAGS} tags")
    return [{"Key": k, "Value": v} for k, v in by_key.items()]


def name_of(tags: list[Doc]) -> str | None:
    for t in tags:
        if t["Key"] == "Name":
            return str(t.get("Value", ""))
    return None


class TagOps(EfsBase):
    def _tagged(self, ctx: RequestContext, ref: str) -> tuple[str, str, Doc]:
        rid = names.bare_id(ref)
        if rid.startswith("fsap-"):
            return names.ACCESS_POINTS, rid, self.access_point(ctx, rid)
        if rid.startswith("fs-"):
            return names.FILE_SYSTEMS, rid, self.file_system(ctx, rid)
        raise BadRequest(f"Invalid resource ID: {ref}")

    def _set_tags(self, ctx: RequestContext, ref: str, change: Any) -> None:
        table, rid, doc = self._tagged(ctx, ref)
        doc["Tags"] = change(doc.get("Tags") or [])
        name = name_of(doc["Tags"])
        if name is None:
            doc.pop("Name", None)
        else:
            doc["Name"] = name
        self.store.put(table, names.key(ctx, rid), doc)

    def tag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self._set_tags(ctx, req["ResourceId"], lambda tags: merged(tags, req["Tags"]))
        return {}

    def untag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        gone = set(req["TagKeys"])
        self._set_tags(
            ctx, req["ResourceId"], lambda tags: [t for t in tags if t["Key"] not in gone]
        )
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        _, _, doc = self._tagged(ctx, req["ResourceId"])
        tags, nxt = page(
            list(doc.get("Tags") or []), "Key", req.get("NextToken"), req.get("MaxResults")
        )
        return {"Tags": tags, "NextToken": nxt}

    def create_tags(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self.file_system(ctx, req["FileSystemId"])
        self._set_tags(ctx, req["FileSystemId"], lambda tags: merged(tags, req["Tags"]))
        return {}

    def delete_tags(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self.file_system(ctx, req["FileSystemId"])
        gone = set(req["TagKeys"])
        self._set_tags(
            ctx, req["FileSystemId"], lambda tags: [t for t in tags if t["Key"] not in gone]
        )
        return {}

    def describe_tags(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        tags, nxt = page(list(doc.get("Tags") or []), "Key", req.get("Marker"), req.get("MaxItems"))
        return {"Tags": tags, "Marker": req.get("Marker"), "NextMarker": nxt}
