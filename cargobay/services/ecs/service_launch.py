"""How the scheduler starts and stops a service's tasks: in-process, as RunTask and
StopTask do, with what marks a task as the service's.

A service task is a task like any other (task_launch.new_task, placed and committed
through task_writes.commit with the instance that holds it), with ``group``
``service:NAME``, ``startedBy`` the deployment's id (``ecs-svc/...``), the service's
``enableExecuteCommand``, and the tags the service propagates: its own
(``propagateTags`` SERVICE) or its task definition's (TASK_DEFINITION), plus
``aws:ecs:clusterName`` and ``aws:ecs:serviceName`` with ``enableECSManagedTags``.

The scheduler stops a task with stopCode ServiceSchedulerInitiated and the reason ECS
gives: "Scaling activity initiated by (deployment ecs-svc/...)" when a deployment or the
desired count retires it, "Task failed container health checks" for an unhealthy one.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import placement, placement_rules, tag_store, task_launch
from cargobay.services.ecs.task_lifecycle import category, desire_stop, place
from cargobay.services.ecs.task_writes import commit
from cargobay.store import Store

Doc = dict[str, Any]

SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"


def scaling_reason(deployment_id: str) -> str:
    return f"Scaling activity initiated by (deployment {deployment_id})"


def service_overrides(td: Doc) -> Doc:
    """The overrides a service's task shows: one empty entry per container."""
    return task_launch.check_overrides(td, {})


def task_tags(store: Store, service: Doc, td: Doc) -> list[dict[str, str]]:
    merged: dict[str, str] = {}
    propagate = service.get("propagateTags")
    if propagate == "SERVICE":
        source = tag_store.get_tags(store, service["serviceArn"])
    elif propagate == "TASK_DEFINITION":
        source = tag_store.get_tags(store, td["taskDefinitionArn"])
    else:
        source = []
    for t in source:
        merged[t["key"]] = t["value"]
    out = [{"key": k, "value": v} for k, v in merged.items()][: tag_store.MAX_TAGS]
    if service.get("enableECSManagedTags"):
        cluster = service["clusterArn"].rsplit("/", 1)[-1]
        out.append({"key": "aws:ecs:clusterName", "value": cluster})
        out.append({"key": "aws:ecs:serviceName", "value": service["serviceName"]})
    return out


def launch(
    store: Store,
    ctx: RequestContext,
    *,
    service: Doc,
    deployment_id: str,
    chosen: placement_rules.Candidate,
    td: Doc,
    overrides: Doc,
    needs: placement.Needs,
    tags: list[dict[str, str]],
    now: float,
) -> tuple[Doc, str | None]:
    """Place one task of the service on ``chosen`` (whose document is updated in place,
    so the caller may go on placing on it); returns the task and the instance key whose
    agent must hear of it."""
    cluster = {
        "clusterName": service["_cluster"],
        "clusterArn": service["clusterArn"],
    }
    req = {
        "startedBy": deployment_id,
        "enableExecuteCommand": bool(service.get("enableExecuteCommand", False)),
        "volumeConfigurations": service.get("volumeConfigurations"),
    }
    task = task_launch.new_task(
        ctx,
        cluster=cluster,
        instance=chosen.doc,
        instance_key=chosen.key,
        td=td,
        overrides=overrides,
        group=f"service:{service['serviceName']}",
        req=req,
        needs=needs,
        now=now,
    )
    if service.get("capacityProviderStrategy") and chosen.doc.get("capacityProviderName"):
        task["capacityProviderName"] = chosen.doc["capacityProviderName"]
    place(task, now)
    with store.batch():
        ikey = commit(store, task, None, instance=chosen.doc, new=True)
        tag_store.set_tags(store, task["taskArn"], tags)
    return task, ikey


def stop(store: Store, task: Doc, reason: str, now: float) -> tuple[bool, str | None]:
    """Ask the task's agent to stop it; (whether anything changed, instance key to wake)."""
    before = category(task)
    if not desire_stop(task, SERVICE_SCHEDULER_INITIATED, reason, now):
        return False, None
    with store.batch():
        ikey = commit(store, task, before, desired_changed=True)
        tag_store.drop_tags(store, task["taskArn"])
    return True, ikey
