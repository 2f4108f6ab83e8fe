"""The one small interface every container runtime implements, and its data.

A runtime runs one container at a time per handle: ``pull`` the image, ``create`` from a
:class:`ContainerSpec`, ``start``, then ``status``/``wait``/``stats`` while it runs,
``stop`` (SIGTERM, then SIGKILL after the timeout) and ``remove``.  Every method is a
coroutine; time comes only from the :class:`~cargobay.clock.Clock` the runtime was
built with.  Failures an ECS task would show carry ECS's reason text (``str(error)`` is
the whole reason, e.g. ``"CannotPullContainerError: pull image manifest has been
retried 1 time(s): ..."``), so the agent can copy it into the container's ``reason``
and the task's ``stoppedReason`` unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

#: ECS's container reason when the memory hard limit killed it (exit code 137).
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"

#: ECS's default stopTimeout for the EC2 launch type, in seconds.
DEFAULT_STOP_TIMEOUT = 30.0

#: Docker's PATH for a container whose image sets none.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ContainerState(StrEnum):
    """Where a container is in its life (Docker's states, folded to three)."""

    CREATED = "created"
    RUNNING = "running"
    EXITED = "exited"


class HealthStatus(StrEnum):
    """A container's health as ECS reports it (Docker's ``starting`` is UNKNOWN)."""

    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class HealthCheck:
    """A container health check in ECS's terms (seconds; ECS's defaults).

    ``command`` is ECS's list form: ``["CMD-SHELL", "curl -f http://127.0.0.1/"]`` runs
    the string with ``/bin/sh -c``; ``["CMD", "prog", "arg"]`` runs the program
    directly; ``["NONE"]`` disables the check.  Docker's rules apply: the first probe
    runs ``interval`` seconds after the start; a probe that exits 0 makes the container
    HEALTHY; ``retries`` consecutive failures (non-zero exit or longer than
    ``timeout``) make it UNHEALTHY; failures during ``start_period`` do not count while
    the container has not yet been healthy.
    """

    command: tuple[str, ...]
    interval: float = 30.0
    timeout: float = 5.0
    retries: int = 3
    start_period: float = 0.0

    @classmethod
    def from_ecs(cls, doc: dict[str, Any]) -> HealthCheck:
        """Build from a task definition's ``healthCheck`` object (absent keys: defaults)."""
        return cls(
            command=tuple(doc["command"]),
            interval=float(doc.get("interval", 30)),
            timeout=float(doc.get("timeout", 5)),
            retries=int(doc.get("retries", 3)),
            start_period=float(doc.get("startPeriod", 0)),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.command) and self.command[0] != "NONE"

    def argv(self) -> list[str]:
        """The probe as a program and its arguments."""
        kind, rest = self.command[0], list(self.command[1:])
        if kind == "CMD-SHELL":
            return ["/bin/sh", "-c", " ".join(rest)]
        if kind == "CMD":
            return rest
        raise ValueError(f"health check command must start with CMD or CMD-SHELL: {kind!r}")


@dataclass(frozen=True)
class Ulimit:
    """One resource limit (``nofile``, ``nproc``, ``core``… as in ECS's ``ulimits``)."""

    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class PortMapping:
    """A container port and the host port it is reached on (host network: the same)."""

    container_port: int
    host_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class Mount:
    """A volume in a container: ``source`` is a host directory, or a Docker volume's
    name when ``docker_volume`` (docker runtime only); ``target`` the containerPath."""

    source: str
    target: str
    read_only: bool = False
    docker_volume: bool = False


@dataclass
class ContainerSpec:
    """Everything a runtime needs to run one container of a task.

    ``entry_point`` + ``command`` form the argv (ECS's entryPoint and command).
    ``environment`` is the container's whole environment: nothing of the agent's own is
    added.  ``cpu`` is CPU shares (0 = none); ``memory`` the hard limit and
    ``memory_reservation`` the soft limit, both in MiB.  ``network_mode`` is ``host``
    or ``none``.  ``labels`` are the dockerLabels plus the ``com.amazonaws.ecs.*``
    labels (see :func:`ecs_labels`).  ``log_path`` receives the container's stdout and
    stderr (appended; None: discarded).
    """

    task_id: str
    name: str
    image: str
    entry_point: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    working_directory: str | None = None
    user: str | None = None
    cpu: int = 0
    memory: int | None = None
    memory_reservation: int | None = None
    ulimits: list[Ulimit] = field(default_factory=list)
    port_mappings: list[PortMapping] = field(default_factory=list)
    health_check: HealthCheck | None = None
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    readonly_root_filesystem: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    network_mode: str = "host"
    log_path: str | None = None
    #: the task's volumes this container mounts (mountPoints, volumesFrom): volumes.py
    mounts: list[Mount] = field(default_factory=list)
    #: extra group ids of the container's user (an EFS access point's SecondaryGids)
    supplementary_groups: list[int] = field(default_factory=list)
    #: a CPU quota in billionths of a CPU (Docker's NanoCpus; a Fargate task's cpu/1024
    #: cores), None: no quota
    nano_cpus: int | None = None

    @property
    def argv(self) -> list[str]:
        return [*self.entry_point, *self.command]


def ecs_labels(
    *,
    cluster: str,
    container_name: str,
    task_arn: str,
    family: str,
    revision: int | str,
    docker_labels: dict[str, str] | None = None,
) -> dict[str, str]:
    """The labels ECS puts on a container: its dockerLabels plus ``com.amazonaws.ecs.*``."""
    labels = dict(docker_labels or {})
    labels.update(
        {
            "com.amazonaws.ecs.cluster": cluster,
            "com.amazonaws.ecs.container-name": container_name,
            "com.amazonaws.ecs.task-arn": task_arn,
            "com.amazonaws.ecs.task-definition-family": family,
            "com.amazonaws.ecs.task-definition-version": str(revision),
        }
    )
    return labels


@dataclass(frozen=True)
class ContainerHandle:
    """A created container: ``id`` is the runtime's own (Docker's id, or the process
    runtime's), ``name`` the spec's container name."""

    id: str
    name: str


@dataclass
class ContainerStatus:
    """What a runtime knows about a container now.

    ``exit_code`` is set once exited (128 + signal when a signal ended it: 137 for
    SIGKILL, 143 for SIGTERM).  ``reason`` is ECS's container reason (OOM_REASON when
    the memory limit killed it), else None.  Times are epoch seconds from the clock.
    """

    state: ContainerState
    exit_code: int | None = None
    reason: str | None = None
    oom_killed: bool = False
    started_at: float | None = None
    finished_at: float | None = None
    health: HealthStatus = HealthStatus.UNKNOWN


@dataclass(frozen=True)
class ContainerStats:
    """Resource use of a running container (for the metadata endpoint and metrics).

    ``cpu_seconds`` is CPU time used since start (user + system), ``memory_bytes`` the
    memory in use, ``memory_limit_bytes`` the hard limit (the host's memory when the
    container has none, as Docker reports it), ``pids`` how many processes it has,
    ``read_at`` the clock's epoch seconds when read.
    """

    cpu_seconds: float
    memory_bytes: int
    memory_limit_bytes: int
    pids: int
    read_at: float


class ContainerRuntimeError(Exception):
    """A runtime failure; ``str(error)`` is ECS's reason text, prefixed with ``code``."""

    code = "ContainerRuntimeError"

    def __init__(self, detail: str) -> None:
        super().__init__(f"{self.code}: {detail}")
        self.detail = detail

    @property
    def reason(self) -> str:
        return str(self)


class CannotPullContainerError(ContainerRuntimeError):
    code = "CannotPullContainerError"


class CannotCreateContainerError(ContainerRuntimeError):
    code = "CannotCreateContainerError"


class CannotStartContainerError(ContainerRuntimeError):
    code = "CannotStartContainerError"


class CannotStopContainerError(ContainerRuntimeError):
    code = "CannotStopContainerError"


class CannotInspectContainerError(ContainerRuntimeError):
    code = "CannotInspectContainerError"


class NoSuchContainerError(ContainerRuntimeError):
    """The handle names no container this runtime knows (never created, or removed)."""

    code = "NoSuchContainerError"


class Runtime(Protocol):
    """How the agent runs containers.  One instance per agent, used from one event loop.

    - ``pull(image)``: make the image available; CannotPullContainerError if it cannot.
    - ``create(spec)``: a container in state CREATED; CannotCreateContainerError.
    - ``start(handle)``: RUNNING, health checks begin; CannotStartContainerError.
    - ``status(handle)``: the current :class:`ContainerStatus`.
    - ``wait(handle)``: returns the final status once the container has exited (its log
      is complete by then).
    - ``stop(handle, timeout)``: SIGTERM, then SIGKILL after ``timeout`` seconds (None:
      the spec's ``stop_timeout``); returns once exited.  No-op if not running.
    - ``remove(handle)``: kill if still running and forget the container (its log file
      stays).  Later calls with the handle raise NoSuchContainerError.
    - ``stats(handle)``: :class:`ContainerStats` while running.
    - ``close()``: release background work (containers keep running).
    """

    name: str

    async def pull(self, image: str) -> None: ...

    async def create(self, spec: ContainerSpec) -> ContainerHandle: ...

    async def start(self, handle: ContainerHandle) -> None: ...

    async def status(self, handle: ContainerHandle) -> ContainerStatus: ...

    async def wait(self, handle: ContainerHandle) -> ContainerStatus: ...

    async def stop(self, handle: ContainerHandle, timeout: float | None = None) -> None: ...

    async def remove(self, handle: ContainerHandle) -> None: ...

    async def stats(self, handle: ContainerHandle) -> ContainerStats: ...

    async def close(self) -> None: ...


def signal_exit_code(returncode: int) -> int:
    """A process's status as Docker reports it: 128 + signal number when killed."""
    return 128 - returncode if returncode < 0 else returncode
