"""The Docker runtime: each container is a Docker container on the local engine.

It talks to the engine through the docker SDK's low-level ``APIClient`` (``DOCKER_HOST``
and friends are honoured), running every blocking call in its own thread pool.

- **pull**: an image present on the engine counts as pulled, and is remembered so later
  tasks skip the check (ECS_IMAGE_PULL_BEHAVIOR ``prefer-cached``; a create that finds it
  gone pulls again); otherwise the engine is asked to pull it, and a failure becomes
  CannotPullContainerError in ECS's shape (``pull image manifest has been retried 1
  time(s): failed to resolve ref <ref>: ...``).
- **create** maps the spec the way the ECS agent does: entryPoint/command,
  environment, workingDirectory, user, cpu → CpuShares (the agent passes 0 and 1 as 2,
  the kernel's minimum), memory → Memory, memoryReservation → MemoryReservation (both
  MiB), ulimits, network mode ``host``/``none``, healthCheck → Docker's Healthcheck (in
  nanoseconds), readonlyRootFilesystem → ReadonlyRootfs, labels, stopTimeout. Port
  mappings need no publishing in host mode (the container binds its host port) and
  none in ``none`` mode, so they are not passed.
- **status** comes from ``inspect``: State.ExitCode, State.OOMKilled (→ ECS's
  OutOfMemoryError reason), State.Health.Status (``starting`` → UNKNOWN).
- **wait** follows the engine's ``die`` events (one event stream for all containers),
  with an occasional ``inspect`` as a safety net.
- **stop** sends SIGTERM, waits ``timeout`` seconds on the clock, then SIGKILL.
- **logs**: while a container runs, a thread copies its stdout and stderr to the
  spec's ``log_path``; ``wait`` returns once the copy is complete.
- **stats** from the engine's one-shot stats: CPU time, memory in use (less inactive
  page cache, as ``docker stats`` shows it), the limit, and the number of processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import docker  # type: ignore[import-untyped,unused-ignore]
import docker.errors  # type: ignore[import-untyped,unused-ignore]
import docker.utils  # type: ignore[import-untyped,unused-ignore]

from cargobay.agent.runtime.base import (
    OOM_REASON,
    CannotCreateContainerError,
    CannotInspectContainerError,
    CannotPullContainerError,
    CannotStartContainerError,
    CannotStopContainerError,
    ContainerHandle,
    ContainerSpec,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    HealthStatus,
    NoSuchContainerError,
)
from cargobay.agent.runtime.clocked import wait_for
from cargobay.clock import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")

NANOS = 1_000_000_000
#: How often ``wait`` re-inspects a container in case a ``die`` event was missed (s).
EXIT_POLL_INTERVAL = 15.0
#: How long ``wait`` lets the log copy catch up after the container exited (s).
LOG_DRAIN_TIMEOUT = 5.0
#: How long a SIGKILLed container may take to exit before stop gives up (s).
KILL_GRACE = 10.0

_RUNNING_STATES = frozenset({"running", "paused", "restarting"})
_HEALTH = {"healthy": HealthStatus.HEALTHY, "unhealthy": HealthStatus.UNHEALTHY}


def connect_client(timeout: float = 10.0) -> Any:
    """A low-level docker client for the engine named by the environment (blocking)."""
    return docker.APIClient(
        version="auto", timeout=timeout, max_pool_size=256, **docker.utils.kwargs_from_env()
    )


def engine_answers(timeout: float = 2.0) -> bool:
    """Whether a Docker engine answers a ping (blocking)."""
    try:
        api = docker.APIClient(timeout=timeout, **docker.utils.kwargs_from_env())
        try:
            return bool(api.ping())
        finally:
            api.close()
    except Exception:  # any failure to reach it means: no engine
        return False


@dataclass
class _Box:
    """What the runtime remembers of a container it created."""

    spec: ContainerSpec
    started_at: float | None = None
    finished_at: float | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    logs_done: asyncio.Event = field(default_factory=asyncio.Event)
    log_thread: threading.Thread | None = None


class DockerRuntime:
    """Runs containers on a Docker engine; see the module docstring for the mapping."""

    name = "docker"
    #: the least real time (s) between two usage readings of all containers
    #: (agent/usage_sampler.py): each stats call makes the engine read the container's
    #: cgroups, CPU the containers being started need more; ECS publishes per minute
    stats_interval = 10.0

    def __init__(self, clock: Clock, api: Any, *, max_workers: int = 16) -> None:
        self.clock = clock
        self.api = api
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="docker")
        self._boxes: dict[str, _Box] = {}
        #: images seen on the engine: pull() skips them (ECS_IMAGE_PULL_BEHAVIOR
        #: prefer-cached), create() pulls again if one has been removed since
        self._present: set[str] = set()
        self._events: Any = None
        self._events_thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    async def connect(cls, clock: Clock, **kwargs: Any) -> DockerRuntime:
        """Connect to the engine named by the environment (DOCKER_HOST…)."""
        api = await asyncio.get_running_loop().run_in_executor(None, connect_client)
        return cls(clock, api, **kwargs)

    # -- the Runtime interface ---------------------------------------------------------

    async def pull(self, image: str) -> None:
        if image in self._present:
            return  # create() finds out if it has gone since, and pulls again
        try:
            await self._call(self.api.inspect_image, image)
            self._present.add(image)
            return
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as e:
            raise CannotPullContainerError(pull_failure(image, _explain(e))) from e
        repo, tag = docker.utils.parse_repository_tag(image)
        try:
            problem = await self._call(_pull_stream, self.api, repo, tag or "latest")
        except docker.errors.APIError as e:
            raise CannotPullContainerError(pull_failure(image, _explain(e))) from e
        try:
            await self._call(self.api.inspect_image, image)
        except docker.errors.APIError as e:
            raise CannotPullContainerError(pull_failure(image, problem or _explain(e))) from e
        self._present.add(image)

    async def create(self, spec: ContainerSpec) -> ContainerHandle:
        await self._ensure_events()
        config, host = create_arguments(spec)
        try:
            host_config = self.api.create_host_config(**host)
            try:
                resp = await self._call(
                    self.api.create_container, host_config=host_config, **config
                )
            except docker.errors.ImageNotFound:
                # removed from the engine since it was last seen: pull it again, once
                self._present.discard(spec.image)
                await self.pull(spec.image)
                resp = await self._call(
                    self.api.create_container, host_config=host_config, **config
                )
        except (docker.errors.APIError, docker.errors.DockerException, ValueError) as e:
            raise CannotCreateContainerError(_explain(e)) from e
        cid = str(resp["Id"])
        self._boxes[cid] = _Box(spec=spec)
        return ContainerHandle(id=cid, name=spec.name)

    async def start(self, handle: ContainerHandle) -> None:
        box = self._box(handle)
        await self._ensure_events()
        try:
            await self._call(self.api.start, handle.id)
        except docker.errors.NotFound as e:
            raise NoSuchContainerError(_explain(e)) from e
        except docker.errors.APIError as e:
            raise CannotStartContainerError(_explain(e)) from e
        box.started_at = self.clock.now()
        if box.spec.log_path is not None and box.log_thread is None:
            box.log_thread = threading.Thread(
                target=self._copy_logs,
                args=(handle.id, box.spec.log_path, box, asyncio.get_running_loop()),
                name=f"docker-logs-{handle.id[:12]}",
                daemon=True,
            )
            box.log_thread.start()
        else:
            box.logs_done.set()

    async def adopt(self, handle: ContainerHandle, spec: ContainerSpec) -> None:
        """Follow again a container created before the agent restarted (its state
        file kept the handle): NoSuchContainerError if the engine no longer has it.
        Its log file gets what it did not have yet (the file holds a prefix of the
        container's log: what the previous agent copied)."""
        doc = await self._inspect(handle)
        box = _Box(spec=spec, started_at=self.clock.now())
        self._boxes[handle.id] = box
        await self._ensure_events()
        if status_from_inspect(doc).state is ContainerState.EXITED:
            box.finished_at = self.clock.now()
            box.exited.set()
            box.logs_done.set()
        elif spec.log_path is not None:
            box.log_thread = threading.Thread(
                target=self._copy_logs,
                args=(
                    handle.id,
                    spec.log_path,
                    box,
                    asyncio.get_running_loop(),
                    _size(spec.log_path),
                ),
                name=f"docker-logs-{handle.id[:12]}",
                daemon=True,
            )
            box.log_thread.start()
        else:
            box.logs_done.set()

    async def status(self, handle: ContainerHandle) -> ContainerStatus:
        box = self._box(handle)
        doc = await self._inspect(handle)
        st = status_from_inspect(doc)
        if st.state is ContainerState.EXITED:
            if box.finished_at is None:
                box.finished_at = self.clock.now()
            box.exited.set()
        st.started_at = box.started_at
        st.finished_at = box.finished_at
        return st

    async def wait(self, handle: ContainerHandle) -> ContainerStatus:
        box = self._box(handle)
        st = ContainerStatus(state=ContainerState.RUNNING)
        for _ in range(1_000_000):  # bounded: ~ EXIT_POLL_INTERVAL s each
            following = await self._ensure_events()
            if following and not box.exited.is_set():
                # the die event wakes us; inspect only now and then, as a safety net (so
                # no inspect per container in the busy moments after its start)
                with contextlib.suppress(TimeoutError):
                    await wait_for(self.clock, box.exited.wait(), EXIT_POLL_INTERVAL)
            st = await self.status(handle)
            if st.state is ContainerState.EXITED:
                break
            if not following or box.exited.is_set():  # no events, or a die event the
                # engine's state does not show yet
                await self.clock.sleep(EXIT_POLL_INTERVAL if not following else 1.0)
        with contextlib.suppress(TimeoutError):
            await wait_for(self.clock, box.logs_done.wait(), LOG_DRAIN_TIMEOUT)
        return st  # the exited container's last inspect: nothing changes after exit

    async def stop(self, handle: ContainerHandle, timeout: float | None = None) -> None:
        box = self._box(handle)
        if (await self.status(handle)).state is not ContainerState.RUNNING:
            return
        grace = box.spec.stop_timeout if timeout is None else timeout
        await self._signal(handle, signal.SIGTERM)
        try:
            await wait_for(self.clock, self._exited(handle, box), grace)
            return
        except TimeoutError:
            pass
        await self._signal(handle, signal.SIGKILL)
        try:
            await wait_for(self.clock, self._exited(handle, box), KILL_GRACE)
        except TimeoutError as e:
            raise CannotStopContainerError(
                f"container {handle.id} did not exit {KILL_GRACE:g} s after SIGKILL"
            ) from e

    async def remove(self, handle: ContainerHandle) -> None:
        self._box(handle)
        try:
            await self._call(self.api.remove_container, handle.id, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            raise CannotStopContainerError(_explain(e)) from e
        self._boxes.pop(handle.id, None)

    async def stats(self, handle: ContainerHandle) -> ContainerStats:
        self._box(handle)
        try:
            try:
                doc = await self._call(self.api.stats, handle.id, stream=False, one_shot=True)
            except docker.errors.InvalidVersion:  # engines before API 1.41: two samples
                doc = await self._call(self.api.stats, handle.id, stream=False)
        except docker.errors.NotFound as e:
            raise NoSuchContainerError(_explain(e)) from e
        except docker.errors.APIError as e:
            raise CannotInspectContainerError(_explain(e)) from e
        return stats_from_docker(doc, self.clock.now())

    async def close(self) -> None:
        """Stop following events; containers keep running."""
        events, self._events = self._events, None
        if events is not None:
            with contextlib.suppress(Exception):
                events.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(Exception):
            self.api.close()

    # -- internals ---------------------------------------------------------------------

    def _box(self, handle: ContainerHandle) -> _Box:
        box = self._boxes.get(handle.id)
        if box is None:
            raise NoSuchContainerError(f"no such container: {handle.id}")
        return box

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))

    async def _inspect(self, handle: ContainerHandle) -> dict[str, Any]:
        try:
            doc: dict[str, Any] = await self._call(self.api.inspect_container, handle.id)
        except docker.errors.NotFound as e:
            raise NoSuchContainerError(_explain(e)) from e
        except docker.errors.APIError as e:
            raise CannotInspectContainerError(_explain(e)) from e
        return doc

    async def _exited(self, handle: ContainerHandle, box: _Box) -> None:
        """Return once the container has exited (event, else a re-inspect now and then)."""
        for _ in range(1_000_000):
            if (await self.status(handle)).state is ContainerState.EXITED:
                return
            with contextlib.suppress(TimeoutError):
                await wait_for(self.clock, box.exited.wait(), EXIT_POLL_INTERVAL)

    async def _signal(self, handle: ContainerHandle, sig: signal.Signals) -> None:
        try:
            await self._call(self.api.kill, handle.id, signal=int(sig))
        except docker.errors.NotFound as e:
            raise NoSuchContainerError(_explain(e)) from e
        except docker.errors.APIError as e:
            if e.status_code != 409:  # 409: not running any more
                raise CannotStopContainerError(_explain(e)) from e

    async def _ensure_events(self) -> bool:
        """Follow the engine's ``die`` events (subscribed before this returns); False if
        the engine refuses to stream them."""
        if self._events_thread is not None and self._events_thread.is_alive():
            return True
        loop = asyncio.get_running_loop()
        self._loop = loop
        try:
            stream = await self._call(
                self.api.events, filters={"type": "container", "event": "die"}, decode=True
            )
        except docker.errors.APIError as e:
            log.warning("docker events unavailable (%s): polling only", _explain(e))
            return False
        self._events = stream
        self._events_thread = threading.Thread(
            target=self._follow_events, args=(stream, loop), name="docker-events", daemon=True
        )
        self._events_thread.start()
        return True

    def _follow_events(self, stream: Iterator[dict[str, Any]], loop: Any) -> None:
        try:
            for event in stream:
                cid = event.get("id") or event.get("Actor", {}).get("ID")
                if cid:
                    _call_soon(loop, self._on_die, str(cid))
        except Exception as e:  # the stream ends with an error when closed
            log.debug("docker event stream ended: %s", e)

    def _on_die(self, cid: str) -> None:
        box = self._boxes.get(cid)
        if box is not None:
            if box.finished_at is None:
                box.finished_at = self.clock.now()
            box.exited.set()

    def _copy_logs(self, cid: str, path: str, box: _Box, loop: Any, skip: int = 0) -> None:
        """Thread: append the container's stdout/stderr to ``path`` until it exits,
        leaving out its first ``skip`` bytes (already in the file: an adopted container)."""
        try:
            with open(path, "ab") as out:
                written = 0  # bytes of the container's log seen, copied or skipped
                for chunk in self.api.logs(cid, stream=True, follow=True):
                    fresh = chunk[max(0, skip - written) :]
                    written += len(chunk)
                    if fresh:
                        out.write(fresh)
                        out.flush()
                # A container that exits while the follow request is being set up can
                # end the stream early (even with nothing): what the engine kept is the
                # whole log, and what was seen is a prefix of it.
                full = self.api.logs(cid, stream=False, follow=False)
                if isinstance(full, bytes) and len(full) > max(written, skip):
                    out.write(full[max(written, skip) :])
                    out.flush()
        except Exception as e:
            log.warning("copying logs of %s to %s stopped: %s", cid[:12], path, e)
        finally:
            _call_soon(loop, box.logs_done.set)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _call_soon(loop: Any, fn: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
        loop.call_soon_threadsafe(fn, *args)


def _pull_stream(api: Any, repo: str, tag: str) -> str | None:
    """Pull (blocking); the last error the engine streamed, if any."""
    problem: str | None = None
    for line in api.pull(repo, tag=tag, stream=True, decode=True):
        if isinstance(line, dict) and line.get("error"):
            problem = str(line["error"])
    return problem


def _explain(e: Exception) -> str:
    explanation = getattr(e, "explanation", None)
    if explanation:
        return f"Error response from daemon: {explanation}"
    return str(e)


# -- pure translations (unit-tested without an engine) ---------------------------------


def create_arguments(spec: ContainerSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """``create_container`` keyword arguments and ``create_host_config`` ones for ``spec``."""
    if spec.network_mode not in ("host", "none"):
        raise CannotCreateContainerError(
            f"network mode {spec.network_mode!r} is not supported (only host and none)"
        )
    config: dict[str, Any] = {
        "image": spec.image,
        "name": spec.name or None,
        "entrypoint": list(spec.entry_point) or None,
        "command": list(spec.command) or None,
        "environment": [f"{k}={v}" for k, v in spec.environment.items()],
        "working_dir": spec.working_directory or None,
        "user": spec.user or None,
        "labels": dict(spec.labels),
        "stop_timeout": round(spec.stop_timeout),
        "detach": True,
        "healthcheck": docker_healthcheck(spec),
    }
    host: dict[str, Any] = {
        "network_mode": spec.network_mode,
        "cpu_shares": max(spec.cpu, 2),
        "read_only": spec.readonly_root_filesystem,
        "ulimits": [{"Name": u.name, "Soft": u.soft, "Hard": u.hard} for u in spec.ulimits] or None,
    }
    if spec.memory is not None:
        host["mem_limit"] = spec.memory << 20
    if spec.memory_reservation is not None:
        host["mem_reservation"] = spec.memory_reservation << 20
    if spec.supplementary_groups:
        host["group_add"] = [str(g) for g in spec.supplementary_groups]
    if spec.mounts:  # volumes (cargobay/agent/volumes.py): host paths or volume names
        host["binds"] = [
            f"{m.source}:{m.target}:{'ro' if m.read_only else 'rw'}" for m in spec.mounts
        ]
    if spec.nano_cpus:
        host["nano_cpus"] = spec.nano_cpus
    return config, host


def docker_healthcheck(spec: ContainerSpec) -> dict[str, Any] | None:
    """Docker's Healthcheck object from ECS's healthCheck (durations in nanoseconds)."""
    check = spec.health_check
    if check is None:
        return None
    return {
        "Test": list(check.command),
        "Interval": round(check.interval * NANOS),
        "Timeout": round(check.timeout * NANOS),
        "Retries": check.retries,
        "StartPeriod": round(check.start_period * NANOS),
    }


def status_from_inspect(doc: dict[str, Any]) -> ContainerStatus:
    """A ContainerStatus from ``docker inspect`` (times are filled in by the runtime)."""
    state = doc.get("State") or {}
    raw = str(state.get("Status", ""))
    if raw in _RUNNING_STATES:
        kind = ContainerState.RUNNING
    elif raw == "created":
        kind = ContainerState.CREATED
    else:
        kind = ContainerState.EXITED
    exited = kind is ContainerState.EXITED
    oom = exited and bool(state.get("OOMKilled"))
    reason: str | None = None
    if oom:
        reason = OOM_REASON
    elif exited and state.get("Error"):
        reason = f"CannotStartContainerError: {state['Error']}"
    health = (state.get("Health") or {}).get("Status")
    return ContainerStatus(
        state=kind,
        exit_code=int(state.get("ExitCode", 0)) if exited else None,
        reason=reason,
        oom_killed=oom,
        health=_HEALTH.get(str(health), HealthStatus.UNKNOWN),
    )


def stats_from_docker(doc: dict[str, Any], now: float) -> ContainerStats:
    """ContainerStats from the engine's stats document (cgroup v1 or v2)."""
    cpu = ((doc.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage") or 0
    mem = doc.get("memory_stats") or {}
    detail = mem.get("stats") or {}
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0)) or 0
    usage = max(0, int(mem.get("usage") or 0) - int(inactive))
    return ContainerStats(
        cpu_seconds=int(cpu) / NANOS,
        memory_bytes=usage,
        memory_limit_bytes=int(mem.get("limit") or 0),
        pids=int((doc.get("pids_stats") or {}).get("current") or 0),
        read_at=now,
    )


def normalize_reference(image: str) -> str:
    """An image reference in full, as containerd names it (``docker.io/library/x:latest``)."""
    name, at, digest = image.partition("@")
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "docker.io", name
        if "/" not in path:
            path = f"library/{path}"
    last = path.rsplit("/", 1)[-1]
    if ":" not in last and not at:
        path += ":latest"
    return f"{domain}/{path}{at}{digest}"


def pull_failure(image: str, problem: str) -> str:
    """The detail of ECS's CannotPullContainerError for an image that could not be had."""
    ref = normalize_reference(image)
    lowered = problem.lower()
    if any(s in lowered for s in ("not found", "manifest unknown", "does not exist", "no such")):
        cause = f"{ref}: not found"
    else:
        cause = problem.removeprefix("Error response from daemon: ")
    return f"pull image manifest has been retried 1 time(s): failed to resolve ref {ref}: {cause}"
