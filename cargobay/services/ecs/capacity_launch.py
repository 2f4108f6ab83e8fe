"""What the service scheduler and RunTask need to launch through a capacity provider
strategy: the strategy in force, the split of new tasks across providers (counting the
service's live tasks), and which container instances belong to which provider.

A container instance belongs to an Auto Scaling group provider when its EC2 instance is
in the provider's group and the provider is associated with the instance's cluster
(ECS records it as the instance's ``capacityProviderName`` at registration).
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import names as asg_names
from cargobay.services.ecs import capacity_provider_store as cps
from cargobay.services.ecs import capacity_strategy, capacity_waiting, placement, service_launch
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.cluster_settings import FARGATE_PROVIDERS
from cargobay.store import Store

Doc = dict[str, Any]


def strategy_of(service: Doc, deployment: Doc) -> list[Doc]:
    return list(deployment.get("capacityProviderStrategy")
                or service.get("capacityProviderStrategy") or [])


def live_by_provider(store: Store, cluster_key: str, group: str) -> dict[str, int]:
    """How many tasks of ``group`` (``service:NAME``) that are not stopping run on each
    provider."""
    out: dict[str, int] = {}
    for _, t in store.scan(tasks.TABLE, cluster_key + "/"):
        if t.get("group") != group or t.get("desiredStatus") == "STOPPED":
            continue
        name = t.get("capacityProviderName")
        if name:
            out[name] = out.get(name, 0) + 1
    return out


def plan(store: Store, cluster_key: str, service: Doc, strategy: list[Doc],
         count: int) -> list[tuple[str, int]]:
    """(provider, how many) for ``count`` new tasks of the service, in strategy order."""
    existing = live_by_provider(store, cluster_key, f"service:{service['serviceName']}")
    got = capacity_strategy.tally(capacity_strategy.split(strategy, count, existing))
    return [(item["capacityProvider"], got[item["capacityProvider"]])
            for item in strategy if got.get(item["capacityProvider"])]


def is_fargate(provider: str | None) -> bool:
    return provider in FARGATE_PROVIDERS


def managed_scaling_on(store: Store, ctx: RequestContext, provider: str) -> bool:
    doc = store.get(cps.TABLE, cps.key(ctx, provider))
    if doc is None:
        return False
    return bool(doc["autoScalingGroupProvider"]["managedScaling"]["status"] == "ENABLED")


def provider_of_instance(store: Store, ctx: RequestContext, cluster: Doc,
                         ec2_instance_id: str | None) -> str | None:
    """The cluster's Auto Scaling group provider whose group holds the EC2 instance."""
    if not ec2_instance_id:
        return None
    inst = store.get(asg_names.INSTANCES, asg_names.key(ctx, ec2_instance_id))
    if inst is None:
        return None
    group = store.get(asg_names.GROUPS, asg_names.key(ctx, inst["group"]))
    if group is None:
        return None
    for name in cluster.get("capacityProviders") or []:
        if is_fargate(name):
            continue
        doc = store.get(cps.TABLE, cps.key(ctx, name))
        if doc and doc["autoScalingGroupProvider"]["autoScalingGroupArn"] == (
            group["AutoScalingGroupARN"]
        ):
            return str(name)
    return None


def wait_for_capacity(store: Store, ctx: RequestContext, *, service: Doc, deployment_id: str,
                      td: Doc, provider: str, count: int, now: float) -> list[Doc]:
    """``count`` tasks of the service waiting in PROVISIONING for ``provider``."""
    overrides = service_launch.service_overrides(td)
    needs = placement.task_needs(td, overrides)
    tags = service_launch.task_tags(store, service, td)
    cluster = {"clusterName": service["_cluster"], "clusterArn": service["clusterArn"]}
    req = {
        "startedBy": deployment_id,
        "enableExecuteCommand": bool(service.get("enableExecuteCommand", False)),
        "volumeConfigurations": service.get("volumeConfigurations"),
        "placementConstraints": service.get("placementConstraints") or [],
    }
    return [
        capacity_waiting.create(store, ctx, cluster=cluster, td=td, overrides=overrides,
                                group=f"service:{service['serviceName']}", req=req,
                                needs=needs, provider=provider, tags=tags, now=now)
        for _ in range(count)
    ]
