"""One supervisor per task: moves the task's known status toward its desired status.

As the ECS agent does it (desired vs known), over ordered states NONE → PENDING →
RUNNING → STOPPED:

- **PENDING**: task-role credentials fetched (their endpoint's id and token kept in
  the task's record, so an adopting restart serves the same one) and ``secrets`` read
  (task_iam: a role that cannot be assumed or a secret that cannot be read stops the task with ECS's
  reason), environment files are read and images pulled (``pullStartedAt`` /
  ``pullStoppedAt``).  An image that cannot be had stops its container with
  ``CannotPullContainerError: ...``; if that container is essential the task stops
  with that reason (the control plane's stopCode: TaskFailedToStart).
- Containers are created and started as their ``dependsOn`` conditions are met
  (START: the dependency started; COMPLETE: it exited; SUCCESS: it exited 0; HEALTHY:
  its health check passed), each within its ``startTimeout``.  A condition that can no
  longer be met stops the container before it starts; an essential one stops the task.
- **RUNNING** once every container has been started (containers that already finished,
  such as a COMPLETE dependency, count as started).
- An **essential container that exits** stops the task: "Essential container in task
  exited".  A non-essential one is reported alone (SubmitContainerStateChange).
- **desired STOPPED** (StopTask): containers are stopped in reverse dependency order
  (a container after every container that depends on it), each with SIGTERM and
  SIGKILL after its ``stopTimeout``.
- **STOPPED** is reported with ``executionStoppedAt``, every container's exitCode and
  reason (OOM: 137 and "OutOfMemoryError: Container killed due to memory usage"), then
  the containers are removed (their log files stay).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cargobay.agent.assignment import DEFAULT_STOP_REASON, Assignment
from cargobay.agent.awslogs import AwsLogs
from cargobay.agent.container_run import ContainerRun, dependency_verdict, stop_wave
from cargobay.agent.container_spec import (
    SpecContext,
    build_spec,
    container_limits,
    docker_name,
    is_essential,
    random_hex,
    start_order,
    start_timeout,
)
from cargobay.agent.env_files import EnvFileError, load_env_files
from cargobay.agent.reporter import ORDER, Reporter, clip
from cargobay.agent.runtime import (
    DEFAULT_STOP_TIMEOUT,
    ContainerHandle,
    ContainerRuntimeError,
    ContainerState,
    ContainerStatus,
    NoSuchContainerError,
    Runtime,
)
from cargobay.agent.state import ContainerRecord, TaskRecord
from cargobay.agent.task_iam import TaskIam, TaskStartError
from cargobay.agent.volumes import TaskVolumes, default_volume_root
from cargobay.clock import Clock

log = logging.getLogger("cargobay.agent.task")

ESSENTIAL_EXITED = "Essential container in task exited"
#: ECS's reason for a task whose containers the agent lost track of.
LOST_REASON = "Task stopped: the agent restarted and could not find its containers"
#: How long the stop phase waits for a container's exit to be observed after ``stop``.
EXIT_OBSERVE_TIMEOUT = 30.0


@dataclass
class RunnerContext:
    """What a task runner needs from its agent."""

    runtime: Runtime
    clock: Clock
    reporter: Reporter
    region: str
    metadata_uri: Callable[[str], str]  # token → ECS_CONTAINER_METADATA_URI_V4
    log_path: Callable[[str, str], str | None]  # (task id, container) → file
    fetch_env_file: Callable[[str], Awaitable[str]]
    changed: Callable[[], None] = lambda: None  # state worth saving
    health_changed: Callable[[], None] = lambda: None
    log_started: Callable[[str, str, str], None] = lambda path, task, name: None
    log_finished: Callable[[str], None] = lambda path: None
    default_stop_timeout: float = DEFAULT_STOP_TIMEOUT
    health_poll_interval: float = 0.25
    #: task-role credentials and secrets (None: neither, e.g. in unit tests)
    iam: TaskIam | None = None
    #: the awslogs log driver (None: logs stay in the files, e.g. in unit tests)
    awslogs: AwsLogs | None = None
    #: where task and shared volume directories live (None: a temporary directory)
    volume_root: str | None = None


class TaskRunner:
    def __init__(self, ctx: RunnerContext, task: Assignment, record: TaskRecord) -> None:
        self.ctx = ctx
        self.task = task
        self.record = record
        self.desired = task.desired_status
        self.stop_reason = task.stop_reason
        self.known = record.known_status
        self.pull_started_at: float | None = None
        self.pull_stopped_at: float | None = None
        self.execution_stopped_at: float | None = None
        self.stopped_reason: str | None = None
        self.failure: str | None = None
        self._wake = asyncio.Event()
        self.done = asyncio.Event()
        self.containers: dict[str, ContainerRun] = {}
        for c in task.container_definitions:
            name = str(c.get("name", ""))
            saved = record.containers.get(name)
            self.containers[name] = ContainerRun(
                name=name,
                definition=c,
                engine_name=(saved.engine_name if saved and saved.engine_name else None)
                or docker_name(task.family, task.revision, name),
                token=(saved.token if saved and saved.token else None)
                or f"{task.task_id}-{random_hex(12)}",
                essential=is_essential(c),
            )
        self.order = start_order(task.container_definitions)
        self.volumes = TaskVolumes(ctx.runtime, ctx.volume_root or default_volume_root(), task)

    # -- what the agent calls ------------------------------------------------------------

    def update(self, task: Assignment) -> None:
        """A fresh assignment from the control plane (desired status may have changed)."""
        if task.wants_stop and self.desired != "STOPPED":
            self.desired = "STOPPED"
            self.stop_reason = task.stop_reason or DEFAULT_STOP_REASON
            self.task.desired_status = "STOPPED"
            self.task.stop_reason = self.stop_reason
            self.record.assignment = self.task.to_doc()
            self._wake.set()

    def stop(self, reason: str) -> None:
        """Stop the task from the agent's side (the control plane forgot it)."""
        if self.desired != "STOPPED":
            self.desired = "STOPPED"
            self.stop_reason = reason
            self._wake.set()

    def health(self) -> dict[str, str]:
        return {
            c.name: c.health.value
            for c in self.containers.values()
            if c.has_health_check and c.status == "RUNNING"
        }

    async def run(self) -> None:
        """Supervise the task to the end; cancelled: leave its containers as they are."""
        try:
            if self.known == "STOPPED":
                self._report_final_again()
                return
            if any(r.runtime_id for r in self.record.containers.values()):
                reason = await self._resume()
            else:
                reason = await self._launch()
            if reason is None:
                reason = await self._supervise()
            await self._stop_all()
            await self._finish(reason)
        except asyncio.CancelledError:
            for c in self.containers.values():  # the containers themselves keep running
                for w in c.watchers:
                    w.cancel()
            raise
        except Exception as e:  # a bug must not leave the task hanging: stop it
            log.exception("task %s failed in the agent", self.task.task_arn)
            with contextlib.suppress(Exception):
                await self._stop_all()
            await self._finish(f"InternalError: {e}")
        finally:
            self.done.set()

    # -- phases ----------------------------------------------------------------------

    async def _launch(self) -> str | None:
        """Pull and prepare; the reason to stop now, or None to go on."""
        if self.desired == "STOPPED":
            return self.stop_reason or DEFAULT_STOP_REASON
        now = self.ctx.clock.now()
        self.pull_started_at = now
        self._set_known("PENDING")
        for c in self.containers.values():
            c.created_at = now
        try:
            await self._prepare_specs()
        except (EnvFileError, TaskStartError) as e:
            for c in self.containers.values():
                c.status, c.reason = "STOPPED", str(e)
            self.pull_stopped_at = self.ctx.clock.now()
            return str(e)
        await self._pull()
        self.pull_stopped_at = self.ctx.clock.now()
        return self.failure

    async def _prepare_specs(self) -> None:
        iam = self.ctx.iam
        iam_env = await iam.environment(self.task) if iam is not None else {}
        if iam is not None:
            # kept (id and token, no keys) so a restart serves the same endpoint
            self.record.credentials = iam.saved(self.task.task_arn)
        await self.volumes.prepare()
        for c in self.containers.values():
            files = c.definition.get("environmentFiles") or []
            file_vars = await load_env_files(files, self.ctx.fetch_env_file) if files else {}
            wanted = c.definition.get("secrets") or []
            ctx = SpecContext(
                region=self.ctx.region,
                metadata_uri=self.ctx.metadata_uri(c.token),
                log_path=self.ctx.log_path(self.task.task_id, c.name),
                default_stop_timeout=self.ctx.default_stop_timeout,
                secret_env=await iam.secrets(self.task, wanted) if iam and wanted else {},
                iam_env=iam_env,
            )
            c.spec = build_spec(
                self.task, c.definition, ctx, engine_name=c.engine_name, file_vars=file_vars
            )
            self.volumes.apply(c.spec, c.definition)
        if self.ctx.awslogs is not None:
            # the log groups and streams, made with the execution role as ECS validates
            # its logger before the containers start
            await self.ctx.awslogs.prepare(self.task)

    async def _pull(self) -> None:
        images = sorted({c.spec.image for c in self.containers.values() if c.spec is not None})

        async def pull(image: str) -> ContainerRuntimeError | None:
            try:
                await self.ctx.runtime.pull(image)
                return None
            except ContainerRuntimeError as e:
                return e

        results = dict(zip(images, await asyncio.gather(*(pull(i) for i in images)), strict=True))
        for name in self.order:
            c = self.containers[name]
            err = results.get(c.spec.image) if c.spec is not None else None
            if err is not None:
                c.status, c.reason = "STOPPED", err.reason
                if c.essential and self.failure is None:
                    self.failure = err.reason

    async def _supervise(self) -> str:
        """Start containers as their dependencies allow; return why the task stops."""
        waiting_since = self.ctx.clock.monotonic()
        for _ in range(10_000_000):  # bounded: each pass waits for a change
            if self.desired == "STOPPED":
                return self.stop_reason or DEFAULT_STOP_REASON
            if self.failure is not None:
                return self.failure
            if any(
                c.essential and c.started and c.status == "STOPPED"
                for c in self.containers.values()
            ):
                self._maybe_running()
                return ESSENTIAL_EXITED
            progressed = await self._start_ready(waiting_since)
            if self.failure is not None:
                continue
            pending = self._maybe_running()
            if all(c.status == "STOPPED" for c in self.containers.values()):
                return ESSENTIAL_EXITED
            if progressed:
                continue
            timeout = self._next_start_deadline(waiting_since, pending)
            self._wake.clear()
            try:
                if timeout is None:
                    await self._wake.wait()
                else:
                    await _wait_event(self.ctx.clock, self._wake, timeout)
            except TimeoutError:
                pass
        return ESSENTIAL_EXITED

    def _maybe_running(self) -> list[ContainerRun]:
        """RUNNING once no container waits to start and one has started; the waiting."""
        pending = [c for c in self.containers.values() if c.status == "PENDING"]
        started = any(c.started for c in self.containers.values())
        if not pending and started and ORDER[self.known] < ORDER["RUNNING"]:
            self._set_known("RUNNING")
        return pending

    def _next_start_deadline(self, since: float, pending: list[ContainerRun]) -> float | None:
        if not pending:
            return None
        now = self.ctx.clock.monotonic()
        return max(0.0, min(since + start_timeout(c.definition) - now for c in pending))

    async def _start_ready(self, waiting_since: float) -> bool:
        """Start every pending container whose dependencies are met; True if any moved."""
        moved = False
        now = self.ctx.clock.monotonic()
        for name in self.order:
            c = self.containers[name]
            if c.status != "PENDING" or self.desired == "STOPPED":
                continue
            verdict = dependency_verdict(c, self.containers)
            if verdict is None and now - waiting_since >= start_timeout(c.definition):
                verdict = (
                    f"DependencyTimeoutError: timed out after {start_timeout(c.definition):g}s "
                    f"waiting for the dependencies of container {c.name}"
                )
            if verdict is None:
                continue
            moved = True
            if verdict is not True:
                self._container_failed(c, str(verdict))
                continue
            await self._start(c)
        return moved

    def _container_failed(self, c: ContainerRun, reason: str) -> None:
        c.status, c.reason = "STOPPED", reason
        if c.essential and self.failure is None:
            self.failure = reason
        elif not c.essential and ORDER[self.known] >= ORDER["RUNNING"]:
            self._report_container(c)
        self._wake.set()

    async def _start(self, c: ContainerRun) -> None:
        assert c.spec is not None
        rt = self.ctx.runtime
        try:
            c.handle = await rt.create(c.spec)
            self._remember(c)
            c.start_requested = True
            await rt.start(c.handle)
        except ContainerRuntimeError as e:
            self._container_failed(c, e.reason)
            return
        c.status, c.started = "RUNNING", True
        c.started_at = self.ctx.clock.now()
        if c.spec.log_path:
            self.ctx.log_started(c.spec.log_path, self.task.task_id, c.name)
        c.watchers.append(asyncio.create_task(self._watch_exit(c)))
        if c.has_health_check:
            c.watchers.append(asyncio.create_task(self._watch_health(c)))
        self._remember(c)

    async def _watch_exit(self, c: ContainerRun) -> None:
        assert c.handle is not None
        try:
            st = await self.ctx.runtime.wait(c.handle)
        except NoSuchContainerError:
            st = ContainerStatus(state=ContainerState.EXITED, reason=LOST_REASON)
        except ContainerRuntimeError as e:
            st = ContainerStatus(state=ContainerState.EXITED, reason=e.reason)
        self._exited(c, st)

    def _exited(self, c: ContainerRun, st: ContainerStatus) -> None:
        if c.status == "STOPPED":
            return
        c.status = "STOPPED"
        c.exit_code = st.exit_code
        c.reason = st.reason
        c.finished_at = st.finished_at or self.ctx.clock.now()
        c.exited.set()
        if c.has_health_check:
            self.ctx.health_changed()
        self._remember(c)
        if not c.essential and self.desired != "STOPPED" and self.known == "RUNNING":
            self._report_container(c)
        self._wake.set()

    async def _watch_health(self, c: ContainerRun) -> None:
        assert c.handle is not None
        while c.status == "RUNNING":
            try:
                st = await self.ctx.runtime.status(c.handle)
            except ContainerRuntimeError:
                return
            if st.health is not c.health and c.status == "RUNNING":
                c.health = st.health
                self.ctx.health_changed()
                self._wake.set()
            await self.ctx.clock.sleep(self.ctx.health_poll_interval)

    async def _stop_all(self) -> None:
        """Stop running containers, dependents first, each with its stopTimeout."""
        for _ in range(len(self.containers) + 1):
            running = [c for c in self.containers.values() if c.status == "RUNNING"]
            if not running:
                break
            await asyncio.gather(*(self._stop_one(c) for c in stop_wave(running)))

    async def _stop_one(self, c: ContainerRun) -> None:
        assert c.handle is not None
        try:
            await self.ctx.runtime.stop(c.handle)
        except ContainerRuntimeError as e:
            log.warning("stopping %s of %s: %s", c.name, self.task.task_arn, e)
        try:
            await _wait_event(self.ctx.clock, c.exited, EXIT_OBSERVE_TIMEOUT)
        except TimeoutError:
            try:
                st = await self.ctx.runtime.status(c.handle)
            except ContainerRuntimeError as e:
                st = ContainerStatus(state=ContainerState.EXITED, reason=e.reason)
            self._exited(c, st)

    async def _finish(self, reason: str) -> None:
        self.stopped_reason = reason
        self.execution_stopped_at = self.ctx.clock.now()
        for c in self.containers.values():
            if c.status != "STOPPED":
                c.status = "STOPPED"
            for w in c.watchers:
                w.cancel()
        if self.ctx.awslogs is not None:
            # their last lines go out before the execution role's credentials are revoked
            await self.ctx.awslogs.finish_task(self.task)
        if self.ctx.iam is not None:
            # the containers are gone: their credentials stop working before STOPPED shows
            await self.ctx.iam.release(self.task.task_arn)
            self.record.credentials = None
        self._set_known("STOPPED")
        for c in self.containers.values():
            if c.spec is not None and c.spec.log_path and c.started:
                self.ctx.log_finished(c.spec.log_path)
            if c.handle is not None:
                with contextlib.suppress(ContainerRuntimeError):
                    await self.ctx.runtime.remove(c.handle)
        await self.volumes.release()

    async def _resume(self) -> str | None:
        """After an agent restart: follow the containers the state file names, if the
        runtime can find them again; otherwise the task is lost and stops."""
        adopt = getattr(self.ctx.runtime, "adopt", None)
        if self.ctx.iam is not None and adopt is not None:
            # the running containers keep the credentials endpoint they were given
            self.ctx.iam.adopt(self.task, self.record.credentials)
        await self._prepare_specs_quietly()
        lost = False
        for name, rec in self.record.containers.items():
            c = self.containers.get(name)
            if c is None:
                continue
            c.status, c.exit_code, c.reason = rec.status, rec.exit_code, rec.reason
            c.started = rec.status in ("RUNNING", "STOPPED") and rec.runtime_id is not None
            if rec.status != "RUNNING" or rec.runtime_id is None:
                continue
            handle = ContainerHandle(id=rec.runtime_id, name=c.engine_name)
            if adopt is None or c.spec is None:
                lost = True
                c.status, c.reason = "STOPPED", LOST_REASON
                continue
            try:
                await adopt(handle, c.spec)
            except ContainerRuntimeError:
                lost = True
                c.status, c.reason = "STOPPED", LOST_REASON
                continue
            c.handle = handle
            c.started_at = self.ctx.clock.now()
            c.watchers.append(asyncio.create_task(self._watch_exit(c)))
            if c.has_health_check:
                c.watchers.append(asyncio.create_task(self._watch_health(c)))
        return LOST_REASON if lost else None

    async def _prepare_specs_quietly(self) -> None:
        with contextlib.suppress(EnvFileError, TaskStartError):
            await self._prepare_specs()

    # -- reports ---------------------------------------------------------------------

    def _set_known(self, status: str) -> None:
        self.known = status
        self.record.known_status = status
        params: dict[str, Any] = {
            "status": status,
            "containers": [self.containers[n].report() for n in self.order],
        }
        if self.pull_started_at is not None:
            params["pullStartedAt"] = self.pull_started_at
        if self.pull_stopped_at is not None:
            params["pullStoppedAt"] = self.pull_stopped_at
        if status == "STOPPED":
            params["reason"] = clip(self.stopped_reason)
            params["executionStoppedAt"] = self.execution_stopped_at
            self.record.final = params
        self.ctx.reporter.task_changed(self.task.task_arn, params)
        self.ctx.changed()

    def _report_final_again(self) -> None:
        if self.record.final is not None and self.record.sent_status != "STOPPED":
            self.ctx.reporter.task_changed(self.task.task_arn, dict(self.record.final))

    def _report_container(self, c: ContainerRun) -> None:
        params: dict[str, Any] = {"containerName": c.name, "status": c.status}
        if c.handle is not None:
            params["runtimeId"] = c.handle.id
        if c.exit_code is not None:
            params["exitCode"] = c.exit_code
        if c.reason:
            params["reason"] = clip(c.reason)
        self.ctx.reporter.container_changed(self.task.task_arn, params)

    def _remember(self, c: ContainerRun) -> None:
        self.record.containers[c.name] = ContainerRecord(
            name=c.name,
            runtime_id=c.handle.id if c.handle is not None else None,
            engine_name=c.engine_name,
            status=c.status,
            exit_code=c.exit_code,
            reason=c.reason,
            token=c.token,
        )
        self.ctx.changed()

    # -- for the metadata endpoint -----------------------------------------------------

    def limits(self, c: ContainerRun) -> dict[str, int | None]:
        return container_limits(self.task, c.definition)


async def _wait_event(clock: Clock, event: asyncio.Event, seconds: float) -> None:
    from cargobay.agent.runtime.clocked import wait_for

    await wait_for(clock, event.wait(), seconds)
