"""ECS's own checks on RegisterTaskDefinition input, beyond the model's constraints.

Every refusal is a ``ClientException`` (HTTP 400) whose message is the text ECS answers
with.  Messages marked ``# seen`` were copied from real ECS answers quoted in public bug
reports; the others follow ECS's wording for the nearest case and are not yet confirmed
against ECS.

Rules, from the RegisterTaskDefinition API reference and "Task definition parameters":
family and container names are up to 255 letters, numbers, hyphens and underscores; a
task definition holds 1 to 10 containers (service quota); at least one container is
essential; with no task-level memory every container states ``memory`` or
``memoryReservation``; ``memory`` is at least ``memoryReservation``; ``awsvpc`` and
``host`` need host ports equal to container ports; ``links`` and ``hostname`` are not
allowed with ``awsvpc``; ``dependsOn`` and ``mountPoints`` name containers and volumes of
the same task definition; a container that others wait on to COMPLETE or SUCCEED cannot
be essential; the whole definition is at most 64 KiB.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

from cargobay.services.ecs.errors import ClientException
from cargobay.services.ecs.fargate_sizes import ec2_cpu_ok, fargate_size_ok
from cargobay.services.ecs.taskdef_volumes import volume_problem

Doc = dict[str, Any]

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
MAX_CONTAINERS = 10
MAX_PLACEMENT_CONSTRAINTS = 10
MAX_DEFINITION_BYTES = 65536
ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/")


def is_ecr_image(image: str) -> bool:
    return ECR_IMAGE.match(image) is not None


def is_windows(td: Doc) -> bool:
    os_family = (td.get("runtimePlatform") or {}).get("operatingSystemFamily", "")
    return str(os_family).startswith("WINDOWS")


def _fail(message: str) -> ClientException:
    return ClientException(message)


# -- the whole definition ---------------------------------------------------------------


def check_family(family: str) -> None:
    if not family:
        raise _fail("Family can not be blank.")  # seen
    if len(family) > 255:
        raise _fail("Family name cannot be longer than 255 characters.")
    if not NAME.match(family):
        raise _fail("Family contains invalid characters.")  # seen


def check_size(request: Doc) -> None:
    """ECS refuses a definition over 64 KiB (the request, tags aside)."""
    body = {k: v for k, v in request.items() if k != "tags"}
    length = len(orjson.dumps(body))
    if length > MAX_DEFINITION_BYTES:
        raise _fail(  # seen
            f"Actual length: '{length}'. Max allowed length is '{MAX_DEFINITION_BYTES}' bytes."
        )


def check_task_definition(td: Doc, task_cpu: int | None, task_memory: int | None) -> None:
    """All of ECS's checks on a definition whose cpu/memory were already parsed."""
    check_family(td["family"])
    containers: list[Doc] = td["containerDefinitions"]
    if not containers:
        raise _fail("Container list cannot be empty.")  # seen
    if len(containers) > MAX_CONTAINERS:
        raise _fail("Too many containers.")  # seen
    _check_names(containers)
    if len(td.get("placementConstraints", [])) > MAX_PLACEMENT_CONSTRAINTS:
        raise _fail("Too many placement constraints.")
    if task_cpu is not None and not ec2_cpu_ok(task_cpu) and "FARGATE" not in td.get(
        "requiresCompatibilities", []
    ):
        raise _fail("Invalid 'cpu' setting for task.")  # seen
    if task_memory is not None and task_memory <= 0:
        raise _fail("Invalid 'memory' setting for task.")
    required = td.get("requiresCompatibilities", [])
    if "FARGATE" in required:
        problems = fargate_problems(td, task_cpu, task_memory)
        if problems:
            raise _fail(problems[0])
    if "EXTERNAL" in required:
        problems = external_problems(td)
        if problems:
            raise _fail(problems[0])
    _check_memory(containers, task_cpu, task_memory)
    _check_network(td, containers)
    _check_dependencies(containers)
    _check_mount_points(td, containers)
    if not any(c.get("essential", True) for c in containers):
        raise _fail("Task definition doesn't have any essential container.")  # seen
    storage = td.get("ephemeralStorage")
    if storage is not None and not 21 <= storage["sizeInGiB"] <= 200:
        raise _fail("The ephemeral storage size must be between 21 GiB and 200 GiB.")


def _check_names(containers: list[Doc]) -> None:
    seen: set[str] = set()
    for c in containers:
        name = c.get("name")
        if not name:
            raise _fail("Container.name should not be null or empty.")  # seen
        if not NAME.match(name):
            raise _fail("Container.name contains invalid characters.")  # seen
        if not c.get("image"):
            raise _fail("Container.image should not be null or empty.")  # seen
        if name in seen:
            raise _fail("Container names must be unique within a Task Definition.")  # seen
        seen.add(name)


# -- resources ----------------------------------------------------------------------------


def _check_memory(containers: list[Doc], task_cpu: int | None, task_memory: int | None) -> None:
    for c in containers:
        name = c["name"]
        memory = c.get("memory")
        reservation = c.get("memoryReservation")
        if task_memory is None and not memory and not reservation:
            raise _fail(  # seen
                f"Invalid setting for container '{name}'. "
                "At least one of 'memory' or 'memoryReservation' must be specified."
            )
        if memory is not None and memory <= 0:
            raise _fail(f"Invalid 'memory' setting for container '{name}'.")
        if reservation is not None and reservation <= 0:
            raise _fail(f"Invalid 'memoryReservation' setting for container '{name}'.")
        if memory is not None and reservation is not None and memory < reservation:
            raise _fail(
                f"Invalid 'memory' setting for container '{name}'. "
                "'memory' must be greater than or equal to 'memoryReservation'."
            )
        if task_memory is not None and memory is not None and memory > task_memory:
            raise _fail(  # seen
                f"The 'memory' setting for container '{name}' is greater than for the task."
            )
        if c.get("cpu", 0) < 0:
            raise _fail(f"Invalid 'cpu' setting for container '{name}'.")
    if task_cpu is not None and sum(c.get("cpu", 0) for c in containers) > task_cpu:
        raise _fail(  # seen
            "The sum of all container 'cpu' values cannot be greater than the value of the "
            "task 'cpu'."
        )
    reserved = sum(c.get("memoryReservation", 0) for c in containers)
    if task_memory is not None and reserved > task_memory:
        raise _fail(  # seen
            "The sum of all container 'memoryReservation' values cannot be greater than the "
            "value of the task 'memory'."
        )


# -- networking ---------------------------------------------------------------------------


def _check_network(td: Doc, containers: list[Doc]) -> None:
    mode = td.get("networkMode", "bridge")
    for c in containers:
        name = c["name"]
        if mode == "awsvpc" and c.get("links"):
            raise _fail("Links are not supported when networkMode=awsvpc.")  # seen
        if mode == "awsvpc" and c.get("hostname") is not None:
            raise _fail(  # seen
                "hostname is not supported on container when networkMode=awsvpc."
            )
        for pm in c.get("portMappings", []):
            if "containerPortRange" in pm and "containerPort" not in pm:
                continue
            port = pm.get("containerPort")
            if port is None or not 0 < port <= 65535:
                raise _fail(f"Invalid 'containerPort' setting for container '{name}'.")  # seen
            host = pm.get("hostPort")
            if host is not None and not 0 <= host <= 65535:
                raise _fail(f"Invalid 'hostPort' setting for container '{name}'.")
            if mode in ("awsvpc", "host") and host is not None and host != port:
                raise _fail(  # seen (awsvpc)
                    f"When networkMode={mode}, the host ports and container ports in port "
                    "mappings must match."
                )
            if mode == "none":
                raise _fail("Port mappings are not supported when networkMode=none.")


# -- references inside the definition ---------------------------------------------------


def _check_dependencies(containers: list[Doc]) -> None:
    by_name = {c["name"]: c for c in containers}
    for c in containers:
        for dep in c.get("dependsOn", []):
            target = by_name.get(dep.get("containerName", ""))
            if target is None:
                raise _fail(  # seen, including ECS's stray '+'
                    f"Cannot depend on container + '{dep.get('containerName', '')}' "
                    "because it does not exist"
                )
            if dep.get("condition") in ("SUCCESS", "COMPLETE") and target.get("essential", True):
                raise _fail(  # seen
                    "A dependency container with SUCCESS or COMPLETE condition cannot be an "
                    "essential container"
                )


def _check_mount_points(td: Doc, containers: list[Doc]) -> None:
    problem = volume_problem(td)
    if problem:
        raise _fail(problem)
    volumes = {v.get("name") for v in td.get("volumes", [])}
    for c in containers:
        for mp in c.get("mountPoints", []):
            source = mp.get("sourceVolume")
            if source not in volumes:
                raise _fail(f"Unknown volume '{source}'.")  # seen


# -- launch types -------------------------------------------------------------------------


def _containers(td: Doc) -> Iterable[Doc]:
    containers: list[Doc] = td.get("containerDefinitions", [])
    return containers


def fargate_problems(td: Doc, task_cpu: int | None, task_memory: int | None) -> list[str]:
    """Why this definition cannot run on Fargate (empty when it can), first reason first."""
    out: list[str] = []
    if td.get("networkMode") != "awsvpc":
        out.append("Fargate only supports network mode \u2018awsvpc\u2019.")  # seen
    if task_cpu is None:
        out.append("Fargate requires that 'cpu' be defined at the task level.")  # seen
    if task_memory is None:
        out.append("Fargate requires that 'memory' be defined at the task level.")
    if task_cpu is not None and task_memory is not None and not fargate_size_ok(
        task_cpu, task_memory, windows=is_windows(td)
    ):
        out.append(  # seen
            f"No Fargate configuration exists for given values: {task_cpu} CPU, "
            f"{task_memory} memory. See the Amazon ECS documentation for the valid values."
        )
    if "ipcMode" in td:
        out.append("Tasks using the Fargate launch type do not support ipcMode.")  # seen
    if td.get("pidMode") == "host":
        out.append(  # seen
            "Tasks using the Fargate launch type do not support pidMode 'host'. "
            "The supported value for pidMode is 'task'."
        )
    if td.get("placementConstraints"):
        out.append("Tasks using the Fargate launch type do not support placementConstraints.")
    if td.get("inferenceAccelerators"):
        out.append("Tasks using the Fargate launch type do not support inferenceAccelerators.")
    for v in td.get("volumes", []):
        if "dockerVolumeConfiguration" in v:
            out.append("Tasks using the Fargate launch type do not support Docker volumes.")
        if (v.get("host") or {}).get("sourcePath"):
            out.append(
                "Tasks using the Fargate launch type do not support host volumes with a "
                "sourcePath."
            )
    has_role = bool(td.get("executionRoleArn"))
    for c in _containers(td):
        out.extend(_fargate_container_problems(c, has_role))
    return out


def _fargate_container_problems(c: Doc, has_execution_role: bool) -> list[str]:
    out: list[str] = []
    log = c.get("logConfiguration") or {}
    if log.get("logDriver") == "awslogs" and not has_execution_role:
        out.append(  # seen
            "Fargate requires task definition to have execution role ARN to support log "
            "driver awslogs."
        )
    if is_ecr_image(c.get("image", "")) and not has_execution_role:
        out.append(  # seen
            "Fargate requires task definition to have execution role ARN to support ECR "
            "images."
        )
    if c.get("privileged"):
        out.append("Tasks using the Fargate launch type do not support privileged containers.")
    if c.get("links"):
        out.append("Tasks using the Fargate launch type do not support links.")
    if c.get("dockerSecurityOptions"):
        out.append("Tasks using the Fargate launch type do not support dockerSecurityOptions.")
    if any(r.get("type") == "GPU" for r in c.get("resourceRequirements", [])):
        out.append("Tasks using the Fargate launch type do not support GPU resources.")
    lp = c.get("linuxParameters") or {}
    for key in ("devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness"):
        if key in lp:
            out.append(f"Tasks using the Fargate launch type do not support '{key}'.")
    added = (lp.get("capabilities") or {}).get("add", [])
    if any(cap != "SYS_PTRACE" for cap in added):
        out.append(
            "Tasks using the Fargate launch type only support adding the SYS_PTRACE kernel "
            "capability."
        )
    return out


def external_problems(td: Doc) -> list[str]:
    """Why this definition cannot run on ECS Anywhere (EXTERNAL) instances."""
    out: list[str] = []
    if td.get("networkMode") == "awsvpc":
        out.append("Tasks using the External launch type do not support network mode awsvpc.")
    for v in td.get("volumes", []):
        if "efsVolumeConfiguration" in v:
            out.append("Tasks using the External launch type do not support EFS volumes.")
        if "fsxWindowsFileServerVolumeConfiguration" in v:
            out.append(
                "Tasks using the External launch type do not support FSx for Windows File "
                "Server volumes."
            )
    if td.get("inferenceAccelerators"):
        out.append("Tasks using the External launch type do not support inferenceAccelerators.")
    return out
