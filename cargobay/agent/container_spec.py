"""A task definition's container + the RunTask overrides → the runtime's ContainerSpec.

What ECS puts into a container, as the ECS agent does on EC2:

- **argv**: ``entryPoint`` + ``command`` (an override's ``command`` replaces the
  definition's).
- **environment**: the variables of the ``environmentFiles`` (in order, later files
  winning, as ``docker run --env-file`` reads them), then the definition's
  ``environment``, then the override's ``environment`` (each winning over what came
  before), then the ``secrets`` (read with the execution role), then what the agent
  adds: ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``
  for a task with a role, ``AWS_ENDPOINT_URL`` (unless the task set it),
  ``ECS_CONTAINER_METADATA_URI``,
  ``ECS_CONTAINER_METADATA_URI_V4``, ``AWS_EXECUTION_ENV=AWS_ECS_EC2``, ``AWS_REGION``
  and ``AWS_DEFAULT_REGION`` (unless the task set them).  Nothing of the agent's own
  environment is passed, so its AWS_* credentials never reach a task.
- **cpu / memory / memoryReservation**: the override's, else the definition's.
- **stopTimeout**: the definition's, else the agent's default (ECS_CONTAINER_STOP_TIMEOUT,
  30 s).
- **network mode**: ``host`` or ``none`` as given; ``bridge`` (ECS's EC2 default) and
  ``awsvpc`` run on the host network (docs/differences.md).
- **labels**: the dockerLabels plus the ``com.amazonaws.ecs.*`` labels.
- the Docker name: ``ecs-<family>-<revision>-<name>-<20 hex>``, like the ECS agent's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.runtime import (
    DEFAULT_STOP_TIMEOUT,
    ContainerSpec,
    HealthCheck,
    PortMapping,
    Ulimit,
    ecs_labels,
)

#: ECS's dependsOn conditions, in the order the agent checks them.
CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")

#: How long a container waits for its dependencies when it gives no startTimeout
#: (the ECS agent's ECS_CONTAINER_START_TIMEOUT default on Linux: 3 minutes).
DEFAULT_START_TIMEOUT = 180.0


@dataclass(frozen=True)
class Dependency:
    container: str
    condition: str


@dataclass(frozen=True)
class SpecContext:
    """What the agent knows that a task definition does not say."""

    region: str
    metadata_uri: str  # this container's ECS_CONTAINER_METADATA_URI_V4
    log_path: str | None
    default_stop_timeout: float = DEFAULT_STOP_TIMEOUT
    #: the container's ``secrets``, read (environment variables)
    secret_env: dict[str, str] = field(default_factory=dict)
    #: the agent's AWS_CONTAINER_CREDENTIALS_* (set) and AWS_ENDPOINT_URL (default)
    iam_env: dict[str, str] = field(default_factory=dict)


def docker_name(family: str, revision: int, container: str) -> str:
    """A unique engine-side name, shaped like the ECS agent's."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in container)
    return f"ecs-{family}-{revision}-{safe}-{random_hex(20)}"


def random_hex(digits: int) -> str:
    """Unique enough for names (not a secret; os.urandom is slow on some VMs)."""
    return f"{random.getrandbits(4 * digits):0{digits}x}"


def dependencies(container: dict[str, Any]) -> list[Dependency]:
    return [
        Dependency(str(d["containerName"]), str(d.get("condition", "START")).upper())
        for d in container.get("dependsOn") or []
        if d.get("containerName")
    ]


def is_essential(container: dict[str, Any]) -> bool:
    """ECS: a container is essential unless it says ``essential: false``."""
    return container.get("essential", True) is not False


def start_timeout(container: dict[str, Any]) -> float:
    value = container.get("startTimeout")
    return float(value) if isinstance(value, int | float) and value > 0 else DEFAULT_START_TIMEOUT


def container_limits(task: Assignment, container: dict[str, Any]) -> dict[str, int | None]:
    """cpu, memory and memoryReservation after the overrides."""
    o = task.container_override(str(container.get("name", "")))

    def pick(key: str) -> int | None:
        value = o.get(key, container.get(key))
        return int(value) if isinstance(value, int | float) else None

    return {
        "cpu": pick("cpu"),
        "memory": pick("memory"),
        "memoryReservation": pick("memoryReservation"),
    }


def network_mode(task: Assignment) -> str:
    mode = str(task.task_definition.get("networkMode") or "bridge")
    return "none" if mode == "none" else "host"


def environment(
    task: Assignment,
    container: dict[str, Any],
    ctx: SpecContext,
    file_vars: dict[str, str] | None = None,
) -> dict[str, str]:
    env: dict[str, str] = dict(file_vars or {})
    for pair in container.get("environment") or []:
        if "name" in pair:
            env[str(pair["name"])] = str(pair.get("value", ""))
    for pair in task.container_override(str(container.get("name", ""))).get("environment") or []:
        if "name" in pair:
            env[str(pair["name"])] = str(pair.get("value", ""))
    env.update(ctx.secret_env)
    for name, value in ctx.iam_env.items():
        if name.startswith("AWS_CONTAINER_"):
            env[name] = value
        else:
            env.setdefault(name, value)
    env["ECS_CONTAINER_METADATA_URI"] = ctx.metadata_uri
    env["ECS_CONTAINER_METADATA_URI_V4"] = ctx.metadata_uri
    env.setdefault("AWS_EXECUTION_ENV", "AWS_ECS_EC2")
    env.setdefault("AWS_REGION", ctx.region)
    env.setdefault("AWS_DEFAULT_REGION", ctx.region)
    return env


def build_spec(
    task: Assignment,
    container: dict[str, Any],
    ctx: SpecContext,
    *,
    engine_name: str,
    file_vars: dict[str, str] | None = None,
) -> ContainerSpec:
    """The runtime's spec for one container of ``task``."""
    name = str(container["name"])
    o = task.container_override(name)
    limits = container_limits(task, container)
    command = o.get("command") if o.get("command") is not None else container.get("command")
    health = container.get("healthCheck")
    stop = container.get("stopTimeout")
    return ContainerSpec(
        task_id=task.task_id,
        name=engine_name,
        image=str(container.get("image", "")),
        entry_point=[str(x) for x in container.get("entryPoint") or []],
        command=[str(x) for x in command or []],
        environment=environment(task, container, ctx, file_vars),
        working_directory=container.get("workingDirectory") or None,
        user=container.get("user") or None,
        cpu=limits["cpu"] or 0,
        memory=limits["memory"],
        memory_reservation=limits["memoryReservation"],
        ulimits=[
            Ulimit(str(u["name"]), int(u["softLimit"]), int(u["hardLimit"]))
            for u in container.get("ulimits") or []
        ],
        port_mappings=[
            PortMapping(
                container_port=int(p["containerPort"]),
                host_port=int(p.get("hostPort") or p["containerPort"]),
                protocol=str(p.get("protocol", "tcp")),
            )
            for p in container.get("portMappings") or []
            if p.get("containerPort") is not None
        ],
        health_check=HealthCheck.from_ecs(health) if health and health.get("command") else None,
        stop_timeout=float(stop) if isinstance(stop, int | float) else ctx.default_stop_timeout,
        readonly_root_filesystem=bool(container.get("readonlyRootFilesystem", False)),
        labels=ecs_labels(
            cluster=task.cluster_name,
            container_name=name,
            task_arn=task.task_arn,
            family=task.family,
            revision=task.revision,
            docker_labels={
                str(k): str(v) for k, v in (container.get("dockerLabels") or {}).items()
            },
        ),
        network_mode=network_mode(task),
        log_path=ctx.log_path,
    )


def start_order(containers: list[dict[str, Any]]) -> list[str]:
    """Container names with every dependency before its dependents (definition order
    otherwise); a cycle or unknown name is left in definition order."""
    names = [str(c["name"]) for c in containers]
    deps = {str(c["name"]): [d.container for d in dependencies(c)] for c in containers}
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: frozenset[str]) -> None:
        if name in seen or name in path or name not in deps:
            return
        for dep in deps[name]:
            visit(dep, path | {name})
        seen.add(name)
        done.append(name)

    for name in names:
        visit(name, frozenset())
    return done
