"""TagResource, UntagResource and ListTagsForResource, on any taggable ECS resource.

A request names its resource by ARN.  An ARN that is not an ECS ARN of a taggable type
is InvalidParameterException ("The ARN provided is invalid."); a well-formed ARN of a
resource that does not exist (here: in the caller's account and Region) is
ClusterNotFoundException for clusters, and ResourceNotFoundException (TagResource,
UntagResource) or ClientException (ListTagsForResource, which declares no
ResourceNotFoundException) for the others.

Resource types a module can answer for register a check in :data:`TARGETS`; the other
types ECS can tag are recognised but, until then, never found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns, instance_store, service_store, task_store
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs.arns import ParsedArn
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.errors import (
    ClientException,
    ClusterNotFoundException,
    InvalidParameterException,
    ResourceNotFoundException,
)
from cargobay.services.ecs.tag_store import check_tags, get_tags, merge_tags, remove_tags
from cargobay.store import Store

INVALID_ARN = "The ARN provided is invalid."
NOT_FOUND = "The specified resource could not be found."

#: "Currently, the supported resources are Amazon ECS capacity providers, tasks,
#: services, task definitions, clusters, and container instances." (TagResource)
TAGGABLE = (
    "cluster",
    "task-definition",
    "service",
    "task",
    "container-instance",
    "capacity-provider",
)

#: a task definition's family: "Up to 255 letters (uppercase and lowercase), numbers,
#: underscores, and hyphens are allowed."
_TASKDEF = re.compile(r"^([A-Za-z0-9_-]{1,255}):([1-9][0-9]{0,9})$")

TASKDEF_TABLE = "ecs.taskdefs"

#: (store, ctx, resource part of the ARN) -> does it exist?  Raises InvalidParameterException
#: for a resource part that cannot name one.
Exists = Callable[[Store, RequestContext, str], bool]


def _cluster_exists(store: Store, ctx: RequestContext, resource: str) -> bool:
    if "/" in resource:
        raise InvalidParameterException(INVALID_ARN)
    doc = store.get(clusters.TABLE, clusters.key(ctx, resource))
    return doc is not None and doc["status"] == clusters.ACTIVE


def _task_definition_exists(store: Store, ctx: RequestContext, resource: str) -> bool:
    m = _TASKDEF.match(resource)
    if m is None:
        raise InvalidParameterException(INVALID_ARN)
    family, revision = m.group(1), int(m.group(2))
    return store.get(TASKDEF_TABLE, arns.scope_key(ctx, family, f"{revision:010d}")) is not None


def _task_exists(store: Store, ctx: RequestContext, resource: str) -> bool:
    parts = resource.split("/")
    if len(parts) != 2 or not all(parts):
        return False
    doc = store.get(task_store.TABLE, arns.scope_key(ctx, *parts))
    return doc is not None


def _instance_exists(store: Store, ctx: RequestContext, resource: str) -> bool:
    parts = resource.split("/")
    if len(parts) != 2 or not all(parts):
        return False
    doc = store.get(instance_store.TABLE, arns.scope_key(ctx, *parts))
    return doc is not None and doc["status"] != instance_store.INACTIVE


def _service_exists(store: Store, ctx: RequestContext, resource: str) -> bool:
    """A service ARN ``service/CLUSTER/NAME`` of a service not yet INACTIVE."""
    parts = resource.split("/")
    if len(parts) != 2 or not all(parts):
        return False
    doc = store.get(service_store.TABLE, arns.scope_key(ctx, *parts))
    return doc is not None and doc["status"] != service_store.INACTIVE


TARGETS: dict[str, Exists] = {
    "cluster": _cluster_exists,
    "task-definition": _task_definition_exists,
    "task": _task_exists,
    "container-instance": _instance_exists,
    "service": _service_exists,
}


def _parse(text: str) -> ParsedArn:
    parsed = arns.parse_arn(text)
    if (
        parsed is None
        or not parsed.partition.startswith("aws")
        or parsed.service != "ecs"
        or not parsed.region
        or not re.fullmatch(r"\d{12}", parsed.account_id)
        or parsed.resource_type not in TAGGABLE
        or not parsed.resource
    ):
        raise InvalidParameterException(INVALID_ARN)
    return parsed


class TagOps(EcsBase):
    def _tag_target(self, ctx: RequestContext, text: str, missing: type[Exception]) -> str:
        """The ARN of an existing resource to tag, or the error ECS gives for ``text``."""
        parsed = _parse(text)
        exists = TARGETS.get(parsed.resource_type)
        found = exists is not None and exists(self.store, ctx, parsed.resource)
        canonical = arns.arn(ctx, f"{parsed.resource_type}/{parsed.resource}")
        if not (found and text == canonical):
            # an ARN of another account, Region or partition names nothing here
            if parsed.resource_type == "cluster":
                raise ClusterNotFoundException()
            raise missing(NOT_FOUND)
        return canonical

    def tag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        arn = self._tag_target(ctx, req["resourceArn"], ResourceNotFoundException)
        merge_tags(self.store, arn, check_tags(req["tags"]))
        return {}

    def untag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        arn = self._tag_target(ctx, req["resourceArn"], ResourceNotFoundException)
        keys: list[str] = req["tagKeys"]
        if any(k.lower().startswith("aws:") for k in keys):
            raise InvalidParameterException(
                "Tag keys with the reserved prefix 'aws:' cannot be removed."
            )
        remove_tags(self.store, arn, keys)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        arn = self._tag_target(ctx, req["resourceArn"], ClientException)
        return {"tags": get_tags(self.store, arn)}
