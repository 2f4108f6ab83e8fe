"""One behaviour suite, run on both runtimes (real processes, real Docker containers).

Each test starts real containers with the RealClock: commands are plain POSIX shell
so that the host's /bin/sh (process runtime) and the busybox test image (docker) run
them alike.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from cargobay.agent.runtime import (
    OOM_REASON,
    CannotPullContainerError,
    CannotStartContainerError,
    ContainerHandle,
    ContainerSpec,
    ContainerState,
    ContainerStatus,
    HealthCheck,
    HealthStatus,
    NoSuchContainerError,
    Runtime,
    Ulimit,
    ecs_labels,
)
from cargobay.agent.runtime.docker import DockerRuntime
from cargobay.agent.runtime.process import ProcessRuntime
from cargobay.clock import RealClock
from tests.e2e.runtime.conftest import TEST_IMAGE

T = TypeVar("T")
LIMIT = 20.0  # no single container operation in this suite may take longer (seconds)


def run(body: Callable[[Runtime], Awaitable[T]], kind: str) -> T:
    async def main() -> T:
        rt: Runtime
        if kind == "process":
            rt = ProcessRuntime(RealClock(), memory_poll_interval=0.05)
        else:
            rt = await DockerRuntime.connect(RealClock())
        try:
            return await asyncio.wait_for(body(rt), 60)
        finally:
            await rt.close()

    return asyncio.run(main())


def make_spec(tmp_path: Path, script: str, **kw: Any) -> ContainerSpec:
    name = f"cbtest-{uuid.uuid4().hex[:12]}"
    return ContainerSpec(
        task_id="task-1",
        name=name,
        image=TEST_IMAGE,
        command=["sh", "-c", script],
        log_path=str(tmp_path / f"{name}.log"),
        **kw,
    )


@asynccontextmanager
async def started(rt: Runtime, spec: ContainerSpec) -> AsyncIterator[ContainerHandle]:
    await rt.pull(spec.image)
    handle = await rt.create(spec)
    try:
        await rt.start(handle)
        yield handle
    finally:
        await rt.remove(handle)


async def run_to_exit(rt: Runtime, spec: ContainerSpec) -> tuple[ContainerStatus, str]:
    async with started(rt, spec) as handle:
        st = await asyncio.wait_for(rt.wait(handle), LIMIT)
    assert spec.log_path is not None
    return st, Path(spec.log_path).read_text()


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_a_container_that_exits_0_runs_its_command_and_logs_its_output(
    runtime_kind: str, tmp_path: Path
) -> None:
    async def body(rt: Runtime) -> None:
        spec = make_spec(tmp_path, "echo out; echo err >&2")
        handle = await rt.create(spec)
        try:
            assert (await rt.status(handle)).state is ContainerState.CREATED
            before = time.time()
            await rt.start(handle)
            st = await asyncio.wait_for(rt.wait(handle), LIMIT)
        finally:
            await rt.remove(handle)
        assert st.state is ContainerState.EXITED
        assert (st.exit_code, st.reason, st.oom_killed) == (0, None, False)
        assert st.started_at is not None and st.finished_at is not None
        assert before - 1 <= st.started_at <= st.finished_at <= time.time() + 1
        assert st.health is HealthStatus.UNKNOWN
        assert spec.log_path is not None
        assert sorted(Path(spec.log_path).read_text().split()) == ["err", "out"]

    run(body, runtime_kind)


def test_a_container_that_exits_3_reports_3(runtime_kind: str, tmp_path: Path) -> None:
    async def body(rt: Runtime) -> ContainerStatus:
        return (await run_to_exit(rt, make_spec(tmp_path, "exit 3")))[0]

    st = run(body, runtime_kind)
    assert (st.state, st.exit_code, st.reason) == (ContainerState.EXITED, 3, None)


def test_environment_is_exactly_the_given_one_and_working_directory_is_used(
    runtime_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The agent's own credentials must never reach a task (they would win over the
    # task role in botocore's credential chain).
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "agent-secret")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "agent-key")
    spec = make_spec(
        tmp_path,
        'echo "FOO=$FOO"; echo "SPACED=$SPACED"; echo "PWD=$(pwd)"; env',
        environment={"FOO": "bar", "SPACED": "a b  c"},
        working_directory="/tmp",
    )

    async def body(rt: Runtime) -> tuple[ContainerStatus, str]:
        return await run_to_exit(rt, spec)

    st, out = run(body, runtime_kind)
    assert st.exit_code == 0
    lines = out.splitlines()
    assert "FOO=bar" in lines and "SPACED=a b  c" in lines and "PWD=/tmp" in lines
    assert "AWS_" not in out
    assert "agent-secret" not in out


def test_user_is_switched(runtime_kind: str, tmp_path: Path) -> None:
    if runtime_kind == "process" and os.getuid() != 0:
        pytest.skip("switching user needs root")

    async def body(rt: Runtime) -> tuple[ContainerStatus, str]:
        return await run_to_exit(rt, make_spec(tmp_path, "id -u; id -g", user="65534:65534"))

    st, out = run(body, runtime_kind)
    assert st.exit_code == 0
    assert out.split() == ["65534", "65534"]


def test_ulimits_are_applied(runtime_kind: str, tmp_path: Path) -> None:
    async def body(rt: Runtime) -> tuple[ContainerStatus, str]:
        spec = make_spec(tmp_path, "ulimit -n; ulimit -Hn", ulimits=[Ulimit("nofile", 100, 200)])
        return await run_to_exit(rt, spec)

    st, out = run(body, runtime_kind)
    assert st.exit_code == 0
    assert out.split() == ["100", "200"]


def test_stop_kills_a_container_that_ignores_sigterm_after_the_timeout(
    runtime_kind: str, tmp_path: Path
) -> None:
    script = 'trap "" TERM; echo ready; while true; do sleep 0.1; done'

    async def body(rt: Runtime) -> tuple[ContainerStatus, float]:
        spec = make_spec(tmp_path, script)
        async with started(rt, spec) as handle:
            await until(lambda: _logged(spec, "ready"))
            t0 = time.monotonic()
            await asyncio.wait_for(rt.stop(handle, 1.0), LIMIT)
            took = time.monotonic() - t0
            return await rt.status(handle), took

    st, took = run(body, runtime_kind)
    assert (st.state, st.exit_code) == (ContainerState.EXITED, 137)
    assert st.oom_killed is False and st.reason is None
    assert 0.9 <= took < 5.0


def test_stop_uses_the_specs_stop_timeout_and_sigterm_lets_a_handler_exit(
    runtime_kind: str, tmp_path: Path
) -> None:
    script = 'trap "echo bye; exit 7" TERM; echo ready; while true; do sleep 0.1; done'

    async def body(rt: Runtime) -> tuple[ContainerStatus, float, str]:
        spec = make_spec(tmp_path, script, stop_timeout=10)
        async with started(rt, spec) as handle:
            await until(lambda: _logged(spec, "ready"))
            t0 = time.monotonic()
            await asyncio.wait_for(rt.stop(handle), LIMIT)
            took = time.monotonic() - t0
            st = await asyncio.wait_for(rt.wait(handle), LIMIT)
        assert spec.log_path is not None
        return st, took, Path(spec.log_path).read_text()

    st, took, out = run(body, runtime_kind)
    assert st.exit_code == 7
    assert took < 5.0  # exited on SIGTERM, long before the 10 s stop timeout
    # (the process runtime signals the whole process group, so the shell may also
    # report its `sleep` as Terminated)
    words = out.split()
    assert words[0] == "ready" and words[-1] == "bye"


def test_a_memory_hog_is_killed_with_137_and_the_ecs_oom_reason(
    runtime_kind: str, tmp_path: Path
) -> None:
    # The shell keeps the whole 100 MB output of the command substitution in memory.
    hog = 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'

    async def body(rt: Runtime) -> tuple[ContainerStatus, str]:
        return await run_to_exit(rt, make_spec(tmp_path, hog, memory=32))

    st, out = run(body, runtime_kind)
    assert (st.exit_code, st.oom_killed, st.reason) == (137, True, OOM_REASON)
    assert "survived" not in out


def test_a_health_check_that_passes_turns_healthy(runtime_kind: str, tmp_path: Path) -> None:
    check = HealthCheck(("CMD-SHELL", "test -d /tmp"), interval=1, retries=2)
    assert run(_health_after(tmp_path, check), runtime_kind) is HealthStatus.HEALTHY


def test_a_health_check_that_fails_turns_unhealthy(runtime_kind: str, tmp_path: Path) -> None:
    check = HealthCheck(("CMD", "sh", "-c", "exit 1"), interval=1, timeout=1, retries=1)
    assert run(_health_after(tmp_path, check), runtime_kind) is HealthStatus.UNHEALTHY


def test_a_health_check_that_times_out_is_a_failure(runtime_kind: str, tmp_path: Path) -> None:
    check = HealthCheck(("CMD-SHELL", "sleep 5"), interval=1, timeout=1, retries=1)
    assert run(_health_after(tmp_path, check), runtime_kind) is HealthStatus.UNHEALTHY


def _health_after(tmp_path: Path, check: HealthCheck) -> Callable[[Runtime], Awaitable[Any]]:
    async def body(rt: Runtime) -> HealthStatus:
        spec = make_spec(tmp_path, "sleep 20", health_check=check, stop_timeout=1)
        async with started(rt, spec) as handle:
            assert (await rt.status(handle)).health is HealthStatus.UNKNOWN
            seen: list[HealthStatus] = []

            async def decided() -> bool:
                seen.append((await rt.status(handle)).health)
                return seen[-1] is not HealthStatus.UNKNOWN

            await until(decided, 10.0)
            return seen[-1]

    return body


def test_stats_report_cpu_memory_limit_and_processes(runtime_kind: str, tmp_path: Path) -> None:
    script = (
        "i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; "
        'x=$(head -c 4000000 /dev/zero | tr "\\0" a); echo ready; while :; do sleep 1; done'
    )

    async def body(rt: Runtime) -> None:
        spec = make_spec(tmp_path, script, memory=64, stop_timeout=1)
        async with started(rt, spec) as handle:
            await until(lambda: _logged(spec, "ready"))
            stats = await rt.stats(handle)
            assert stats.memory_limit_bytes == 64 << 20
            assert 1 << 20 < stats.memory_bytes < 64 << 20
            assert 0.0 < stats.cpu_seconds < 30.0
            assert stats.pids >= 1
            assert abs(stats.read_at - time.time()) < 5

    run(body, runtime_kind)


def test_removed_containers_are_gone(runtime_kind: str, tmp_path: Path) -> None:
    async def body(rt: Runtime) -> None:
        spec = make_spec(tmp_path, "sleep 20")
        handle = await rt.create(spec)
        await rt.start(handle)
        assert (await rt.status(handle)).state is ContainerState.RUNNING
        await asyncio.wait_for(rt.remove(handle), LIMIT)
        with pytest.raises(NoSuchContainerError):
            await rt.status(handle)

    run(body, runtime_kind)


def test_pull_of_the_local_image_succeeds(runtime_kind: str) -> None:
    async def body(rt: Runtime) -> None:
        await rt.pull(TEST_IMAGE)

    run(body, runtime_kind)


def test_docker_pull_of_a_missing_image_is_cannot_pull_container_error(docker: str) -> None:
    # A registry on a closed loopback port: the engine tries it and fails.
    image = "127.0.0.1:9/cargobay-test/missing:1.0"

    async def body(rt: Runtime) -> str:
        with pytest.raises(CannotPullContainerError) as err:
            await rt.pull(image)
        return str(err.value)

    message = run(body, docker)
    assert message.startswith(
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): "
        "failed to resolve ref 127.0.0.1:9/cargobay-test/missing:1.0: "
    )


def test_docker_applies_labels_read_only_root_and_limits(docker: str, tmp_path: Path) -> None:
    labels = ecs_labels(
        cluster="default",
        container_name="web",
        task_arn="arn:aws:ecs:us-east-1:000000000000:task/default/abc",
        family="web",
        revision=3,
        docker_labels={"team": "a"},
    )
    spec = make_spec(
        tmp_path,
        "touch /written || echo read-only; sleep 20",
        labels=labels,
        readonly_root_filesystem=True,
        cpu=256,
        memory=64,
        memory_reservation=32,
        network_mode="none",
        stop_timeout=3,
    )

    async def body(rt: Runtime) -> dict[str, Any]:
        assert isinstance(rt, DockerRuntime)
        async with started(rt, spec) as handle:
            await until(lambda: _logged(spec, "read-only"))
            doc: dict[str, Any] = rt.api.inspect_container(handle.id)
            return doc

    doc = run(body, docker)
    assert labels.items() <= doc["Config"]["Labels"].items()
    assert doc["Config"]["StopTimeout"] == 3
    host = doc["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert (host["CpuShares"], host["Memory"], host["MemoryReservation"]) == (
        256,
        64 << 20,
        32 << 20,
    )
    assert host["NetworkMode"] == "none"


async def _logged(spec: ContainerSpec, text: str) -> bool:
    assert spec.log_path is not None
    path = Path(spec.log_path)
    return path.exists() and text in path.read_text()


def test_a_missing_executable_is_cannot_start_container_error(
    runtime_kind: str, tmp_path: Path
) -> None:
    async def body(rt: Runtime) -> tuple[str, ContainerState]:
        spec = make_spec(tmp_path, "unused")
        spec.command = ["no-such-program-xyz", "arg"]
        handle = await rt.create(spec)
        try:
            with pytest.raises(CannotStartContainerError) as err:
                await rt.start(handle)
            return str(err.value), (await rt.status(handle)).state
        finally:
            await rt.remove(handle)

    message, state = run(body, runtime_kind)
    assert message.startswith("CannotStartContainerError: ")
    assert 'exec: "no-such-program-xyz": executable file not found in $PATH' in message
    assert state is ContainerState.CREATED
