"""Container instance documents: where they live, how a reference finds one, how one is
shown.

Table ``ecs.instances``, key ``<account>/<region>/<cluster>/<id>`` (docs/agent-protocol.md
§5).  A document is the ContainerInstance as DescribeContainerInstances returns it, plus
internal members (``_`` prefix, never shown):

- ``_cluster``: the cluster name; ``_lastSeen``: clock time of the agent's last poll;
- ``_version``: the assignment version the agent's long poll compares with;
- ``_tasks``: ``{task id: {"needs": ..., "group": ...}}`` for every task placed here and
  not yet STOPPED (placement.py keeps ``remainingResources`` from it);
- ``_health``: the instance health the agent last reported.

A deregistered instance stays (status INACTIVE) for an hour, then is purged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns
from cargobay.services.ecs.query_language import InstanceFacts

Doc = dict[str, Any]

TABLE = "ecs.instances"

ACTIVE = "ACTIVE"
DRAINING = "DRAINING"
INACTIVE = "INACTIVE"

#: seconds an INACTIVE (deregistered) instance stays describable
INACTIVE_RETENTION = 3600.0


def new_id() -> str:
    return uuid.uuid4().hex


def instance_arn(ctx: RequestContext, cluster: str, instance_id: str) -> str:
    return arns.arn(ctx, f"container-instance/{cluster}/{instance_id}")


def key(ctx: RequestContext, cluster: str, instance_id: str) -> str:
    return arns.scope_key(ctx, cluster, instance_id)


def prefix(ctx: RequestContext, cluster: str) -> str:
    return arns.scope_key(ctx, cluster, "")


def key_of(doc: Doc) -> str:
    """The store key of an instance document, from its ARN."""
    parsed = arns.parse_arn(doc["containerInstanceArn"])
    assert parsed is not None
    return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"


@dataclass(frozen=True)
class InstanceRef:
    cluster: str
    instance_id: str
    arn: str


def parse_ref(ctx: RequestContext, cluster: str, text: str) -> InstanceRef | None:
    """A container instance ID or ARN (long ``container-instance/CLUSTER/ID`` or old
    ``container-instance/ID``) in ``cluster``; None when it cannot name one there."""
    if not text.startswith("arn:"):
        if not text or "/" in text or not text.isprintable():
            return None
        return InstanceRef(cluster, text, instance_arn(ctx, cluster, text))
    parsed = arns.parse_arn(text)
    if (
        parsed is None
        or parsed.service != "ecs"
        or parsed.resource_type != "container-instance"
        or parsed.region != ctx.region
        or parsed.account_id != ctx.account_id
    ):
        return None
    parts = parsed.resource.split("/")
    if len(parts) == 1 and parts[0]:
        return InstanceRef(cluster, parts[0], instance_arn(ctx, cluster, parts[0]))
    if len(parts) == 2 and all(parts) and parts[0] == cluster:
        return InstanceRef(cluster, parts[1], text)
    return None


def attributes_map(doc: Doc) -> dict[str, str | None]:
    return {a["name"]: a.get("value") for a in doc.get("attributes", [])}


def facts(doc: Doc, groups: list[str]) -> InstanceFacts:
    """What the cluster query language may ask about this instance."""
    return InstanceFacts(
        attributes=attributes_map(doc),
        agent_connected=bool(doc.get("agentConnected")),
        agent_version=(doc.get("versionInfo") or {}).get("agentVersion", ""),
        ec2_instance_id=doc.get("ec2InstanceId", ""),
        registered_at=float(doc.get("registeredAt", 0.0)),
        running_tasks_count=int(doc.get("runningTasksCount", 0)),
        task_groups=groups,
    )


_SHOWN = (
    "containerInstanceArn",
    "ec2InstanceId",
    "capacityProviderName",
    "version",
    "versionInfo",
    "remainingResources",
    "registeredResources",
    "status",
    "statusReason",
    "agentConnected",
    "runningTasksCount",
    "pendingTasksCount",
    "agentUpdateStatus",
    "attributes",
    "registeredAt",
    "attachments",
)


def view(doc: Doc, *, tags: list[dict[str, str]] | None, health: bool) -> Doc:
    """The ContainerInstance as ECS returns it; ``tags`` only when asked for (else [])."""
    out = {k: doc[k] for k in _SHOWN if k in doc}
    out["tags"] = tags if tags is not None else []
    if health:
        out["healthStatus"] = health_status(doc)
    return out


def health_status(doc: Doc) -> Doc:
    """ContainerInstanceHealthStatus from the agent's reports (INSUFFICIENT_DATA before any)."""
    details = list((doc.get("_health") or {}).values())
    if not details:
        return {"overallStatus": "INSUFFICIENT_DATA", "details": []}
    statuses = {d["status"] for d in details}
    overall = "OK"
    for worst in ("IMPAIRED", "INSUFFICIENT_DATA", "INITIALIZING"):
        if worst in statuses:
            overall = worst
            break
    return {"overallStatus": overall, "details": details}
