"""What RunTask and StartTask check in a request, and the task document they create.

Checks (RunTask / StartTask API references):
- ``overrides``: at most 8192 characters of JSON; every containerOverride names a
  container of the task definition; sizes are not negative, memoryReservation not above
  memory; task cpu/memory readable.
- ``startedBy``: up to 128 letters, numbers, hyphens, forward slashes and underscores.
- ``group``: default ``family:<family>``.
- ``networkConfiguration``: required for an ``awsvpc`` task definition, refused for
  the other network modes.
- ``propagateTags``: TASK_DEFINITION copies the definition's tags; SERVICE is an error
  for a standalone task.  ``enableECSManagedTags`` adds ``aws:ecs:clusterName``.

The new task: long ARN ``task/<cluster>/<32 hex>``; containers with their own ARNs
(``container/<cluster>/<task id>/<uuid>``), lastStatus PENDING, cpu/memory/
memoryReservation as strings; task cpu/memory as strings; overrides shown for every
container (``{"name": ...}`` plus what was given), as ECS shows them.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import launch_volumes, placement, tag_store
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.store import Store

Doc = dict[str, Any]

MAX_OVERRIDES = 8192
_STARTED_BY = re.compile(r"^[A-Za-z0-9_/-]{1,128}$")
_TASK_OVERRIDE_KEYS = ("cpu", "memory", "taskRoleArn", "executionRoleArn", "ephemeralStorage")


def check_overrides(td: Doc, given: Doc) -> Doc:
    """The overrides as the task shows them; InvalidParameterException for bad ones."""
    if len(orjson.dumps(given)) > MAX_OVERRIDES:
        raise InvalidParameterException(
            f"Overrides must be {MAX_OVERRIDES} characters or fewer, including the JSON "
            "formatting characters."
        )
    names = [c["name"] for c in td.get("containerDefinitions", [])]
    by_name: dict[str, Doc] = {}
    for o in given.get("containerOverrides", []):
        name = o.get("name")
        if name not in names:
            raise InvalidParameterException(
                f"Override for container named {name} is not a container in the TaskDefinition."
            )
        for member in ("cpu", "memory", "memoryReservation"):
            if member in o and o[member] < 0:
                raise InvalidParameterException(
                    f"The {member} override for container {name} cannot be negative."
                )
        by_name[name] = {**by_name.get(name, {}), **o}
    out: Doc = {"containerOverrides": [{"name": n, **by_name.get(n, {})} for n in names]}
    for k in _TASK_OVERRIDE_KEYS:
        if k in given:
            out[k] = given[k]
    out["inferenceAcceleratorOverrides"] = list(given.get("inferenceAcceleratorOverrides", []))
    for size in placement.container_sizes(td, out):
        if size.memory is not None and size.memory_reservation is not None and (
            size.memory_reservation > size.memory
        ):
            raise InvalidParameterException(
                f"The memory reservation of container {size.name} cannot be greater than "
                "its memory."
            )
    placement.task_size(td, out)  # readable task cpu / memory
    return out


def check_started_by(value: str | None) -> None:
    if value is not None and not _STARTED_BY.match(value):
        raise InvalidParameterException(
            "startedBy may contain up to 128 letters (uppercase and lowercase), numbers, "
            "hyphens, forward slashes and underscores."
        )


def check_network(td: Doc, req: Doc) -> None:
    awsvpc = td.get("networkMode") == "awsvpc"
    given = bool(req.get("networkConfiguration"))
    if awsvpc and not given:
        raise InvalidParameterException(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified."
        )
    if given and not awsvpc:
        raise InvalidParameterException(
            "Network Configuration is not valid for the given networkMode of this task "
            "definition."
        )


def task_tags(store: Store, cluster: Doc, td: Doc, req: Doc) -> list[dict[str, str]]:
    """The tags a new task gets: its own, the task definition's when propagated (its own
    win on the same key), and ECS's managed tag when enabled."""
    own = tag_store.check_tags(req.get("tags") or [])
    propagate = req.get("propagateTags")
    if propagate == "SERVICE":
        raise InvalidParameterException(
            "The SERVICE option of propagateTags is only valid for tasks started by a service."
        )
    merged: dict[str, str] = {}
    if propagate == "TASK_DEFINITION":
        for t in tag_store.get_tags(store, td["taskDefinitionArn"]):
            merged[t["key"]] = t["value"]
    merged.update({t["key"]: t["value"] for t in own})
    if len(merged) > tag_store.MAX_TAGS:
        raise InvalidParameterException(
            f"The tag limit of {tag_store.MAX_TAGS} tags per resource has been exceeded."
        )
    out = [{"key": k, "value": v} for k, v in merged.items()]
    if req.get("enableECSManagedTags"):
        out.append({"key": "aws:ecs:clusterName", "value": cluster["clusterName"]})
    return out


def new_task(
    ctx: RequestContext,
    *,
    cluster: Doc,
    instance: Doc,
    instance_key: str,
    td: Doc,
    overrides: Doc,
    group: str,
    req: Doc,
    needs: placement.Needs,
    now: float,
) -> Doc:
    """A task document for ``td`` placed on ``instance`` (lastStatus set by the caller)."""
    name = cluster["clusterName"]
    task_id = tasks.new_id()
    arn = tasks.task_arn(ctx, name, task_id)
    cpu, memory = placement.task_size(td, overrides)
    attrs = {a["name"]: a.get("value") for a in instance.get("attributes", [])}
    checked = {c["name"] for c in td.get("containerDefinitions", []) if c.get("healthCheck")}
    containers: list[Doc] = []
    for size, cdef in zip(
        placement.container_sizes(td, overrides), td.get("containerDefinitions", []), strict=True
    ):
        c: Doc = {
            "containerArn": tasks.container_arn(ctx, name, task_id),
            "taskArn": arn,
            "name": size.name,
            "image": cdef.get("image", ""),
            "lastStatus": "PENDING",
            "networkInterfaces": [],
        }
        if size.name in checked:
            c["healthStatus"] = "UNKNOWN"
        c["cpu"] = str(size.cpu)
        if size.memory is not None:
            c["memory"] = str(size.memory)
        if size.memory_reservation is not None:
            c["memoryReservation"] = str(size.memory_reservation)
        containers.append(c)
    task: Doc = {"attachments": []}
    if attrs.get("ecs.cpu-architecture"):
        arch = attrs["ecs.cpu-architecture"]
        task["attributes"] = [{"name": "ecs.cpu-architecture", "value": arch}]
    if attrs.get("ecs.availability-zone"):
        task["availabilityZone"] = attrs["ecs.availability-zone"]
    task.update(
        clusterArn=cluster["clusterArn"],
        connectivity="CONNECTED",
        connectivityAt=now,
        containerInstanceArn=instance["containerInstanceArn"],
        containers=containers,
        cpu=str(cpu),
        createdAt=now,
        desiredStatus="RUNNING",
        enableExecuteCommand=bool(req.get("enableExecuteCommand", False)),
        group=group,
        healthStatus="UNKNOWN",
        lastStatus="PROVISIONING",
        launchType="EC2",
        memory=str(memory),
        overrides=overrides,
    )
    if req.get("startedBy") is not None:
        task["startedBy"] = req["startedBy"]
    task.update(taskArn=arn, taskDefinitionArn=td["taskDefinitionArn"], version=1)
    task.update(
        _cluster=name,
        _instanceId=instance_key.rsplit("/", 1)[-1],
        _instanceKey=instance_key,
        _taskDefinition=td,
        _needs=needs.as_doc(),
    )
    if req.get("volumeConfigurations"):
        task[launch_volumes.TASK_KEY] = launch_volumes.kept(
            td, req["volumeConfigurations"]
        )
    if req.get("referenceId") is not None:
        task["_referenceId"] = req["referenceId"]
    if req.get("clientToken") is not None:
        task["_clientToken"] = req["clientToken"]
    return task
