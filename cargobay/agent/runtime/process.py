"""The process runtime: each container is a process session on this host.

For machines without Docker.  A container's ``entry_point + command`` runs as a child
process that leads its own session (``start_new_session``); every process it starts
belongs to the container.

- **Image.** The host is the image: nothing is pulled (``pull`` always succeeds) and
  the image name is not used.  Programs are looked up on the PATH of the container's
  environment, so a task definition whose commands are plain POSIX shell runs the same
  here as in a busybox image.  With neither entryPoint nor command there is nothing to
  run (a Docker image would supply its CMD): ``start`` raises CannotStartContainerError.
- **Environment** exactly as given (never the agent's own, so no AWS_* leaks in),
  plus Docker's defaults when absent: ``PATH`` (Docker's default) and ``HOME`` (the
  user's home directory, else ``/``).
- **Working directory** as given, else ``/`` (Docker's default); it must exist.
- **User** ``name``, ``uid``, ``name:group`` or ``uid:gid``: switched to (with
  util-linux's ``setpriv``, which execs the command in the same process, so any event
  loop can start it) when the agent runs as root; otherwise only the agent's own user
  is allowed.
- **stdout and stderr** are appended to ``log_path``.
- **Memory hard limit**: the resident memory of the session's processes is summed
  every ``memory_poll_interval`` seconds of real time (memory grows in real time, even
  on a simulated clock); over the limit, every process
  of the container gets SIGKILL and the container exits 137 with ECS's
  ``OutOfMemoryError`` reason.  ``memory_reservation`` and ``cpu`` shares are not
  enforced.
- **ulimits** are applied with util-linux's ``prlimit`` wrapping the command (it sets
  the limits, then execs the command in the same process).
- **stop** sends SIGTERM to the container's process group, then SIGKILL to all its
  processes after the timeout.  When the container's first process exits, any process
  it left behind is killed, as when a Docker container's PID 1 exits.
- **Exit code** of the first process; 128 + signal number when a signal ended it.
- **Health checks** run as commands in the container's environment, working directory
  and user, on Docker's rules (see :mod:`cargobay.agent.runtime.healthcheck`).
- **Volumes** (``mounts``): bind mounts in a private mount namespace as root, symlinks
  otherwise (:mod:`cargobay.agent.runtime.mount_ns`).
- **Not honoured**: network_mode (always the host's network), port mappings (the
  program binds its host port itself), readonly_root_filesystem, labels (kept only).
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import itertools
import os
import pwd
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from typing import IO

from cargobay.agent.runtime.base import (
    DEFAULT_PATH,
    OOM_REASON,
    CannotStartContainerError,
    CannotStopContainerError,
    ContainerHandle,
    ContainerSpec,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    HealthStatus,
    NoSuchContainerError,
    signal_exit_code,
)
from cargobay.agent.runtime.clocked import wait_for
from cargobay.agent.runtime.healthcheck import HealthTracker, run_health_checks
from cargobay.agent.runtime.mount_ns import host_view, mount_prefix
from cargobay.agent.runtime.procfs import host_memory_bytes, session_usage
from cargobay.agent.runtime.spawn import Child, spawn
from cargobay.clock import Clock, real_sleep

#: How long a SIGKILLed process may take to be reaped before we give up (seconds).
KILL_GRACE = 10.0

ULIMIT_NAMES = frozenset(
    {"core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile"}
    | {"nproc", "rss", "rtprio", "rttime", "sigpending", "stack"}
)


@dataclass
class _Container:
    spec: ContainerSpec
    handle: ContainerHandle
    state: ContainerState = ContainerState.CREATED
    proc: Child | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    started_at: float | None = None
    finished_at: float | None = None
    health: HealthTracker | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    last_cpu_seconds: float = 0.0

    @property
    def sid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


@dataclass(frozen=True)
class _Launch:
    """How to exec a container's (or its probe's) command."""

    argv: list[str]
    env: dict[str, str]
    cwd: str


class ProcessRuntime:
    """Runs containers as host processes; see the module docstring for the rules."""

    name = "process"

    def __init__(self, clock: Clock, *, memory_poll_interval: float = 0.1) -> None:
        self.clock = clock
        self.memory_poll_interval = memory_poll_interval
        self._containers: dict[str, _Container] = {}
        self._ids = itertools.count(1)
        self._memory_watch: asyncio.Task[None] | None = None

    # -- the Runtime interface ---------------------------------------------------------

    async def pull(self, image: str) -> None:
        """Nothing to pull: the host is the image."""

    async def create(self, spec: ContainerSpec) -> ContainerHandle:
        handle = ContainerHandle(id=f"proc-{os.getpid()}-{next(self._ids)}", name=spec.name)
        self._containers[handle.id] = _Container(spec=spec, handle=handle)
        return handle

    async def start(self, handle: ContainerHandle) -> None:
        c = self._get(handle)
        if c.state is not ContainerState.CREATED:
            raise CannotStartContainerError(f"container {handle.id} was already started")
        launch = _launch(c.spec, c.spec.argv, ulimits=True)
        log = _open_log(c.spec.log_path)
        try:
            c.proc = spawn(launch.argv, stdout=log, stderr=log, env=launch.env, cwd=launch.cwd)
        except OSError as e:
            raise CannotStartContainerError(f'exec: "{c.spec.argv[0]}": {e.strerror or e}') from e
        finally:
            if log is not subprocess.DEVNULL:
                log.close()  # type: ignore[union-attr]
        c.state = ContainerState.RUNNING
        c.started_at = self.clock.now()
        if c.spec.health_check is not None and c.spec.health_check.enabled:
            c.health = HealthTracker(c.spec.health_check, started=self.clock.monotonic())
            c.tasks.append(
                asyncio.create_task(
                    run_health_checks(self.clock, c.health, lambda t: self._probe(c, t))
                )
            )
        c.tasks.append(asyncio.create_task(self._supervise(c)))
        if c.spec.memory is not None and self._memory_watch is None:
            self._memory_watch = asyncio.create_task(self._watch_memory())

    async def status(self, handle: ContainerHandle) -> ContainerStatus:
        c = self._get(handle)
        return ContainerStatus(
            state=c.state,
            exit_code=c.exit_code,
            reason=OOM_REASON if c.oom_killed else None,
            oom_killed=c.oom_killed,
            started_at=c.started_at,
            finished_at=c.finished_at,
            health=c.health.status if c.health is not None else HealthStatus.UNKNOWN,
        )

    async def wait(self, handle: ContainerHandle) -> ContainerStatus:
        c = self._get(handle)
        await c.exited.wait()
        return await self.status(handle)

    async def stop(self, handle: ContainerHandle, timeout: float | None = None) -> None:
        c = self._get(handle)
        if c.state is not ContainerState.RUNNING:
            return
        grace = c.spec.stop_timeout if timeout is None else timeout
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(c.sid, signal.SIGTERM)
        try:
            await wait_for(self.clock, c.exited.wait(), grace)
        except TimeoutError:
            await self._kill(c)

    async def remove(self, handle: ContainerHandle) -> None:
        c = self._get(handle)
        if c.state is ContainerState.RUNNING:
            await self._kill(c)
        for task in c.tasks:
            task.cancel()
        del self._containers[handle.id]

    async def stats(self, handle: ContainerHandle) -> ContainerStats:
        c = self._get(handle)
        limit = (c.spec.memory << 20) if c.spec.memory is not None else host_memory_bytes()
        if c.state is not ContainerState.RUNNING:
            return ContainerStats(c.last_cpu_seconds, 0, limit, 0, self.clock.now())
        usage = session_usage([c.sid])[c.sid]
        c.last_cpu_seconds = max(c.last_cpu_seconds, usage.cpu_seconds)
        return ContainerStats(
            cpu_seconds=c.last_cpu_seconds,
            memory_bytes=usage.rss_bytes,
            memory_limit_bytes=limit,
            pids=len(usage.pids),
            read_at=self.clock.now(),
        )

    async def close(self) -> None:
        """Stop watching; containers still running are left running."""
        if self._memory_watch is not None:
            self._memory_watch.cancel()
            self._memory_watch = None
        for c in self._containers.values():
            for task in c.tasks:
                task.cancel()

    # -- internals ---------------------------------------------------------------------

    def _get(self, handle: ContainerHandle) -> _Container:
        c = self._containers.get(handle.id)
        if c is None:
            raise NoSuchContainerError(f"no such container: {handle.id}")
        return c

    async def _supervise(self, c: _Container) -> None:
        assert c.proc is not None
        returncode = await c.proc.wait()
        _kill_session(c.sid)  # what the first process left behind goes with it
        c.exit_code = signal_exit_code(returncode)
        c.finished_at = self.clock.now()
        c.state = ContainerState.EXITED
        for task in c.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        c.exited.set()

    async def _kill(self, c: _Container) -> None:
        _kill_session(c.sid)
        try:
            await wait_for(self.clock, c.exited.wait(), KILL_GRACE)
        except TimeoutError as e:
            raise CannotStopContainerError(
                f"container {c.handle.id} did not exit {KILL_GRACE:g} s after SIGKILL"
            ) from e

    async def _watch_memory(self) -> None:
        """Kill any container whose processes' resident memory passes its hard limit."""
        try:
            while True:
                limited = {
                    c.sid: c
                    for c in self._containers.values()
                    if c.state is ContainerState.RUNNING and c.spec.memory is not None
                }
                if not limited:
                    break
                for sid, usage in session_usage(limited).items():
                    c = limited[sid]
                    c.last_cpu_seconds = max(c.last_cpu_seconds, usage.cpu_seconds)
                    if c.spec.memory is not None and usage.rss_bytes > c.spec.memory << 20:
                        c.oom_killed = True
                        _kill_session(sid)
                await real_sleep(self.memory_poll_interval)
        finally:
            if self._memory_watch is asyncio.current_task():
                self._memory_watch = None

    async def _probe(self, c: _Container, timeout: float) -> bool:
        """Run the container's health check command once; True if it exited 0 in time."""
        assert c.spec.health_check is not None
        try:
            launch = _launch(c.spec, c.spec.health_check.argv(), ulimits=False)
            proc = spawn(
                launch.argv,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=launch.env,
                cwd=launch.cwd,
            )
        except (OSError, ValueError, CannotStartContainerError):
            return False
        try:
            return await wait_for(self.clock, proc.wait(), timeout) == 0
        except TimeoutError:
            _kill_session(proc.pid)
            await proc.wait()
            return False


def _kill_session(sid: int) -> None:
    """SIGKILL every process of the session ``sid``, in whatever process group."""
    groups = {sid, *session_usage([sid])[sid].groups}
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def _open_log(path: str | None) -> IO[bytes] | int:
    if path is None:
        return subprocess.DEVNULL
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    return open(path, "ab")  # closed by start() once the child has it


def _launch(spec: ContainerSpec, argv: list[str], *, ulimits: bool) -> _Launch:
    """Resolve what exec needs; CannotStartContainerError for what Docker would refuse."""
    if not argv:
        raise CannotStartContainerError(
            "no command: the process runtime has no image to supply one "
            "(give the container an entryPoint or command)"
        )
    switch_user, home = _user_argv(spec.user, spec.supplementary_groups)
    env = dict(spec.environment)
    env.setdefault("PATH", DEFAULT_PATH)
    env.setdefault("HOME", home)
    cwd = spec.working_directory or "/"
    if not os.path.isdir(host_view(cwd, spec.mounts)):
        raise CannotStartContainerError(f"chdir to cwd ({cwd!r}): no such file or directory")
    program = argv[0]
    if "/" not in program:
        if shutil.which(program, path=env["PATH"]) is None:
            raise CannotStartContainerError(
                f'exec: "{program}": executable file not found in $PATH'
            )
    elif not os.access(host_view(os.path.join(cwd, program), spec.mounts), os.X_OK):
        raise CannotStartContainerError(f'exec: "{program}": permission denied or no such file')
    # prlimit first: as root it may raise hard limits; then drop to the user.
    argv = [
        *(mounted := mount_prefix(spec.mounts, cwd)),
        *(_prlimit_argv(spec) if ulimits and spec.ulimits else []),
        *switch_user,
        *argv,
    ]
    # with mounts the wrapper changes to cwd once they are in place
    return _Launch(argv=argv, env=env, cwd="/" if mounted else cwd)


def _tool(name: str, purpose: str) -> str:
    path = shutil.which(name, path=DEFAULT_PATH)
    if path is None:
        raise CannotStartContainerError(f"{purpose} need util-linux's {name}, not found")
    return path


def _prlimit_argv(spec: ContainerSpec) -> list[str]:
    out = [_tool("prlimit", "ulimits")]
    for u in spec.ulimits:
        if u.name not in ULIMIT_NAMES:
            raise CannotStartContainerError(f"invalid ulimit name: {u.name}")
        out.append(f"--{u.name}={u.soft}:{u.hard}")
    out.append("--")
    return out


def _user_argv(user: str | None, groups: list[int] | None = None) -> tuple[list[str], str]:
    """The argv prefix that runs a command as ``user`` (Docker's forms) with the extra
    ``groups`` (only these: root agents), and its home."""
    me = os.getuid()
    if not user:
        return [], _home(me)
    name, _, group = user.partition(":")
    try:
        uid = int(name)
        entry: pwd.struct_passwd | None = _getpwuid(uid)
    except ValueError:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise CannotStartContainerError(
                f"unable to find user {name}: no matching entries in passwd file"
            ) from None
        uid = entry.pw_uid
    if group:
        try:
            gid = int(group)
        except ValueError:
            try:
                gid = grp.getgrnam(group).gr_gid
            except KeyError:
                raise CannotStartContainerError(
                    f"unable to find group {group}: no matching entries in group file"
                ) from None
    else:
        gid = entry.pw_gid if entry is not None else 0
    home = entry.pw_dir if entry is not None else "/"
    if me != 0:
        if uid != me:
            raise CannotStartContainerError(f"cannot run as user {user!r}: the agent is not root")
        return [], home
    setpriv = _tool("setpriv", "users")
    extra = f"--groups={','.join(str(g) for g in groups)}" if groups else "--clear-groups"
    return [setpriv, f"--reuid={uid}", f"--regid={gid}", extra, "--"], home


def _getpwuid(uid: int) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwuid(uid)
    except KeyError:
        return None


def _home(uid: int) -> str:
    entry = _getpwuid(uid)
    return entry.pw_dir if entry is not None else "/"
