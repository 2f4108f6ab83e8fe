"""Service documents: where they live, how a name or ARN finds one, how one is shown.

Table ``ecs.services``, key ``<account>/<region>/<cluster>/<service name>``.  A document
is the Service as DescribeServices shows it, less what is counted live (runningCount,
pendingCount and each deployment's counts come from the service's tasks), plus internal
members (``_`` prefix, never shown):

- ``_cluster``: the cluster name; ``_clientToken``, ``_fingerprint``: CreateService
  idempotency; ``_lastCompleted``: the last deployment that reached COMPLETED (what the
  circuit breaker rolls back to); ``_steadyAt``: when the steady-state event was last
  written; ``_inactiveAt``: when a deleted service became INACTIVE.
- each deployment: ``_since`` (failures count from then) and ``_succeededAt`` (when a
  task of it first counted healthy: the circuit breaker's second stage).

Statuses: ACTIVE; DRAINING after DeleteService while its tasks stop; INACTIVE once none
is left running ("Services in the DRAINING or INACTIVE status can still be viewed with
the DescribeServices API operation"), purged an hour later.

:class:`ServiceBook` keeps every document in memory as well (the scheduler reads them
all on each pass): it is loaded from the store at start and every write goes through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns
from cargobay.store import Store

Doc = dict[str, Any]

TABLE = "ecs.services"

ACTIVE = "ACTIVE"
DRAINING = "DRAINING"
INACTIVE = "INACTIVE"

#: seconds an INACTIVE (deleted) service stays describable
INACTIVE_RETENTION = 3600.0

#: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are
#: allowed." (CreateService serviceName)
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def service_arn(ctx: RequestContext, cluster: str, name: str) -> str:
    return arns.arn(ctx, f"service/{cluster}/{name}")


def key(ctx: RequestContext, cluster: str, name: str) -> str:
    return arns.scope_key(ctx, cluster, name)


def prefix(ctx: RequestContext, cluster: str) -> str:
    return arns.scope_key(ctx, cluster, "")


def key_of(doc: Doc) -> str:
    """The store key of a service document, from its ARN."""
    parsed = arns.parse_arn(doc["serviceArn"])
    assert parsed is not None
    return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"


def context_of(service_key: str) -> RequestContext:
    """A request context in the service's account and Region (for the scheduler's own
    writes: task ARNs are built from it)."""
    account, region, _ = service_key.split("/", 2)
    return RequestContext("ecs", "ServiceScheduler", region, account, "scheduler", "internal")


@dataclass(frozen=True)
class ServiceRef:
    name: str
    arn: str


def parse_ref(ctx: RequestContext, cluster: str, text: str) -> ServiceRef | None:
    """A service name or ARN (``service/CLUSTER/NAME``, or the old ``service/NAME``) in
    ``cluster``; None when it cannot name a service there."""
    if not text.startswith("arn:"):
        if not NAME.match(text):
            return None
        return ServiceRef(text, service_arn(ctx, cluster, text))
    parsed = arns.parse_arn(text)
    if (
        parsed is None
        or parsed.service != "ecs"
        or parsed.resource_type != "service"
        or parsed.region != ctx.region
        or parsed.account_id != ctx.account_id
    ):
        return None
    parts = parsed.resource.split("/")
    if len(parts) == 1 and NAME.match(parts[0]):
        return ServiceRef(parts[0], service_arn(ctx, cluster, parts[0]))
    if len(parts) == 2 and parts[0] == cluster and NAME.match(parts[1]):
        return ServiceRef(parts[1], text)
    return None


# -- the documents, in memory and in the store ---------------------------------------------


class ServiceBook:
    """Every service document, in the store and in memory.

    ``peek`` hands out the kept document itself (the scheduler reads it without a copy
    and changes it only to write it back at once); ``get`` a copy the caller may change
    freely before ``put``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._docs: dict[str, Doc] = {}
        self.load()

    def load(self) -> None:
        self._docs = dict(self.store.scan(TABLE))

    def clear(self) -> None:
        self._docs.clear()

    def reload(self, service_key: str) -> None:
        """Take the stored document again (after a write that did not happen)."""
        doc = self.store.get(TABLE, service_key)
        if doc is None:
            self._docs.pop(service_key, None)
        else:
            self._docs[service_key] = doc

    def peek(self, service_key: str) -> Doc | None:
        return self._docs.get(service_key)

    def get(self, service_key: str) -> Doc | None:
        doc = self._docs.get(service_key)
        return None if doc is None else _copy(doc)

    def put(self, service_key: str, doc: Doc) -> None:
        self.store.put(TABLE, service_key, doc)
        self._docs[service_key] = doc

    def delete(self, service_key: str) -> None:
        self.store.delete(TABLE, service_key)
        self._docs.pop(service_key, None)

    def keys(self, scope: str = "") -> list[str]:
        """The service keys under ``scope`` (a key prefix), in key order."""
        return sorted(k for k in self._docs if k.startswith(scope))

    def __len__(self) -> int:
        return len(self._docs)


def _copy(doc: Doc) -> Doc:
    out: Doc = orjson.loads(orjson.dumps(doc))
    return out


# -- what DescribeServices shows ------------------------------------------------------------

_SHOWN = (
    "serviceArn",
    "serviceName",
    "clusterArn",
    "loadBalancers",
    "serviceRegistries",
    "status",
    "desiredCount",
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "platformFamily",
    "taskDefinition",
    "deploymentConfiguration",
    "roleArn",
    "createdAt",
    "placementConstraints",
    "placementStrategy",
    "networkConfiguration",
    "healthCheckGracePeriodSeconds",
    "schedulingStrategy",
    "deploymentController",
    "createdBy",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
)

_DEPLOYMENT_SHOWN = (
    "id",
    "status",
    "taskDefinition",
    "desiredCount",
    "failedTasks",
    "createdAt",
    "updatedAt",
    "capacityProviderStrategy",
    "launchType",
    "platformVersion",
    "platformFamily",
    "networkConfiguration",
    "rolloutState",
    "rolloutStateReason",
)


@dataclass(frozen=True)
class Counts:
    """Tasks of a service (or of one deployment) by lastStatus: RUNNING, and before it."""

    running: int = 0
    pending: int = 0


def view(
    doc: Doc,
    *,
    counts: dict[str, Counts],
    failed: dict[str, int],
    events: list[Doc],
    tags: list[dict[str, str]] | None,
) -> Doc:
    """The Service as ECS shows it; ``counts`` and ``failed`` by deployment id."""
    out = {k: doc[k] for k in _SHOWN if k in doc}
    deployments: list[Doc] = []
    running = pending = 0
    for d in doc.get("deployments", []):
        shown = {k: d[k] for k in _DEPLOYMENT_SHOWN if k in d}
        c = counts.get(d["id"], Counts())
        shown["runningCount"] = c.running
        shown["pendingCount"] = c.pending
        shown["failedTasks"] = failed.get(d["id"], 0)
        running += c.running
        pending += c.pending
        deployments.append(shown)
    out["runningCount"] = running
    out["pendingCount"] = pending
    out["deployments"] = deployments
    out["taskSets"] = []
    out["events"] = events
    if tags is not None:
        out["tags"] = tags
    return out
