"""Task definition + overrides → ContainerSpec, as the ECS agent builds a container."""

from __future__ import annotations

import asyncio
import re

import pytest

from cargobay.agent.container_spec import SpecContext, build_spec, docker_name, start_order
from cargobay.agent.env_files import EnvFileError, load_env_files, parse_env_file
from tests.unit.agent.fakes import assignment, container

CTX = SpecContext(region="eu-west-1", metadata_uri="http://127.0.0.1:9/v4/x", log_path="/l")


def test_environment_precedence_files_definition_override_then_agent() -> None:
    task = assignment(
        container(
            "app",
            environment=[{"name": "A", "value": "def"}, {"name": "AWS_REGION", "value": "mine"}],
        ),
        overrides={
            "containerOverrides": [{"name": "app", "environment": [{"name": "B", "value": "ovr"}]}]
        },
    )
    spec = build_spec(
        task,
        task.container_definitions[0],
        CTX,
        engine_name="e",
        file_vars={"A": "file", "C": "file"},
    )
    env = spec.environment
    assert (env["A"], env["B"], env["C"]) == ("def", "ovr", "file")
    assert env["AWS_REGION"] == "mine"  # the task's own value wins
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_ECS_EC2"
    assert (
        env["ECS_CONTAINER_METADATA_URI_V4"]
        == env["ECS_CONTAINER_METADATA_URI"]
        == CTX.metadata_uri
    )
    assert not any(k.startswith(("AWS_ACCESS", "AWS_SECRET", "AWS_SESSION")) for k in env)


def test_fields_map_like_the_ecs_agent() -> None:
    task = assignment(
        container(
            "app",
            entryPoint=["sh", "-c"],
            command=["old"],
            cpu=256,
            memory=128,
            memoryReservation=64,
            workingDirectory="/srv",
            user="1000",
            ulimits=[{"name": "nofile", "softLimit": 10, "hardLimit": 20}],
            portMappings=[{"containerPort": 8080}],
            healthCheck={"command": ["CMD", "true"], "interval": 2, "retries": 1},
            readonlyRootFilesystem=True,
            dockerLabels={"team": "a"},
        ),
        overrides={"containerOverrides": [{"name": "app", "command": ["new"], "memory": 256}]},
    )
    spec = build_spec(task, task.container_definitions[0], CTX, engine_name="ecs-x")
    assert spec.argv == ["sh", "-c", "new"]
    assert (spec.cpu, spec.memory, spec.memory_reservation) == (256, 256, 64)
    assert spec.working_directory == "/srv" and spec.user == "1000"
    assert spec.ulimits[0].name == "nofile" and spec.ulimits[0].hard == 20
    assert spec.port_mappings[0].host_port == 8080  # host mode: the container's port
    assert spec.health_check is not None and spec.health_check.interval == 2
    assert spec.stop_timeout == 30.0  # ECS_CONTAINER_STOP_TIMEOUT default
    assert spec.readonly_root_filesystem and spec.network_mode == "host"
    assert spec.labels["team"] == "a"
    assert spec.labels["com.amazonaws.ecs.task-definition-family"] == "fam"
    assert spec.labels["com.amazonaws.ecs.task-definition-version"] == "3"
    assert spec.labels["com.amazonaws.ecs.container-name"] == "app"
    assert spec.labels["com.amazonaws.ecs.cluster"] == "default"
    assert spec.name == "ecs-x" and spec.log_path == "/l"


def test_bridge_runs_on_the_host_network_and_none_stays_none() -> None:
    for mode, expected in (("bridge", "host"), ("awsvpc", "host"), ("none", "none")):
        task = assignment(container("app"))
        task.task_definition["networkMode"] = mode
        assert (
            build_spec(task, task.container_definitions[0], CTX, engine_name="e").network_mode
            == expected
        )


def test_docker_names_look_like_the_ecs_agents() -> None:
    name = docker_name("web", 7, "app_1")
    assert re.fullmatch(r"ecs-web-7-app_1-[0-9a-f]{20}", name)
    assert docker_name("web", 7, "app_1") != name


def test_start_order_puts_dependencies_first_and_survives_cycles() -> None:
    defs = [
        container("web", dependsOn=[{"containerName": "db"}]),
        container("db"),
        container("x", dependsOn=[{"containerName": "y"}]),
        container("y", dependsOn=[{"containerName": "x"}]),
    ]
    order = start_order(defs)
    assert order.index("db") < order.index("web") and sorted(order) == ["db", "web", "x", "y"]


def test_env_files_parse_and_load_in_order() -> None:
    assert parse_env_file("# c\n\nA=1\nB = x=y\nEMPTY=\nBARE\n") == {
        "A": "1",
        "B": " x=y",
        "EMPTY": "",
        "BARE": "",
    }
    files = {"arn:aws:s3:::b/one.env": "A=1\nB=1", "arn:aws:s3:::b/two.env": "B=2"}

    async def fetch(arn: str) -> str:
        return files[arn]

    got = asyncio.run(load_env_files([{"type": "s3", "value": a} for a in files], fetch))
    assert got == {"A": "1", "B": "2"}


def test_an_env_file_that_cannot_be_had_is_a_resource_initialization_error() -> None:
    async def fetch(arn: str) -> str:
        raise OSError("NoSuchKey")

    with pytest.raises(EnvFileError, match=r"^ResourceInitializationError: .*NoSuchKey"):
        asyncio.run(load_env_files([{"type": "s3", "value": "arn:aws:s3:::b/k.env"}], fetch))
