"""ECS's RegisterTaskDefinition checks, one rule at a time (messages as ECS answers)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cargobay.services.ecs.errors import ClientException
from cargobay.services.ecs.taskdef_checks import (
    check_family,
    check_size,
    check_task_definition,
    fargate_problems,
)

Doc = dict[str, Any]


def ec2(**extra: Any) -> Doc:
    td: Doc = {
        "family": "web",
        "containerDefinitions": [{"name": "a", "image": "nginx", "memory": 128}],
    }
    td.update(extra)
    return td


def fargate(**extra: Any) -> Doc:
    td: Doc = {
        "family": "web",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{"name": "a", "image": "nginx"}],
    }
    td.update(extra)
    return td


def refused(td: Doc, cpu: int | None = None, memory: int | None = None) -> str:
    with pytest.raises(ClientException) as info:
        check_task_definition(td, cpu, memory)
    assert info.value.code == "ClientException" and info.value.status == 400
    return info.value.message


def test_valid_definitions_pass() -> None:
    check_task_definition(ec2(), None, None)
    check_task_definition(fargate(), 256, 512)


@pytest.mark.parametrize(
    ("family", "message"),
    [
        ("", "Family can not be blank."),
        ("bad name", "Family contains invalid characters."),
        ("a:b", "Family contains invalid characters."),
        ("x" * 256, "Family name cannot be longer than 255 characters."),
    ],
)
def test_family_rules(family: str, message: str) -> None:
    with pytest.raises(ClientException, match=message):
        check_family(family)


def test_family_of_255_letters_numbers_hyphens_underscores() -> None:
    check_family("A-b_9" * 51)


def test_container_count_is_one_to_ten() -> None:
    assert refused(ec2(containerDefinitions=[])) == "Container list cannot be empty."
    many = [{"name": f"c{i}", "image": "x", "memory": 8} for i in range(11)]
    assert refused(ec2(containerDefinitions=many)) == "Too many containers."
    check_task_definition(ec2(containerDefinitions=many[:10]), None, None)


def test_container_name_and_image() -> None:
    assert refused(ec2(containerDefinitions=[{"image": "x", "memory": 8}])) == (
        "Container.name should not be null or empty."
    )
    assert refused(ec2(containerDefinitions=[{"name": "a b", "image": "x", "memory": 8}])) == (
        "Container.name contains invalid characters."
    )
    assert refused(ec2(containerDefinitions=[{"name": "a", "memory": 8}])) == (
        "Container.image should not be null or empty."
    )
    twins = [{"name": "a", "image": "x", "memory": 8}, {"name": "a", "image": "y", "memory": 8}]
    assert refused(ec2(containerDefinitions=twins)) == (
        "Container names must be unique within a Task Definition."
    )


def test_memory_needed_without_task_memory() -> None:
    td = ec2(containerDefinitions=[{"name": "web", "image": "x"}])
    assert refused(td) == (
        "Invalid setting for container 'web'. At least one of 'memory' or "
        "'memoryReservation' must be specified."
    )
    check_task_definition(
        ec2(memory="512", containerDefinitions=[{"name": "web", "image": "x"}]), None, 512
    )
    check_task_definition(
        ec2(containerDefinitions=[{"name": "w", "image": "x", "memoryReservation": 64}]), None, None
    )


def test_memory_reservation_above_memory() -> None:
    td = ec2(
        containerDefinitions=[{"name": "w", "image": "x", "memory": 64, "memoryReservation": 128}]
    )
    assert "'memory' must be greater than or equal to 'memoryReservation'" in refused(td)
    check_task_definition(
        ec2(
            containerDefinitions=[
                {"name": "w", "image": "x", "memory": 64, "memoryReservation": 64}
            ]
        ),
        None,
        None,
    )


def test_container_resources_against_the_task() -> None:
    big = ec2(containerDefinitions=[{"name": "w", "image": "x", "memory": 1024}])
    assert (
        refused(big, None, 512)
        == "The 'memory' setting for container 'w' is greater than for the task."
    )
    cpus = ec2(
        containerDefinitions=[
            {"name": "a", "image": "x", "cpu": 200},
            {"name": "b", "image": "x", "cpu": 100},
        ]
    )
    assert refused(cpus, 256, 512) == (
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."
    )
    reserved = ec2(
        containerDefinitions=[
            {"name": "a", "image": "x", "memoryReservation": 300},
            {"name": "b", "image": "x", "memoryReservation": 300},
        ]
    )
    assert refused(reserved, None, 512) == (
        "The sum of all container 'memoryReservation' values cannot be greater than the value "
        "of the task 'memory'."
    )


def test_ec2_task_cpu_range() -> None:
    assert refused(ec2(), 64, None) == "Invalid 'cpu' setting for task."
    assert refused(ec2(), 200000, None) == "Invalid 'cpu' setting for task."
    check_task_definition(ec2(), 128, None)


def test_at_least_one_essential_container() -> None:
    td = ec2(containerDefinitions=[{"name": "a", "image": "x", "memory": 8, "essential": False}])
    assert refused(td) == "Task definition doesn't have any essential container."


def test_awsvpc_ports_must_match_and_no_links_or_hostname() -> None:
    def c(**kw: Any) -> Doc:
        return {"name": "a", "image": "x", "memory": 8, **kw}

    ports = ec2(
        networkMode="awsvpc",
        containerDefinitions=[c(portMappings=[{"containerPort": 80, "hostPort": 8080}])],
    )
    assert refused(ports) == (
        "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
    )
    host = ec2(
        networkMode="host",
        containerDefinitions=[c(portMappings=[{"containerPort": 80, "hostPort": 81}])],
    )
    assert refused(host) == (
        "When networkMode=host, the host ports and container ports in port mappings must match."
    )
    check_task_definition(
        ec2(containerDefinitions=[c(portMappings=[{"containerPort": 80, "hostPort": 81}])]),
        None,
        None,
    )
    links = ec2(networkMode="awsvpc", containerDefinitions=[c(links=["b"])])
    assert refused(links) == "Links are not supported when networkMode=awsvpc."
    hostname = ec2(networkMode="awsvpc", containerDefinitions=[c(hostname="h")])
    assert refused(hostname) == "hostname is not supported on container when networkMode=awsvpc."
    no_port = ec2(containerDefinitions=[c(portMappings=[{"hostPort": 80}])])
    assert refused(no_port) == "Invalid 'containerPort' setting for container 'a'."
    check_task_definition(
        ec2(containerDefinitions=[c(portMappings=[{"containerPortRange": "1-2"}])]), None, None
    )


def test_depends_on_names_a_container_of_the_definition() -> None:
    td = ec2(
        containerDefinitions=[
            {
                "name": "a",
                "image": "x",
                "memory": 8,
                "dependsOn": [{"containerName": "ghost", "condition": "START"}],
            }
        ]
    )
    assert refused(td) == "Cannot depend on container + 'ghost' because it does not exist"


def test_complete_or_success_dependency_cannot_be_essential() -> None:
    containers = [
        {
            "name": "app",
            "image": "x",
            "memory": 8,
            "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}],
        },
        {"name": "init", "image": "x", "memory": 8},
    ]
    assert refused(ec2(containerDefinitions=containers)) == (
        "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"
    )
    containers[1]["essential"] = False
    check_task_definition(ec2(containerDefinitions=containers), None, None)


def test_mount_points_name_a_volume() -> None:
    c = {
        "name": "a",
        "image": "x",
        "memory": 8,
        "mountPoints": [{"sourceVolume": "data", "containerPath": "/d"}],
    }
    assert refused(ec2(containerDefinitions=[c])) == "Unknown volume 'data'."
    check_task_definition(ec2(containerDefinitions=[c], volumes=[{"name": "data"}]), None, None)


def test_fargate_rules() -> None:
    assert (
        refused(fargate(networkMode="bridge"), 256, 512)
        == "Fargate only supports network mode \u2018awsvpc\u2019."
    )
    assert (
        refused(fargate(), None, 512) == "Fargate requires that 'cpu' be defined at the task level."
    )
    assert (
        refused(fargate(), 256, None)
        == "Fargate requires that 'memory' be defined at the task level."
    )
    assert refused(fargate(), 512, 512) == (
        "No Fargate configuration exists for given values: 512 CPU, 512 memory. See the Amazon "
        "ECS documentation for the valid values."
    )
    assert (
        refused(fargate(ipcMode="host"), 256, 512)
        == "Tasks using the Fargate launch type do not support ipcMode."
    )
    assert refused(fargate(pidMode="host"), 256, 512) == (
        "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value "
        "for pidMode is 'task'."
    )
    check_task_definition(fargate(pidMode="task"), 256, 512)


def test_fargate_execution_role_for_awslogs_and_ecr() -> None:
    logs = fargate(
        containerDefinitions=[
            {"name": "a", "image": "x", "logConfiguration": {"logDriver": "awslogs"}}
        ]
    )
    assert refused(logs, 256, 512) == (
        "Fargate requires task definition to have execution role ARN to support log driver awslogs."
    )
    ecr = fargate(
        containerDefinitions=[
            {"name": "a", "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"}
        ]
    )
    assert refused(ecr, 256, 512) == (
        "Fargate requires task definition to have execution role ARN to support ECR images."
    )
    check_task_definition(
        copy.deepcopy(logs) | {"executionRoleArn": "arn:aws:iam::1:role/e"}, 256, 512
    )


def test_fargate_problems_lists_every_reason() -> None:
    td = fargate(networkMode="bridge", ipcMode="host")
    assert len(fargate_problems(td, None, None)) == 4
    assert fargate_problems(fargate(), 256, 512) == []


def test_definition_size_limit() -> None:
    small = ec2()
    check_size(small)
    big = ec2(
        containerDefinitions=[{"name": "a", "image": "x", "memory": 8, "command": ["x" * 70000]}]
    )
    with pytest.raises(
        ClientException, match=r"^Actual length: '\d+'. Max allowed length is '65536' bytes.$"
    ):
        check_size(big)
