"""The values ECS fills in when it registers a task definition.

What a registered definition looks like (RegisterTaskDefinition, DescribeTaskDefinition
examples in the AWS CLI reference and real answers): every field as sent, plus

- per container: ``cpu`` 0, ``essential`` true, and ``portMappings``, ``environment``,
  ``mountPoints``, ``volumesFrom``, ``systemControls`` as ``[]`` when not sent;
- per port mapping: ``protocol`` ``"tcp"``; ``hostPort`` equal to ``containerPort`` in
  ``awsvpc`` and ``host`` mode, 0 (a dynamic port) in ``bridge`` mode; a mapping with a
  ``containerPortRange`` gets no ports;
- per health check: ``interval`` 30, ``timeout`` 5, ``retries`` 3;
- for the task: ``volumes`` and ``placementConstraints`` as ``[]``; ``cpu`` and
  ``memory`` as strings of CPU units and MiB; ``status`` ACTIVE; ``revision``; the ARN;
  ``registeredAt``/``registeredBy``; ``compatibilities``; ``requiresAttributes`` (left
  out when empty).  ``networkMode`` and ``requiresCompatibilities`` are returned only when
  sent.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

CONTAINER_LISTS = ("portMappings", "environment", "mountPoints", "volumesFrom", "systemControls")
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}

#: the order of TaskDefinition's members in the model, which is how ECS lists them
TASK_FIELDS = (
    "taskDefinitionArn",
    "containerDefinitions",
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "revision",
    "volumes",
    "status",
    "requiresAttributes",
    "placementConstraints",
    "compatibilities",
    "runtimePlatform",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "inferenceAccelerators",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "registeredAt",
    "deregisteredAt",
    "deleteRequestedAt",
    "registeredBy",
    "ephemeralStorage",
    "enableFaultInjection",
)


def fill_port_mapping(pm: Doc, network_mode: str) -> Doc:
    out = dict(pm)
    if "containerPort" in out and "hostPort" not in out:
        out["hostPort"] = out["containerPort"] if network_mode in ("awsvpc", "host") else 0
    out.setdefault("protocol", "tcp")
    return out


def fill_container(c: Doc, network_mode: str) -> Doc:
    # shallow: only top-level members are set here, nested ones are replaced, not changed
    out = dict(c)
    out.setdefault("cpu", 0)
    out.setdefault("essential", True)
    for key in CONTAINER_LISTS:
        out.setdefault(key, [])
    out["portMappings"] = [fill_port_mapping(pm, network_mode) for pm in out["portMappings"]]
    health = out.get("healthCheck")
    if health is not None:
        out["healthCheck"] = {**HEALTH_CHECK_DEFAULTS, **health}
    return out


def ordered(td: Doc) -> Doc:
    """The definition with its members in the model's order (unknown keys last)."""
    out = {k: td[k] for k in TASK_FIELDS if k in td}
    out.update({k: v for k, v in td.items() if k not in out})
    return out


def registered_definition(request: Doc, *, cpu: int | None, memory: int | None) -> Doc:
    """The stored form of a RegisterTaskDefinition request (without the server-set fields).

    Nothing nested in ``request`` is changed: containers are rebuilt, not edited."""
    td = {k: v for k, v in request.items() if k != "tags"}
    mode = td.get("networkMode", "bridge")
    td["containerDefinitions"] = [fill_container(c, mode) for c in td["containerDefinitions"]]
    td.setdefault("volumes", [])
    td.setdefault("placementConstraints", [])
    if cpu is not None:
        td["cpu"] = str(cpu)
    if memory is not None:
        td["memory"] = str(memory)
    return td
