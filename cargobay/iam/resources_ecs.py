"""ECS operations' resources and condition keys (Service Authorization Reference,
"Actions, resources, and condition keys for Amazon Elastic Container Service").

Resource types: ``cluster/NAME``, ``container-instance/CLUSTER/ID``,
``service/CLUSTER/NAME``, ``task/CLUSTER/ID``, ``task-definition/FAMILY:REVISION``,
``capacity-provider/NAME``, ``task-set/CLUSTER/SERVICE/ID``.  Requests that name a
cluster (or default to ``default``) carry ``ecs:cluster``; those naming a task
definition ``ecs:task-definition``; capacity provider strategies
``ecs:capacity-provider``.  Running a task definition that has a task or execution
role needs ``iam:PassRole`` on it (passed to ``ecs-tasks.amazonaws.com``).
"""

from __future__ import annotations

import functools
from typing import Any

from cargobay.iam.action_map import Check, Params, Scope, pass_role
from cargobay.protocol.errors import AwsError
from cargobay.protocol.models import service_model

#: operations whose own resource is the cluster, and the member naming it
_CLUSTER = {
    "CreateCluster": "clusterName",
    "DeleteCluster": "cluster",
    "UpdateCluster": "cluster",
    "UpdateClusterSettings": "cluster",
    "PutClusterCapacityProviders": "cluster",
    "ListContainerInstances": "cluster",
    "ListAttributes": "cluster",
    "RegisterContainerInstance": "cluster",
    "DeregisterContainerInstance": "cluster",
    "SubmitTaskStateChange": "cluster",
    "SubmitContainerStateChange": "cluster",
    "SubmitAttachmentStateChanges": "cluster",
}
_CONTAINER_INSTANCES = {
    "DescribeContainerInstances": "containerInstances",
    "UpdateContainerInstancesState": "containerInstances",
    "UpdateContainerAgent": "containerInstance",
    "ListTasks": "containerInstance",
    "StartTelemetrySession": "containerInstance",
}
_TASKS = {
    "DescribeTasks": "tasks",
    "StopTask": "task",
    "GetTaskProtection": "tasks",
    "UpdateTaskProtection": "tasks",
    "ExecuteCommand": "task",
}
_SERVICES = {
    "CreateService": "serviceName",
    "DeleteService": "service",
    "UpdateService": "service",
    "DescribeServices": "services",
    "UpdateServicePrimaryTaskSet": "service",
    "ListServiceDeployments": "service",
}
_CAPACITY_PROVIDERS = {
    "CreateCapacityProvider": "name",
    "UpdateCapacityProvider": "name",
    "DeleteCapacityProvider": "capacityProvider",
    "DescribeCapacityProviders": "capacityProviders",
}
_TAGGING = ("TagResource", "UntagResource", "ListTagsForResource")


@functools.cache
def _takes_cluster(op: str) -> bool:
    shape = service_model("ecs").operation_model(op).input_shape
    return shape is not None and "cluster" in shape.members


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _cluster_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref


def _in_cluster(s: Scope, kind: str, cluster: str, ref: str) -> str:
    """``arn:aws:ecs:…:KIND/CLUSTER/ID`` for an id (an ARN stays as given)."""
    if ref.startswith("arn:"):
        return ref
    return s.arn("ecs", f"{kind}/{cluster}/{ref}")


def _task_definition(s: Scope, ref: str) -> tuple[str, dict[str, Any] | None]:
    """The task definition's ARN (a bare family: its latest ACTIVE revision) and document."""
    svc = s.app.services.get("ecs") if s.app is not None else None
    finder = getattr(svc, "find_task_definition", None)
    doc: dict[str, Any] | None = None
    if callable(finder):
        try:
            doc = finder(s.ctx, ref)
        except AwsError:
            doc = None
    if doc is not None and doc.get("taskDefinitionArn"):
        return str(doc["taskDefinitionArn"]), doc
    if ref.startswith("arn:"):
        return ref, None
    return s.arn("ecs", f"task-definition/{ref}"), None


def _roles_passed(doc: dict[str, Any] | None, params: Params) -> list[str]:
    roles: list[str] = []
    overrides = params.get("overrides") or {}
    for member in ("taskRoleArn", "executionRoleArn"):
        arn = overrides.get(member) or (doc or {}).get(member)
        if arn and arn not in roles:
            roles.append(str(arn))
    return roles


def extract(s: Scope, op: str, params: Params) -> Check:
    cluster = _cluster_name(str(params.get("cluster") or "default"))
    cluster_arn = s.arn("ecs", f"cluster/{cluster}")
    keys: dict[str, list[str]] = {}
    if _takes_cluster(op):
        keys["ecs:cluster"] = [cluster_arn]
    resources: list[str] = ["*"]
    also: list[Check] = []
    if op in _CLUSTER:
        name = params.get(_CLUSTER[op]) or "default"
        resources = [s.arn("ecs", f"cluster/{_cluster_name(str(name))}")]
    elif op == "DescribeClusters":
        names = _names(params.get("clusters")) or ["default"]
        resources = [s.arn("ecs", f"cluster/{_cluster_name(n)}") for n in names]
    elif op in _CONTAINER_INSTANCES:
        refs = _names(params.get(_CONTAINER_INSTANCES[op]))
        if refs:
            resources = [_in_cluster(s, "container-instance", cluster, r) for r in refs]
            keys["ecs:container-instances"] = resources
    elif op in _TASKS:
        refs = _names(params.get(_TASKS[op]))
        if refs:
            resources = [_in_cluster(s, "task", cluster, r) for r in refs]
    elif op in _SERVICES:
        refs = _names(params.get(_SERVICES[op]))
        if refs:
            resources = [_in_cluster(s, "service", cluster, r) for r in refs]
    elif op in _CAPACITY_PROVIDERS:
        refs = _names(params.get(_CAPACITY_PROVIDERS[op]))
        if refs:
            resources = [
                r if r.startswith("arn:") else s.arn("ecs", f"capacity-provider/{r}")
                for r in refs
            ]
    elif op in ("RunTask", "StartTask"):
        arn, doc = _task_definition(s, str(params.get("taskDefinition", "")))
        resources = [arn]
        keys["ecs:task-definition"] = [arn]
        also = [pass_role(r, "ecs-tasks.amazonaws.com") for r in _roles_passed(doc, params)]
        if op == "StartTask":
            keys["ecs:container-instances"] = [
                _in_cluster(s, "container-instance", cluster, r)
                for r in _names(params.get("containerInstances"))
            ]
    elif op == "DeleteTaskDefinitions":
        resources = [
            r if r.startswith("arn:") else s.arn("ecs", f"task-definition/{r}")
            for r in _names(params.get("taskDefinitions"))
        ] or ["*"]
    elif op in _TAGGING and params.get("resourceArn"):
        resources = [str(params["resourceArn"])]
    if op in ("CreateService", "UpdateService") and params.get("taskDefinition"):
        arn, doc = _task_definition(s, str(params["taskDefinition"]))
        keys["ecs:task-definition"] = [arn]
        also = [pass_role(r, "ecs-tasks.amazonaws.com") for r in _roles_passed(doc, {})]
    strategy = params.get("capacityProviderStrategy")
    if isinstance(strategy, list) and strategy:
        keys["ecs:capacity-provider"] = [
            s.arn("ecs", f"capacity-provider/{item.get('capacityProvider')}")
            for item in strategy
            if isinstance(item, dict)
        ]
    return Check("", resources, keys, also)
