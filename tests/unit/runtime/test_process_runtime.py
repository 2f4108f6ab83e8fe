"""Process-runtime specifics: start failures, the session as the container, the clock.

Real (short) processes; the shared behaviour of both runtimes is in
tests/e2e/runtime/test_runtime_behaviour.py.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cargobay.agent.runtime import (
    OOM_REASON,
    CannotStartContainerError,
    ContainerHandle,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    HealthCheck,
    HealthStatus,
    NoSuchContainerError,
    Ulimit,
)
from cargobay.agent.runtime.base import DEFAULT_PATH
from cargobay.agent.runtime.process import ProcessRuntime
from cargobay.agent.runtime.procfs import read_stat, session_usage
from cargobay.clock import Clock, RealClock, SimClock

T = TypeVar("T")


def run(body: Callable[[ProcessRuntime], Awaitable[T]], clock: Clock | None = None) -> T:
    async def main() -> T:
        rt = ProcessRuntime(clock or RealClock(), memory_poll_interval=0.05)
        try:
            return await asyncio.wait_for(body(rt), 30)
        finally:
            await rt.close()

    return asyncio.run(main())


def spec(tmp_path: Path, script: str | None = None, **kw: Any) -> ContainerSpec:
    kw.setdefault("command", ["sh", "-c", script] if script is not None else [])
    return ContainerSpec(
        task_id="t", name="c", image="ignored", log_path=str(tmp_path / "c.log"), **kw
    )


def gone(pid: int) -> bool:
    fields = read_stat(pid)
    return fields is None or fields[0] in ("Z", "X")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"command": ["no-such-program-xyz"]}, 'exec: "no-such-program-xyz": executable file'),
        ({"command": []}, "no command"),
        ({"command": ["/no/such/program"]}, 'exec: "/no/such/program": permission denied'),
        ({"command": ["true"], "working_directory": "/no/such/dir"}, "chdir to cwd"),
        ({"command": ["true"], "user": "no-such-user-xyz"}, "unable to find user"),
        ({"command": ["true"], "user": "0:no-such-group-xyz"}, "unable to find group"),
    ],
)
def test_what_docker_would_refuse_is_cannot_start_container_error(
    tmp_path: Path, kw: dict[str, Any], message: str
) -> None:
    async def body(rt: ProcessRuntime) -> str:
        handle = await rt.create(spec(tmp_path, **kw))
        with pytest.raises(CannotStartContainerError) as err:
            await rt.start(handle)
        assert (await rt.status(handle)).state is ContainerState.CREATED
        await rt.remove(handle)
        return str(err.value)

    got = run(body)
    assert got.startswith("CannotStartContainerError: ")
    assert message in got


def test_an_empty_environment_gets_only_dockers_path_and_home(tmp_path: Path) -> None:
    async def body(rt: ProcessRuntime) -> str:
        handle = await rt.create(spec(tmp_path, "env"))
        await rt.start(handle)
        assert (await rt.wait(handle)).exit_code == 0
        return (tmp_path / "c.log").read_text()

    env = dict(line.split("=", 1) for line in run(body).splitlines() if "=" in line)
    assert env["PATH"] == DEFAULT_PATH
    assert env["HOME"]
    assert set(env) <= {"PATH", "HOME", "PWD", "SHLVL", "_", "OLDPWD"}  # sh adds a few


def test_processes_left_behind_die_with_the_first_process(tmp_path: Path) -> None:
    # One in the container's own process group, one in a group of its own (still in
    # the container's session): both go when the first process exits.
    script = (
        f"sleep 30 & echo $! > {tmp_path}/a; "
        f"{shlex.quote(sys.executable)} -c "
        '\'import subprocess; print(subprocess.Popen(["sleep", "30"], process_group=0).pid)\''
        f" > {tmp_path}/b; exit 4"
    )

    async def body(rt: ProcessRuntime) -> int | None:
        handle = await rt.create(spec(tmp_path, script))
        await rt.start(handle)
        return (await rt.wait(handle)).exit_code

    assert run(body) == 4
    pids = [int((tmp_path / n).read_text()) for n in ("a", "b")]
    deadline = time.monotonic() + 5  # SIGKILL was sent; delivery takes a moment
    while not all(gone(pid) for pid in pids):
        assert time.monotonic() < deadline, [read_stat(pid) for pid in pids]
        time.sleep(0.01)


def test_sigterm_goes_to_the_process_group_so_a_plain_sleep_exits_143(tmp_path: Path) -> None:
    async def body(rt: ProcessRuntime) -> int | None:
        handle = await rt.create(spec(tmp_path, command=["sleep", "30"]))
        await rt.start(handle)
        await rt.stop(handle, 10)
        return (await rt.status(handle)).exit_code

    assert run(body) == 143


def test_the_stop_timeout_runs_on_the_runtimes_clock(tmp_path: Path) -> None:
    clock = SimClock()
    script = 'trap "" TERM; echo ready; while true; do sleep 0.05; done'

    async def body(rt: ProcessRuntime) -> int | None:
        handle = await rt.create(spec(tmp_path, script))
        await rt.start(handle)
        for _ in range(200):
            if "ready" in (tmp_path / "c.log").read_text():
                break
            await asyncio.sleep(0.01)
        stopping = asyncio.create_task(rt.stop(handle, 30))
        await asyncio.sleep(0.3)  # real time passes, simulated time does not
        assert not stopping.done()
        assert (await rt.status(handle)).state is ContainerState.RUNNING
        await clock.advance(30)
        await asyncio.wait_for(stopping, 10)
        st = await rt.status(handle)
        assert st.finished_at == clock.now()
        return st.exit_code

    assert run(body, clock) == 137


def test_memory_of_child_processes_counts_toward_the_limit(tmp_path: Path) -> None:
    hog = "b = bytearray(b'a') * (100 << 20); import time; time.sleep(10)"
    script = f"{shlex.quote(sys.executable)} -c {shlex.quote(hog)}; echo survived"

    async def body(rt: ProcessRuntime) -> tuple[int | None, bool, str | None]:
        handle = await rt.create(spec(tmp_path, script, memory=48))
        await rt.start(handle)
        st = await rt.wait(handle)
        return st.exit_code, st.oom_killed, st.reason

    assert run(body) == (137, True, OOM_REASON)
    assert "survived" not in (tmp_path / "c.log").read_text()


def test_a_container_under_its_limit_is_left_alone(tmp_path: Path) -> None:
    async def body(rt: ProcessRuntime) -> tuple[int | None, bool]:
        handle = await rt.create(spec(tmp_path, "sleep 0.3; exit 0", memory=64))
        await rt.start(handle)
        st = await rt.wait(handle)
        return st.exit_code, st.oom_killed

    assert run(body) == (0, False)


def test_a_container_starts_once_and_unknown_handles_are_refused(tmp_path: Path) -> None:
    async def body(rt: ProcessRuntime) -> None:
        handle = await rt.create(spec(tmp_path, "exit 0"))
        await rt.start(handle)
        with pytest.raises(CannotStartContainerError):
            await rt.start(handle)
        await rt.wait(handle)
        stats = await rt.stats(handle)
        assert (stats.pids, stats.memory_bytes) == (0, 0)
        await rt.stop(handle)  # not running: nothing to do
        await rt.remove(handle)
        for call in (rt.status, rt.wait, rt.start, rt.remove, rt.stats):
            with pytest.raises(NoSuchContainerError):
                await call(handle)
        with pytest.raises(NoSuchContainerError):
            await rt.status(ContainerHandle(id="proc-nope", name="x"))

    run(body)


def test_session_usage_sums_the_members_of_a_session() -> None:
    async def main() -> None:
        proc = await asyncio.create_subprocess_exec(
            "sh", "-c", "sleep 5 & sleep 5 & wait", start_new_session=True
        )
        try:
            for _ in range(100):
                usage = session_usage([proc.pid])[proc.pid]
                if len(usage.pids) == 3:
                    break
                await asyncio.sleep(0.02)
            assert proc.pid in usage.pids and len(usage.pids) == 3
            assert usage.groups == {proc.pid}
            assert usage.rss_bytes > 0
            assert session_usage([os.getpid() + 10_000_000]) == {
                os.getpid() + 10_000_000: type(usage)()
            }
        finally:
            os.killpg(proc.pid, 9)
            await proc.wait()

    asyncio.run(main())


def test_the_process_runtime_runs_on_uvloop_too(tmp_path: Path) -> None:
    # `cargobay up` serves on uvloop, whose subprocesses take fewer Popen options.
    uvloop = pytest.importorskip("uvloop")
    check = HealthCheck(("CMD-SHELL", "exit 0"), interval=0.2, retries=1)

    async def main() -> tuple[ContainerStatus, ContainerStatus, str]:
        rt = ProcessRuntime(RealClock(), memory_poll_interval=0.05)
        user = "65534:65534" if os.getuid() == 0 else None
        hog = spec(tmp_path, 'x=$(head -c 100000000 /dev/zero | tr "\\0" a)', memory=32)
        sleeper = spec(
            tmp_path,
            "id -u; ulimit -n; sleep 30",
            user=user,
            ulimits=[Ulimit("nofile", 100, 100)],
            health_check=check,
        )
        try:
            h1 = await rt.create(hog)
            await rt.start(h1)
            oom = await asyncio.wait_for(rt.wait(h1), 20)
            h2 = await rt.create(sleeper)
            await rt.start(h2)
            for _ in range(200):
                if (await rt.status(h2)).health is HealthStatus.HEALTHY:
                    break
                await asyncio.sleep(0.02)
            await rt.stop(h2, 5)
            return oom, await rt.status(h2), (tmp_path / "c.log").read_text()
        finally:
            await rt.close()

    oom, stopped, out = uvloop.run(main())
    assert (oom.exit_code, oom.reason) == (137, OOM_REASON)
    assert (stopped.exit_code, stopped.health) == (143, HealthStatus.HEALTHY)
    assert out.split() == [str(65534 if os.getuid() == 0 else os.getuid()), "100"]
