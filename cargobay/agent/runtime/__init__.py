"""Container runtimes behind one small interface (:class:`Runtime` in ``base``).

``docker`` runs containers on a Docker engine; ``process`` runs them as host
processes, for machines without one.  :func:`open_runtime` picks one by name, or the
Docker one when an engine answers.  One container's life, as the agent drives it::

    rt = await open_runtime(None, clock)
    await rt.pull(spec.image)              # CannotPullContainerError → task STOPPED
    handle = await rt.create(spec)         # CannotCreateContainerError
    await rt.start(handle)                 # CannotStartContainerError
    status = await rt.status(handle)       # .state, .health while it runs
    status = await rt.wait(handle)         # .exit_code, .reason, .oom_killed once exited
    await rt.stop(handle)                  # StopTask: SIGTERM, SIGKILL after stop_timeout
    await rt.remove(handle)

Every error is a :class:`ContainerRuntimeError` whose ``str()`` is the reason ECS
shows (``"CannotPullContainerError: ..."``).
"""

from __future__ import annotations

import asyncio

from cargobay.agent.runtime.base import (
    DEFAULT_STOP_TIMEOUT,
    OOM_REASON,
    CannotCreateContainerError,
    CannotInspectContainerError,
    CannotPullContainerError,
    CannotStartContainerError,
    CannotStopContainerError,
    ContainerHandle,
    ContainerRuntimeError,
    ContainerSpec,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    HealthCheck,
    HealthStatus,
    Mount,
    NoSuchContainerError,
    PortMapping,
    Runtime,
    Ulimit,
    ecs_labels,
)
from cargobay.clock import Clock

RUNTIME_NAMES = ("docker", "process")

__all__ = [
    "DEFAULT_STOP_TIMEOUT",
    "OOM_REASON",
    "RUNTIME_NAMES",
    "CannotCreateContainerError",
    "CannotInspectContainerError",
    "CannotPullContainerError",
    "CannotStartContainerError",
    "CannotStopContainerError",
    "ContainerHandle",
    "ContainerRuntimeError",
    "ContainerSpec",
    "ContainerState",
    "ContainerStats",
    "ContainerStatus",
    "HealthCheck",
    "HealthStatus",
    "Mount",
    "NoSuchContainerError",
    "PortMapping",
    "Runtime",
    "Ulimit",
    "docker_available",
    "ecs_labels",
    "open_runtime",
]


async def docker_available() -> bool:
    """Whether a Docker engine answers (DOCKER_HOST, else the local socket)."""
    from cargobay.agent.runtime.docker import engine_answers

    return await asyncio.get_running_loop().run_in_executor(None, engine_answers)


async def open_runtime(kind: str | None, clock: Clock) -> Runtime:
    """The runtime named ``kind`` (``docker`` or ``process``); None or ``auto``: Docker
    if an engine answers, else processes.  ConnectionError if Docker is asked for and
    no engine answers."""
    if kind in (None, "auto"):
        kind = "docker" if await docker_available() else "process"
    if kind == "process":
        from cargobay.agent.runtime.process import ProcessRuntime

        return ProcessRuntime(clock)
    if kind == "docker":
        from cargobay.agent.runtime.docker import DockerRuntime

        if not await docker_available():
            raise ConnectionError("no Docker engine answers (is dockerd running?)")
        return await DockerRuntime.connect(clock)
    raise ValueError(f"unknown runtime {kind!r}: choose one of {', '.join(RUNTIME_NAMES)}")
