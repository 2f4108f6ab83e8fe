"""One container of a task as the agent follows it, and the dependsOn rules.

ECS's conditions (ContainerDependency): ``START`` — the dependency has started;
``COMPLETE`` — it has exited; ``SUCCESS`` — it has exited 0; ``HEALTHY`` — its health
check passed.  A dependency that stopped without starting, exited non-zero for
SUCCESS, or turned UNHEALTHY (or stopped) for HEALTHY can never be met.  Stopping goes
the other way: a container is stopped only once no running container depends on it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from cargobay.agent.container_spec import dependencies
from cargobay.agent.reporter import clip
from cargobay.agent.runtime import ContainerHandle, ContainerSpec, HealthStatus


@dataclass
class ContainerRun:
    """One container of the task, as the runner knows it."""

    name: str
    definition: dict[str, Any]
    engine_name: str
    token: str  # the metadata endpoint's id for this container
    essential: bool
    spec: ContainerSpec | None = None
    handle: ContainerHandle | None = None
    status: str = "PENDING"  # ECS's container lastStatus: PENDING, RUNNING, STOPPED
    started: bool = False
    start_requested: bool = False  # the runtime was asked to start it (it may run already)
    exit_code: int | None = None
    reason: str | None = None
    health: HealthStatus = HealthStatus.UNKNOWN
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    watchers: list[asyncio.Task[None]] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def has_health_check(self) -> bool:
        return (
            self.spec is not None
            and self.spec.health_check is not None
            and (self.spec.health_check.enabled)
        )

    def report(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"containerName": self.name, "status": self.status}
        if self.handle is not None:
            doc["runtimeId"] = self.handle.id
        if self.exit_code is not None:
            doc["exitCode"] = self.exit_code
        if self.reason:
            doc["reason"] = clip(self.reason)
        if self.spec is not None and self.status == "RUNNING":
            doc["networkBindings"] = [
                {
                    "bindIP": "0.0.0.0",
                    "containerPort": p.container_port,
                    "hostPort": p.host_port,
                    "protocol": p.protocol,
                }
                for p in self.spec.port_mappings
            ]
        return doc


def dependency_verdict(c: ContainerRun, containers: dict[str, ContainerRun]) -> bool | str | None:
    """Whether ``c`` may start now, by ECS's dependsOn conditions: True: start it; a
    string: it can never start (the reason); None: not yet."""
    for dep in dependencies(c.definition):
        d = containers.get(dep.container)
        if d is None or d is c:
            continue
        cond = dep.condition
        if d.status == "STOPPED" and not d.started:
            return f"DependencyError: dependency {d.name} of container {c.name} never started"
        if cond == "START":
            if not d.started:
                return None
        elif cond == "COMPLETE":
            if d.status != "STOPPED":
                return None
        elif cond == "SUCCESS":
            if d.status != "STOPPED":
                return None
            if d.exit_code != 0:
                return (
                    f"DependencyError: dependency {d.name} of container {c.name} exited "
                    f"with code {d.exit_code}, condition SUCCESS not met"
                )
        elif cond == "HEALTHY":
            if d.health is HealthStatus.UNHEALTHY or d.status == "STOPPED":
                return (
                    f"DependencyError: dependency {d.name} of container {c.name} did not "
                    "become HEALTHY"
                )
            if d.health is not HealthStatus.HEALTHY:
                return None
    return True


def stop_wave(running: list[ContainerRun]) -> list[ContainerRun]:
    """The running containers to stop now: those no other running container depends on
    (all of them if a cycle leaves none)."""
    blocked = {
        d.container for c in running for d in dependencies(c.definition) if d.container != c.name
    }
    return [c for c in running if c.name not in blocked] or running
