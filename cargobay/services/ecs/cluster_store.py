"""Cluster documents: where they live, how a name or ARN finds one, and how one is shown.

Table ``ecs.clusters``, key ``arns.scope_key(ctx, name)``.  A deleted cluster stays as
an INACTIVE document ("Clusters with an INACTIVE status might remain discoverable in
your account for a period of time", DeleteCluster) until the name is created again.
Other ECS modules use :func:`active_cluster` to resolve the ``cluster`` member of a
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns
from cargobay.services.ecs.cluster_stats import COUNTERS, cluster_statistics, zero_stats
from cargobay.services.ecs.errors import ClusterNotFoundException, InvalidParameterException
from cargobay.store import Store

TABLE = "ecs.clusters"

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"


@dataclass(frozen=True)
class ClusterRef:
    name: str
    arn: str
    #: False when an ARN names another account or Region (never found from here)
    local: bool


def cluster_arn(ctx: RequestContext, name: str) -> str:
    return arns.arn(ctx, f"cluster/{name}")


def key(ctx: RequestContext, name: str) -> str:
    return arns.scope_key(ctx, name)


def parse_ref(ctx: RequestContext, ref: str) -> ClusterRef:
    """A cluster short name or full ARN; an ARN of anything but a cluster is refused."""
    if not ref.startswith("arn:"):
        return ClusterRef(ref, cluster_arn(ctx, ref), "/" not in ref)
    parsed = arns.parse_arn(ref)
    if (
        parsed is None
        or parsed.service != "ecs"
        or parsed.resource_type != "cluster"
        or not parsed.resource
        or "/" in parsed.resource
    ):
        raise InvalidParameterException(f"The cluster identifier {ref} is not a valid cluster ARN.")
    local = parsed.region == ctx.region and parsed.account_id == ctx.account_id
    return ClusterRef(parsed.resource, ref, local)


def find(store: Store, ctx: RequestContext, ref: ClusterRef) -> dict[str, Any] | None:
    """The cluster document, ACTIVE or INACTIVE; None if there never was one here."""
    if not ref.local or not ref.name:
        return None
    return store.get(TABLE, key(ctx, ref.name))


def active_cluster(store: Store, ctx: RequestContext, ref: str | None) -> dict[str, Any]:
    """The ACTIVE cluster a request names (``default`` when it names none)."""
    doc = find(store, ctx, parse_ref(ctx, ref if ref is not None else "default"))
    if doc is None or doc["status"] != ACTIVE:
        raise ClusterNotFoundException()
    return doc


def new_cluster(ctx: RequestContext, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "clusterArn": cluster_arn(ctx, name),
        "clusterName": name,
        "status": ACTIVE,
        "settings": [],
        "capacityProviders": [],
        "defaultCapacityProviderStrategy": [],
        "attachments": [],
        "stats": zero_stats(),
    }
    doc.update(dict.fromkeys(COUNTERS, 0))
    return doc


@dataclass(frozen=True)
class Include:
    """DescribeClusters ``include``: what is shown beyond the basic fields."""

    attachments: bool = False
    configurations: bool = False
    settings: bool = False
    statistics: bool = False
    tags: bool = False

    @classmethod
    def of(cls, names: list[str]) -> Include:
        got = set(names)
        return cls(
            attachments="ATTACHMENTS" in got,
            configurations="CONFIGURATIONS" in got,
            settings="SETTINGS" in got,
            statistics="STATISTICS" in got,
            tags="TAGS" in got,
        )


#: what CreateCluster / UpdateCluster / UpdateClusterSettings answer with
WRITE_VIEW = Include(configurations=True, settings=True, tags=True)


def view(doc: dict[str, Any], tags: list[dict[str, str]], inc: Include) -> dict[str, Any]:
    """The Cluster structure as ECS returns it.

    ``statistics``, ``tags`` and ``settings`` are always present, empty unless asked
    for (describe-clusters.rst, example 2); ``configuration`` and ``attachments`` only
    when asked for.
    """
    out: dict[str, Any] = {
        "clusterArn": doc["clusterArn"],
        "clusterName": doc["clusterName"],
        "status": doc["status"],
    }
    for counter in COUNTERS:
        out[counter] = doc.get(counter, 0)
    out["statistics"] = cluster_statistics(doc.get("stats") or {}) if inc.statistics else []
    out["tags"] = tags if inc.tags else []
    out["settings"] = list(doc.get("settings") or []) if inc.settings else []
    out["capacityProviders"] = list(doc.get("capacityProviders") or [])
    out["defaultCapacityProviderStrategy"] = list(doc.get("defaultCapacityProviderStrategy") or [])
    if inc.configurations and doc.get("configuration"):
        out["configuration"] = doc["configuration"]
    if inc.attachments:
        out["attachments"] = list(doc.get("attachments") or [])
        if doc.get("attachmentsStatus"):
            out["attachmentsStatus"] = doc["attachmentsStatus"]
    if doc.get("serviceConnectDefaults"):
        out["serviceConnectDefaults"] = doc["serviceConnectDefaults"]
    return out


def adjust_counters(store: Store, cluster_key: str, deltas: dict[str, int]) -> None:
    """Add ``deltas`` to a cluster's counters: ECS's top-level ones (``runningTasksCount``...)
    or the per-launch-type ``stats`` (``runningEC2TasksCount``...).  Never below zero."""
    doc = store.get(TABLE, cluster_key)
    if doc is None or not any(deltas.values()):
        return
    stats = doc.setdefault("stats", zero_stats())
    for name, delta in deltas.items():
        target = doc if name in COUNTERS else stats
        target[name] = max(0, int(target.get(name, 0)) + delta)
    store.put(TABLE, cluster_key, doc)
