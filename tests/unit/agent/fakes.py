"""An in-memory Runtime and ECS API for the agent's unit tests (no processes, no HTTP)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.reporter import Reporter
from cargobay.agent.runtime import (
    CannotPullContainerError,
    ContainerHandle,
    ContainerSpec,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    HealthStatus,
    NoSuchContainerError,
)
from cargobay.agent.state import TaskRecord
from cargobay.agent.task_runner import RunnerContext, TaskRunner
from cargobay.clock import RealClock


@dataclass
class FakeContainer:
    spec: ContainerSpec
    state: ContainerState = ContainerState.CREATED
    exit_code: int | None = None
    health: HealthStatus = HealthStatus.UNKNOWN
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    oom: bool = False


class FakeRuntime:
    """Containers run until the test ends them (``exit``) or ``stop`` is called.

    ``ignores_term`` names containers that wait out their stop timeout (then 137);
    others exit 143 on stop.  ``events`` records what happened, in order.
    """

    name = "fake"

    def __init__(self, missing_images: set[str] | None = None) -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.by_name: dict[str, str] = {}
        self.events: list[tuple[str, str]] = []
        self.missing_images = missing_images or set()
        self.ignores_term: set[str] = set()
        self.exit_on_start: dict[str, int] = {}

    def _name(self, spec: ContainerSpec) -> str:
        return spec.labels.get("com.amazonaws.ecs.container-name", spec.name)

    async def pull(self, image: str) -> None:
        if image in self.missing_images:
            raise CannotPullContainerError(
                f"pull image manifest has been retried 1 time(s): {image}: not found"
            )

    async def create(self, spec: ContainerSpec) -> ContainerHandle:
        cid = f"c{len(self.containers) + 1}"
        self.containers[cid] = FakeContainer(spec)
        self.by_name[self._name(spec)] = cid
        self.events.append(("create", self._name(spec)))
        return ContainerHandle(cid, spec.name)

    async def start(self, handle: ContainerHandle) -> None:
        c = self.containers[handle.id]
        c.state = ContainerState.RUNNING
        name = self._name(c.spec)
        self.events.append(("start", name))
        if name in self.exit_on_start:
            self.exit(name, self.exit_on_start[name])

    def exit(self, name: str, code: int, *, oom: bool = False) -> None:
        c = self.containers[self.by_name[name]]
        if c.state is ContainerState.EXITED:
            return
        c.state, c.exit_code, c.oom = ContainerState.EXITED, code, oom
        self.events.append(("exit", name))
        c.exited.set()

    def set_health(self, name: str, health: HealthStatus) -> None:
        self.containers[self.by_name[name]].health = health

    async def status(self, handle: ContainerHandle) -> ContainerStatus:
        c = self.containers.get(handle.id)
        if c is None:
            raise NoSuchContainerError(handle.id)
        reason = "OutOfMemoryError: Container killed due to memory usage" if c.oom else None
        return ContainerStatus(
            state=c.state, exit_code=c.exit_code, health=c.health, reason=reason, oom_killed=c.oom
        )

    async def wait(self, handle: ContainerHandle) -> ContainerStatus:
        await self.containers[handle.id].exited.wait()
        return await self.status(handle)

    async def stop(self, handle: ContainerHandle, timeout: float | None = None) -> None:
        c = self.containers[handle.id]
        if c.state is not ContainerState.RUNNING:
            return
        name = self._name(c.spec)
        self.events.append(("stop", name))
        if name in self.ignores_term:
            await asyncio.sleep(c.spec.stop_timeout if timeout is None else timeout)
            self.exit(name, 137)
        else:
            self.exit(name, 143)

    async def remove(self, handle: ContainerHandle) -> None:
        self.containers.pop(handle.id, None)

    async def stats(self, handle: ContainerHandle) -> ContainerStats:
        return ContainerStats(1.5, 10 << 20, 64 << 20, 2, 1_700_000_000.0)

    async def close(self) -> None:
        pass


class FakeApi:
    """Records calls; ``fail`` makes the next N calls raise the given exception."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[Exception] = []

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        await asyncio.sleep(0)
        if self.failures:
            raise self.failures.pop(0)
        self.calls.append((operation, params))
        return {"acknowledgment": "ACK"}

    def statuses(self) -> list[str]:
        return [p["status"] for op, p in self.calls if op == "submit_task_state_change"]

    def last_task_report(self) -> dict[str, Any]:
        return [p for op, p in self.calls if op == "submit_task_state_change"][-1]


TASK_ARN = "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef"


def assignment(*containers: dict[str, Any], **extra: Any) -> Assignment:
    return Assignment.from_doc(
        {
            "taskArn": TASK_ARN,
            "desiredStatus": "RUNNING",
            "taskDefinition": {
                "family": "fam",
                "revision": 3,
                "networkMode": "host",
                "containerDefinitions": list(containers),
            },
            **extra,
        }
    )


def container(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "image": "img", "command": ["run"], **kw}


def make_runner(task: Assignment, runtime: FakeRuntime, api: FakeApi, **ctx: Any) -> TaskRunner:
    clock = RealClock()
    reporter = Reporter(api, clock, lambda: "default", pending_delay=0.05)  # type: ignore[arg-type]
    context = RunnerContext(
        runtime=runtime,  # type: ignore[arg-type]
        clock=clock,
        reporter=reporter,
        region="us-east-1",
        metadata_uri=lambda token: f"http://127.0.0.1:1/v4/{token}",
        log_path=lambda task_id, name: None,
        fetch_env_file=_no_files,
        health_poll_interval=0.01,
        **ctx,
    )
    return TaskRunner(context, task, TaskRecord(task.task_arn, task.to_doc()))


async def _no_files(arn: str) -> str:
    raise OSError("no S3 here")
