"""How the Docker runtime translates specs, inspect documents, stats and pull failures."""

from __future__ import annotations

from typing import Any

import pytest

from cargobay.agent.runtime.base import (
    OOM_REASON,
    CannotCreateContainerError,
    ContainerSpec,
    ContainerState,
    HealthCheck,
    HealthStatus,
    Ulimit,
)
from cargobay.agent.runtime.docker import (
    create_arguments,
    normalize_reference,
    pull_failure,
    stats_from_docker,
    status_from_inspect,
)


def spec(**kw: Any) -> ContainerSpec:
    return ContainerSpec(task_id="t", name="c", image="busybox", **kw)


def test_create_arguments_map_the_ecs_container_definition() -> None:
    config, host = create_arguments(
        spec(
            entry_point=["sh", "-c"],
            command=["echo hi"],
            environment={"A": "1", "B": "x=y"},
            working_directory="/srv",
            user="1000:1000",
            cpu=512,
            memory=128,
            memory_reservation=64,
            ulimits=[Ulimit("nofile", 1024, 4096)],
            health_check=HealthCheck(
                ("CMD-SHELL", "true"), interval=10, timeout=2.5, retries=4, start_period=30
            ),
            stop_timeout=45,
            readonly_root_filesystem=True,
            labels={"k": "v"},
            network_mode="none",
        )
    )
    assert config["image"] == "busybox" and config["name"] == "c"
    assert config["entrypoint"] == ["sh", "-c"] and config["command"] == ["echo hi"]
    assert config["environment"] == ["A=1", "B=x=y"]
    assert (config["working_dir"], config["user"]) == ("/srv", "1000:1000")
    assert config["labels"] == {"k": "v"} and config["stop_timeout"] == 45
    assert config["healthcheck"] == {
        "Test": ["CMD-SHELL", "true"],
        "Interval": 10_000_000_000,
        "Timeout": 2_500_000_000,
        "Retries": 4,
        "StartPeriod": 30_000_000_000,
    }
    assert host == {
        "network_mode": "none",
        "cpu_shares": 512,
        "read_only": True,
        "ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 4096}],
        "mem_limit": 128 << 20,
        "mem_reservation": 64 << 20,
    }


def test_unset_fields_are_left_to_the_image() -> None:
    config, host = create_arguments(spec())
    assert config["entrypoint"] is None and config["command"] is None
    assert config["working_dir"] is None and config["user"] is None
    assert config["healthcheck"] is None and config["stop_timeout"] == 30
    assert "mem_limit" not in host and "mem_reservation" not in host
    assert host["ulimits"] is None and host["network_mode"] == "host"


@pytest.mark.parametrize(("cpu", "shares"), [(0, 2), (1, 2), (2, 2), (1024, 1024)])
def test_cpu_below_two_is_passed_as_two_shares_as_the_ecs_agent_does(cpu: int, shares: int) -> None:
    assert create_arguments(spec(cpu=cpu))[1]["cpu_shares"] == shares


@pytest.mark.parametrize("mode", ["bridge", "awsvpc", "container:x"])
def test_only_host_and_none_network_modes(mode: str) -> None:
    with pytest.raises(CannotCreateContainerError, match="network mode"):
        create_arguments(spec(network_mode=mode))


def inspect(**state: Any) -> dict[str, Any]:
    return {"State": {"Status": "exited", "ExitCode": 0, "OOMKilled": False, **state}}


def test_an_oom_killed_container_gets_137_and_the_ecs_reason() -> None:
    st = status_from_inspect(inspect(ExitCode=137, OOMKilled=True))
    assert (st.state, st.exit_code, st.oom_killed, st.reason) == (
        ContainerState.EXITED,
        137,
        True,
        OOM_REASON,
    )


def test_running_and_created_have_no_exit_code() -> None:
    assert status_from_inspect(inspect(Status="running")).exit_code is None
    assert status_from_inspect(inspect(Status="running")).state is ContainerState.RUNNING
    assert status_from_inspect(inspect(Status="created")).state is ContainerState.CREATED
    assert status_from_inspect(inspect(Status="dead", ExitCode=2)).exit_code == 2


@pytest.mark.parametrize(
    ("docker", "ecs"),
    [
        ("healthy", HealthStatus.HEALTHY),
        ("unhealthy", HealthStatus.UNHEALTHY),
        ("starting", HealthStatus.UNKNOWN),
        (None, HealthStatus.UNKNOWN),
    ],
)
def test_docker_health_maps_to_ecs_health(docker: str | None, ecs: HealthStatus) -> None:
    doc = inspect(Status="running", Health={"Status": docker} if docker else None)
    assert status_from_inspect(doc).health is ecs


def test_a_start_error_becomes_the_reason() -> None:
    st = status_from_inspect(inspect(ExitCode=127, Error='exec: "nope": not found'))
    assert st.reason == 'CannotStartContainerError: exec: "nope": not found'


def test_stats_cgroup_v1_subtract_inactive_page_cache() -> None:
    doc = {
        "cpu_stats": {"cpu_usage": {"total_usage": 2_500_000_000}},
        "memory_stats": {
            "usage": 10_000_000,
            "limit": 64 << 20,
            "stats": {"total_inactive_file": 4_000_000},
        },
        "pids_stats": {"current": 3},
    }
    st = stats_from_docker(doc, now=100.0)
    assert (st.cpu_seconds, st.memory_bytes, st.memory_limit_bytes, st.pids, st.read_at) == (
        2.5,
        6_000_000,
        64 << 20,
        3,
        100.0,
    )


def test_stats_cgroup_v2_and_an_exited_container() -> None:
    doc = {"memory_stats": {"usage": 5000, "limit": 9, "stats": {"inactive_file": 1000}}}
    assert stats_from_docker(doc, 0.0).memory_bytes == 4000
    empty = stats_from_docker({"memory_stats": {}, "pids_stats": {}}, 0.0)
    assert (empty.cpu_seconds, empty.memory_bytes, empty.pids) == (0.0, 0, 0)


@pytest.mark.parametrize(
    ("image", "ref"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("me/app", "docker.io/me/app:latest"),
        ("localhost/app", "localhost/app:latest"),
        ("127.0.0.1:5000/a/b:v1", "127.0.0.1:5000/a/b:v1"),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:v42",
        ),
        ("app@sha256:abc", "docker.io/library/app@sha256:abc"),
    ],
)
def test_references_are_normalized_as_containerd_names_them(image: str, ref: str) -> None:
    assert normalize_reference(image) == ref


def test_pull_failure_of_an_unknown_image_reads_like_ecs() -> None:
    detail = pull_failure(
        "nosuch", "Error response from daemon: manifest for nosuch:latest not found"
    )
    assert detail == (
        "pull image manifest has been retried 1 time(s): failed to resolve ref "
        "docker.io/library/nosuch:latest: docker.io/library/nosuch:latest: not found"
    )


def test_pull_failure_keeps_the_engines_words_for_other_causes() -> None:
    detail = pull_failure(
        "127.0.0.1:9/x:1",
        'Error response from daemon: Get "http://127.0.0.1:9/v2/": connection refused',
    )
    assert detail.endswith(
        'failed to resolve ref 127.0.0.1:9/x:1: Get "http://127.0.0.1:9/v2/": connection refused'
    )
