"""How the service scheduler starts a FARGATE service's task: no instance to place on.

The task is a service task (group ``service:NAME``, startedBy the deployment id, the
service's tags and execute-command setting, service_launch) created as RunTask creates
a Fargate task (fargate_launch), with the deployment's networkConfiguration and
platformVersion, checked as RunTask checks them (fargate_rules.check_task).
"""

from __future__ import annotations

import random
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import fargate_launch, fargate_rules, service_launch, tag_store
from cargobay.services.ecs.task_writes import commit
from cargobay.store import Store

Doc = dict[str, Any]


def is_fargate(service: Doc, deployment: Doc) -> bool:
    return (deployment.get("launchType") or service.get("launchType")) == "FARGATE"


def launch(
    store: Store,
    ctx: RequestContext,
    *,
    service: Doc,
    deployment: Doc,
    td: Doc,
    tags: list[dict[str, str]],
    now: float,
    rng: random.Random,
    provider: str | None = None,
) -> Doc | None:
    """Start one Fargate task of the service (stored); None when no address is free.
    AwsError when the deployment's settings cannot run on Fargate."""
    overrides = service_launch.service_overrides(td)
    req: Doc = {
        "startedBy": deployment["id"],
        "enableExecuteCommand": bool(service.get("enableExecuteCommand", False)),
        "networkConfiguration": deployment.get("networkConfiguration")
        or service.get("networkConfiguration"),
        "platformVersion": deployment.get("platformVersion") or service.get("platformVersion"),
    }
    checked = fargate_rules.check_task(td, overrides, req)
    cluster = {"clusterName": service["_cluster"], "clusterArn": service["clusterArn"]}
    task = fargate_launch.new_task(
        store, ctx, cluster=cluster, td=td, overrides=overrides,
        group=f"service:{service['serviceName']}", req=req, checked=checked, now=now, rng=rng,
    )
    if task is None:
        return None
    if provider is not None:  # FARGATE or FARGATE_SPOT, from a capacity provider strategy
        task["capacityProviderName"] = provider
    with store.batch():
        commit(store, task, None, new=True)
        if tags:
            tag_store.set_tags(store, task["taskArn"], tags)
    return task
