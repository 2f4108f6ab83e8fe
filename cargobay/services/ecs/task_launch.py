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
from dataclasses import dataclass
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns, launch_volumes, placement, tag_store
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.uuids import uuid4_hex, uuid4_str
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


@dataclass(frozen=True)
class _Shape:
    """What every task of one (task definition, overrides) pair shares: its size and
    its containers' unchanging members, in the order ECS shows them."""

    cpu: str
    memory: str
    containers: tuple[tuple[tuple[str, str], ...], ...]


_last_shape: list[tuple[Doc, Doc, _Shape]] = []


def _shape(td: Doc, overrides: Doc) -> _Shape:
    """The shape of ``td`` with ``overrides``; remembered for the same two documents (the
    objects themselves: RunTask and the scheduler launch several tasks from one pair)."""
    if _last_shape:
        last_td, last_overrides, shape = _last_shape[0]
        if last_td is td and last_overrides is overrides:
            return shape
    sizes = placement.container_sizes(td, overrides)
    cpu, memory = placement.task_size(td, overrides, sizes)
    checked = {c["name"] for c in td.get("containerDefinitions", []) if c.get("healthCheck")}
    containers: list[tuple[tuple[str, str], ...]] = []
    for size, cdef in zip(sizes, td.get("containerDefinitions", []), strict=True):
        c: list[tuple[str, str]] = [("name", size.name), ("image", cdef.get("image", ""))]
        if size.name in checked:
            c.append(("healthStatus", "UNKNOWN"))
        c.append(("cpu", str(size.cpu)))
        if size.memory is not None:
            c.append(("memory", str(size.memory)))
        if size.memory_reservation is not None:
            c.append(("memoryReservation", str(size.memory_reservation)))
        containers.append(tuple(c))
    shape = _Shape(str(cpu), str(memory), tuple(containers))
    _last_shape[:] = [(td, overrides, shape)]
    return shape


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
    task_id = uuid4_hex()
    arn = tasks.task_arn(ctx, name, task_id)
    shape = _shape(td, overrides)
    arch = zone = None
    for a in instance.get("attributes", []):
        if a["name"] == "ecs.cpu-architecture":
            arch = a.get("value")
        elif a["name"] == "ecs.availability-zone":
            zone = a.get("value")
    container_prefix = arns.arn(ctx, f"container/{name}/{task_id}/")
    containers: list[Doc] = []
    for fixed in shape.containers:
        c: Doc = {
            "containerArn": container_prefix + uuid4_str(),
            "taskArn": arn,
            fixed[0][0]: fixed[0][1],  # name
            fixed[1][0]: fixed[1][1],  # image
            "lastStatus": "PENDING",
            "networkInterfaces": [],
        }
        c.update(fixed[2:])
        containers.append(c)
    task: Doc = {"attachments": []}
    if arch:
        task["attributes"] = [{"name": "ecs.cpu-architecture", "value": arch}]
    if zone:
        task["availabilityZone"] = zone
    task.update(
        clusterArn=cluster["clusterArn"],
        connectivity="CONNECTED",
        connectivityAt=now,
        containerInstanceArn=instance["containerInstanceArn"],
        containers=containers,
        cpu=shape.cpu,
        createdAt=now,
        desiredStatus="RUNNING",
        enableExecuteCommand=bool(req.get("enableExecuteCommand", False)),
        group=group,
        healthStatus="UNKNOWN",
        lastStatus="PROVISIONING",
        launchType="EC2",
        memory=shape.memory,
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
