"""PutAttributes, ListAttributes, DeleteAttributes: attributes of container instances.

ECS Developer Guide, "Amazon ECS container instance attributes": a name is up to 128
letters, numbers, hyphens, underscores, forward slashes, back slashes or periods; a
value up to 128 letters, numbers, hyphens, underscores, periods, at signs, forward
slashes, back slashes, colons or spaces, not starting or ending with a space.  At most
10 custom attributes per resource (AttributeLimitExceededException).  The only target
type is ``container-instance``; a target that does not exist is TargetNotFoundException.
ListAttributes lists every attribute of the cluster's instances (the agent's and the
custom ones), optionally only those with a name (and a value).
"""

from __future__ import annotations

import re
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import placement_index
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.pagination import decode_token, encode_token, page_size
from cargobay.services.ecs.task_errors import (
    AttributeLimitExceededException,
    TargetNotFoundException,
)

Doc = dict[str, Any]

MAX_CUSTOM = 10
TARGET_TYPE = "container-instance"
_NAME = re.compile(r"^[A-Za-z0-9_./\\-]{1,128}$")
_VALUE = re.compile(r"^[A-Za-z0-9_.@/\\: -]{1,128}$")


def check_attribute(a: Doc) -> None:
    name = a.get("name") or ""
    if not _NAME.match(name):
        raise InvalidParameterException(
            f"Invalid attribute name {name!r}: up to 128 letters, numbers, hyphens, "
            "underscores, forward slashes, back slashes or periods."
        )
    value = a.get("value")
    if value is not None and (
        not _VALUE.match(value) or value != value.strip(" ")
    ):
        raise InvalidParameterException(
            f"Invalid value for attribute {name}: up to 128 letters, numbers, hyphens, "
            "underscores, periods, at signs, slashes, colons or spaces, not starting or "
            "ending with a space."
        )
    if a.get("targetType") not in (None, TARGET_TYPE):
        raise InvalidParameterException(f"Invalid targetType: {a.get('targetType')}.")


class AttributeOps(EcsBase):
    def _targets(self, ctx: RequestContext, cluster: Doc, attrs: list[Doc]) -> dict[str, Doc]:
        """The instances the attributes name, by store key (TargetNotFoundException)."""
        if not attrs:
            raise InvalidParameterException("Attributes cannot be empty.")
        found: dict[str, Doc] = {}
        for a in attrs:
            check_attribute(a)
            target = a.get("targetId")
            if not target:
                raise InvalidParameterException(
                    f"A targetId is required for attribute {a.get('name')}."
                )
            ref = instances.parse_ref(ctx, cluster["clusterName"], target)
            key = "" if ref is None else instances.key(ctx, ref.cluster, ref.instance_id)
            doc = found.get(key) or (None if ref is None else self.store.get(instances.TABLE, key))
            if doc is None or doc["status"] == instances.INACTIVE:
                raise TargetNotFoundException(
                    f"Could not find {target}. TargetIds must be valid container instance "
                    "IDs or ARNs in the cluster."
                )
            found[key] = doc
            a["_key"] = key
        return found

    def put_attributes(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        given: list[Doc] = [dict(a) for a in req["attributes"]]
        docs = self._targets(ctx, cluster, given)
        for a in given:
            doc = docs[a["_key"]]
            attrs = [x for x in doc["attributes"] if x["name"] != a["name"]]
            attrs.append({"name": a["name"], **({"value": a["value"]} if "value" in a else {})})
            custom = [n for n in doc.get("_custom", []) if n != a["name"]] + [a["name"]]
            if len(custom) > MAX_CUSTOM:
                raise AttributeLimitExceededException(
                    f"You can apply up to {MAX_CUSTOM} custom attributes to a resource."
                )
            doc["attributes"] = attrs
            doc["_custom"] = custom
        with self.store.batch():
            for key, doc in docs.items():
                doc["version"] = int(doc.get("version", 0)) + 1
                self.store.put(instances.TABLE, key, doc)
                placement_index.observe(self.store, key, doc)
        return {"attributes": [_shown(a) for a in given]}

    def delete_attributes(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        given: list[Doc] = [dict(a) for a in req["attributes"]]
        docs = self._targets(ctx, cluster, given)
        for a in given:
            doc = docs[a["_key"]]
            doc["attributes"] = [x for x in doc["attributes"] if x["name"] != a["name"]]
            doc["_custom"] = [n for n in doc.get("_custom", []) if n != a["name"]]
        with self.store.batch():
            for key, doc in docs.items():
                doc["version"] = int(doc.get("version", 0)) + 1
                self.store.put(instances.TABLE, key, doc)
                placement_index.observe(self.store, key, doc)
        return {"attributes": [_shown(a) for a in given]}

    def list_attributes(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        if req["targetType"] != TARGET_TYPE:
            raise InvalidParameterException(f"Invalid targetType: {req['targetType']}.")
        name = req.get("attributeName")
        value = req.get("attributeValue")
        if value is not None and name is None:
            raise InvalidParameterException(
                "attributeName must be specified when attributeValue is specified."
            )
        size = page_size(req.get("maxResults"))
        prefix = instances.prefix(ctx, cluster["clusterName"])
        after = decode_token(req.get("nextToken"))
        start: tuple[str, str] | None = None
        if after is not None:
            ikey, sep, aname = after.partition("\n")
            if not sep or not ikey.startswith(prefix):
                raise InvalidParameterException("Invalid nextToken.")
            start = (ikey, aname)
        out: list[Doc] = []
        last: tuple[str, str] | None = None
        more = False
        for key, doc in self.store.scan(instances.TABLE, prefix):
            if start is not None and key < start[0]:
                continue
            if doc["status"] == instances.INACTIVE:
                continue
            for a in sorted(doc["attributes"], key=lambda x: str(x["name"])):
                pos = (key, str(a["name"]))
                if start is not None and pos <= start:
                    continue
                if name is not None and a["name"] != name:
                    continue
                if value is not None and a.get("value") != value:
                    continue
                if len(out) == size:
                    more = True
                    break
                out.append({**a, "targetId": doc["containerInstanceArn"]})
                last = pos
            if more:
                break
        result: Doc = {"attributes": out}
        if more and last is not None:
            result["nextToken"] = encode_token(f"{last[0]}\n{last[1]}")
        return result


def _shown(a: Doc) -> Doc:
    return {k: v for k, v in a.items() if not k.startswith("_")}
