"""Task documents: where they live, how a reference finds one, how one is shown.

Table ``ecs.tasks``, key ``<account>/<region>/<cluster>/<task id>`` (docs/agent-protocol.md
§5).  A document is the Task as DescribeTasks returns it, plus internal members:

- ``_cluster``, ``_instanceId``: where the task is; ``_needs``: what it holds there;
- ``_history``: ``[[lastStatus, clock time], ...]`` in the order the task passed them;
- ``_taskDefinition``: the whole definition at launch (deregistering it later changes
  nothing for the task);
- ``_referenceId``, ``_clientToken``: as RunTask was given them.

STOPPED tasks stay describable and listable for an hour ("stopped tasks appear in the
returned results for at least one hour", DescribeTasks), then are purged.

Table ``ecs.task_tokens``, key ``<account>/<region>/<cluster>/<clientToken>``: what a
RunTask with that clientToken asked for and got, for idempotent retries.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns

Doc = dict[str, Any]

TABLE = "ecs.tasks"
TOKENS = "ecs.task_tokens"

#: seconds a STOPPED task stays describable and listable
STOPPED_RETENTION = 3600.0
#: seconds a RunTask clientToken is remembered
TOKEN_RETENTION = 12 * 3600.0

_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def new_id() -> str:
    return uuid.uuid4().hex


def task_arn(ctx: RequestContext, cluster: str, task_id: str) -> str:
    return arns.arn(ctx, f"task/{cluster}/{task_id}")


def container_arn(ctx: RequestContext, cluster: str, task_id: str) -> str:
    return arns.arn(ctx, f"container/{cluster}/{task_id}/{uuid.uuid4()}")


def key(ctx: RequestContext, cluster: str, task_id: str) -> str:
    return arns.scope_key(ctx, cluster, task_id)


def prefix(ctx: RequestContext, cluster: str) -> str:
    return arns.scope_key(ctx, cluster, "")


def key_of(doc: Doc) -> str:
    parsed = arns.parse_arn(doc["taskArn"])
    assert parsed is not None
    return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"


class BadTaskId(ValueError):
    """A task reference that cannot be a task identifier at all."""


def parse_ref(ctx: RequestContext, cluster: str, text: str) -> tuple[str, str] | None:
    """(cluster, task id) of a task ID or ARN (``task/CLUSTER/ID`` or old ``task/ID``).

    None when it names a task elsewhere (another cluster, account or Region); BadTaskId
    when it is not a task identifier.
    """
    if not text.startswith("arn:"):
        if not _ID.match(text):
            raise BadTaskId(text)
        return cluster, text
    parsed = arns.parse_arn(text)
    if parsed is None or parsed.service != "ecs" or parsed.resource_type != "task":
        raise BadTaskId(text)
    parts = parsed.resource.split("/")
    if len(parts) == 1:
        task_id, named_cluster = parts[0], cluster
    elif len(parts) == 2:
        named_cluster, task_id = parts
    else:
        raise BadTaskId(text)
    if not _ID.match(task_id):
        raise BadTaskId(text)
    if parsed.region != ctx.region or parsed.account_id != ctx.account_id:
        return None
    if named_cluster != cluster:
        return None
    return cluster, task_id


_SHOWN = (
    "attachments",
    "attributes",
    "availabilityZone",
    "clusterArn",
    "connectivity",
    "connectivityAt",
    "containerInstanceArn",
    "containers",
    "cpu",
    "createdAt",
    "desiredStatus",
    "enableExecuteCommand",
    "executionStoppedAt",
    "group",
    "healthStatus",
    "lastStatus",
    "launchType",
    "memory",
    "overrides",
    "pullStartedAt",
    "pullStoppedAt",
    "startedAt",
    "startedBy",
    "stopCode",
    "stoppedAt",
    "stoppedReason",
    "stoppingAt",
    "taskArn",
    "taskDefinitionArn",
    "version",
    "ephemeralStorage",
    "platformVersion",
    "platformFamily",
    "capacityProviderName",
)


def view(doc: Doc, tags: list[dict[str, str]] | None) -> Doc:
    """The Task as DescribeTasks returns it (``tags`` [] unless given)."""
    out = {k: doc[k] for k in _SHOWN if k in doc}
    out["tags"] = tags if tags is not None else []
    return out


def expired(doc: Doc, now: float) -> bool:
    """A STOPPED task past its retention: gone for every API."""
    return doc["lastStatus"] == "STOPPED" and now - float(doc.get("stoppedAt", now)) > (
        STOPPED_RETENTION
    )
