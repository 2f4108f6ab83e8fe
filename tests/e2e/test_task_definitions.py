"""ECS task definitions through boto3 and the AWS CLI against a real server.

RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions,
ListTaskDefinitionFamilies, DeregisterTaskDefinition and DeleteTaskDefinitions: every
field comes back as sent plus ECS's defaults, revisions count up and are never reused,
lists page and sort as ECS documents, and every refusal carries ECS's code, status and
message and changes nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import aws_cli, client

ACCOUNT = "000000000000"
REGION = "us-east-1"
FULL = Path(__file__).resolve().parents[1] / "data" / "taskdef_full.json"
SIMPLE = [{"name": "app", "image": "busybox", "memory": 32}]
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
NOT_DESCRIBABLE = "Unable to describe task definition."


def td_arn(family: str, revision: int, region: str = REGION) -> str:
    return f"arn:aws:ecs:{region}:{ACCOUNT}:task-definition/{family}:{revision}"


def full_request() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(FULL.read_text())
    return doc


def register(ecs: Any, family: str = "web", **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"family": family, "containerDefinitions": SIMPLE, **extra}
    out: dict[str, Any] = ecs.register_task_definition(**params)["taskDefinition"]
    return out


def everything(ecs: Any) -> dict[str, Any]:
    """All task definition state a client can see, to prove a refused call changed nothing."""
    seen: dict[str, Any] = {}
    for status in ("ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"):
        pages = ecs.get_paginator("list_task_definitions").paginate(status=status)
        seen[status] = [a for p in pages for a in p["taskDefinitionArns"]]
    for status in ("ALL", "ACTIVE", "INACTIVE"):
        pages = ecs.get_paginator("list_task_definition_families").paginate(status=status)
        seen["families-" + status] = [f for p in pages for f in p["families"]]
    seen["described"] = [
        ecs.describe_task_definition(taskDefinition=a, include=["TAGS"])
        for a in seen["ACTIVE"] + seen["INACTIVE"]
    ]
    for d in seen["described"]:
        d.pop("ResponseMetadata")
    return seen


def refused(ecs: Any, call: Callable[[], Any], code: str, message: str | None = None) -> str:
    """``call`` fails with ``code`` (and ``message``), HTTP 400, and changes nothing."""
    before = everything(ecs)
    with pytest.raises(ClientError) as info:
        call()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    text: str = resp["Error"]["Message"]
    if message is not None:
        assert text == message
    assert everything(ecs) == before
    return text


# -- full field fidelity -----------------------------------------------------------------


def expected_containers(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What ECS answers for the fixture's containers: ``app`` sets every field already;
    ``sidecar`` gets cpu 0 and the empty lists (AWS CLI reference examples)."""
    app, sidecar = copy.deepcopy(sent)
    sidecar.update(
        cpu=0, portMappings=[], environment=[], mountPoints=[], volumesFrom=[], systemControls=[]
    )
    return [app, sidecar]


FULL_ATTRIBUTES = {
    "com.amazonaws.ecs.capability.task-iam-role",
    "ecs.capability.pid-ipc-namespace-sharing",
    "ecs.capability.aws-appmesh",
    "com.amazonaws.ecs.capability.logging-driver.awsfirelens",
    "com.amazonaws.ecs.capability.docker-remote-api.1.18",
    "com.amazonaws.ecs.capability.docker-remote-api.1.19",
    "com.amazonaws.ecs.capability.docker-remote-api.1.21",
    "com.amazonaws.ecs.capability.docker-remote-api.1.24",
    "com.amazonaws.ecs.capability.docker-remote-api.1.25",
    "ecs.capability.secrets.ssm.bootstrap.log-driver",
    "com.amazonaws.ecs.capability.ecr-auth",
    "ecs.capability.execution-role-ecr-pull",
    "ecs.capability.private-registry-authentication.secretsmanager",
    "ecs.capability.container-health-check",
    "ecs.capability.secrets.asm.environment-variables",
    "ecs.capability.secrets.ssm.environment-variables",
    "ecs.capability.container-ordering",
    "ecs.capability.firelens.fluentbit",
    "ecs.capability.firelens.options.config.file",
    "ecs.capability.env-files.s3",
    "ecs.capability.container-port-range",
    "ecs.capability.container-restart-policy",
    "ecs.capability.efs",
    "ecs.capability.efsAuth",
    "ecs.capability.fsxWindowsFileServer",
}


def check_full(td: dict[str, Any], revision: int) -> None:
    sent = full_request()
    tags = sent.pop("tags")
    assert tags
    server_set = {
        "taskDefinitionArn": td_arn("full-fidelity", revision),
        "revision": revision,
        "status": "ACTIVE",
        "compatibilities": ["EC2"],  # EFS, FSx and Elastic Inference rule out EXTERNAL
        "registeredBy": f"arn:aws:iam::{ACCOUNT}:root",
    }
    got = dict(td)
    registered_at = got.pop("registeredAt")
    attributes = got.pop("requiresAttributes")
    assert {a["name"] for a in attributes} == FULL_ATTRIBUTES
    assert len(attributes) == len(FULL_ATTRIBUTES)
    expected = {**sent, **server_set}
    expected["containerDefinitions"] = expected_containers(sent["containerDefinitions"])
    assert got == expected
    if isinstance(registered_at, (int, float)):  # the v1 CLI prints epoch seconds
        registered_at = datetime.fromtimestamp(registered_at, UTC)
    assert abs(registered_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_full_definition_round_trips_through_the_cli(url: str) -> None:
    out = aws_cli(url, "ecs", "register-task-definition", "--cli-input-json", f"file://{FULL}")
    answer = json.loads(out.stdout)
    check_full(answer["taskDefinition"], 1)
    assert answer["tags"] == full_request()["tags"]
    described = json.loads(
        aws_cli(
            url,
            "ecs",
            "describe-task-definition",
            "--task-definition",
            "full-fidelity",
            "--include",
            "TAGS",
        ).stdout
    )
    check_full(described["taskDefinition"], 1)
    assert described["tags"] == full_request()["tags"]


def test_full_definition_round_trips_through_boto3(ecs: Any) -> None:
    answer = ecs.register_task_definition(**full_request())
    check_full(answer["taskDefinition"], 1)
    assert answer["tags"] == full_request()["tags"]
    for ref in ("full-fidelity", "full-fidelity:1", td_arn("full-fidelity", 1)):
        described = ecs.describe_task_definition(taskDefinition=ref)
        check_full(described["taskDefinition"], 1)
        assert "tags" not in described
    again = ecs.register_task_definition(**full_request())
    check_full(again["taskDefinition"], 2)


def test_defaults_ecs_fills_in(ecs: Any) -> None:
    """The AWS CLI reference's register-task-definition example (sleep360)."""
    td = register(
        ecs,
        "sleep360",
        containerDefinitions=[
            {
                "name": "sleep",
                "image": "busybox",
                "cpu": 10,
                "command": ["sleep", "360"],
                "memory": 10,
                "essential": True,
            }
        ],
    )
    assert td["containerDefinitions"] == [
        {
            "name": "sleep",
            "image": "busybox",
            "cpu": 10,
            "memory": 10,
            "portMappings": [],
            "essential": True,
            "command": ["sleep", "360"],
            "environment": [],
            "mountPoints": [],
            "volumesFrom": [],
            "systemControls": [],
        }
    ]
    assert td["status"] == "ACTIVE" and td["revision"] == 1
    assert td["volumes"] == [] and td["placementConstraints"] == []
    assert td["compatibilities"] == ["EXTERNAL", "EC2"]
    for absent in (
        "networkMode",
        "requiresCompatibilities",
        "cpu",
        "memory",
        "requiresAttributes",
        "deregisteredAt",
        "taskRoleArn",
    ):
        assert absent not in td


def test_port_mapping_defaults_follow_the_network_mode(ecs: Any) -> None:
    ports = [{"containerPort": 80}, {"containerPort": 53, "protocol": "udp"}]

    def mappings(mode: str) -> Any:
        c = [{"name": "a", "image": "nginx", "memory": 64, "portMappings": ports}]
        return register(ecs, f"ports-{mode}", networkMode=mode, containerDefinitions=c)[
            "containerDefinitions"
        ][0]["portMappings"]

    assert mappings("awsvpc") == [
        {"containerPort": 80, "hostPort": 80, "protocol": "tcp"},
        {"containerPort": 53, "hostPort": 53, "protocol": "udp"},
    ]
    assert mappings("host") == mappings("awsvpc")
    assert mappings("bridge") == [
        {"containerPort": 80, "hostPort": 0, "protocol": "tcp"},
        {"containerPort": 53, "hostPort": 0, "protocol": "udp"},
    ]


def test_fargate_definition(ecs: Any) -> None:
    """Task size in vCPU/GB is stored as units/MiB; the definition is EC2 and FARGATE
    compatible ("Troubleshoot ... invalid CPU or memory errors")."""
    td = register(
        ecs,
        "fargate",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=".25 vCPU",
        memory="0.5GB",
        executionRoleArn=EXEC_ROLE,
        containerDefinitions=[
            {
                "name": "web",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
                "portMappings": [{"containerPort": 8080}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/web"},
                },
            }
        ],
    )
    assert (td["cpu"], td["memory"]) == ("256", "512")
    assert td["compatibilities"] == ["EC2", "FARGATE"]
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert td["containerDefinitions"][0]["portMappings"] == [
        {"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}
    ]
    assert {a["name"] for a in td["requiresAttributes"]} == {
        "ecs.capability.task-eni",
        "com.amazonaws.ecs.capability.logging-driver.awslogs",
        "com.amazonaws.ecs.capability.docker-remote-api.1.18",
        "com.amazonaws.ecs.capability.docker-remote-api.1.19",
        "ecs.capability.execution-role-awslogs",
        "com.amazonaws.ecs.capability.ecr-auth",
        "ecs.capability.execution-role-ecr-pull",
    }
    ec2 = register(ecs, "sized", cpu="2 vCPU", memory="4 GB")
    assert (ec2["cpu"], ec2["memory"]) == ("2048", "4096")
    assert ec2["compatibilities"] == ["EXTERNAL", "EC2"]


# -- revisions and the life of a definition ------------------------------------------------


def test_revisions_count_up_and_are_never_reused(ecs: Any) -> None:
    assert [register(ecs)["revision"] for _ in range(3)] == [1, 2, 3]
    assert register(ecs, "other")["revision"] == 1
    ecs.deregister_task_definition(taskDefinition="web:3")
    assert register(ecs)["revision"] == 4
    ecs.deregister_task_definition(taskDefinition="web:4")
    out = ecs.delete_task_definitions(taskDefinitions=["web:4", "web:3"])
    assert [t["revision"] for t in out["taskDefinitions"]] == [4, 3]
    assert register(ecs)["revision"] == 5


def test_describe_by_family_revision_or_arn(ecs: Any) -> None:
    for _ in range(3):
        register(ecs)
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 3
    assert ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]["revision"] == 2
    by_arn = ecs.describe_task_definition(taskDefinition=td_arn("web", 1))["taskDefinition"]
    assert by_arn["taskDefinitionArn"] == td_arn("web", 1)
    ecs.deregister_task_definition(taskDefinition="web:3")
    # a bare family means the latest ACTIVE revision
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 2
    # INACTIVE revisions stay describable
    inactive = ecs.describe_task_definition(taskDefinition="web:3")["taskDefinition"]
    assert inactive["status"] == "INACTIVE"


def test_tags_belong_to_each_revision(ecs: Any) -> None:
    first = register(ecs, tags=[{"key": "rev", "value": "1"}])
    register(ecs)
    tags = ecs.describe_task_definition(taskDefinition="web:1", include=["TAGS"])["tags"]
    assert tags == [{"key": "rev", "value": "1"}]
    assert ecs.describe_task_definition(taskDefinition="web:2", include=["TAGS"])["tags"] == []
    listed = ecs.list_tags_for_resource(resourceArn=first["taskDefinitionArn"])["tags"]
    assert listed == [{"key": "rev", "value": "1"}]


def test_deregister_marks_inactive(ecs: Any) -> None:
    register(ecs)
    register(ecs)
    td = ecs.deregister_task_definition(taskDefinition=td_arn("web", 1))["taskDefinition"]
    assert td["status"] == "INACTIVE" and td["revision"] == 1
    assert isinstance(td["deregisteredAt"], datetime)
    assert ecs.list_task_definitions()["taskDefinitionArns"] == [td_arn("web", 2)]
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == [td_arn("web", 1)]
    ecs.deregister_task_definition(taskDefinition="web:2")
    assert ecs.list_task_definition_families(status="ACTIVE")["families"] == []
    assert ecs.list_task_definition_families(status="INACTIVE")["families"] == ["web"]
    # registering again brings the family back to the ACTIVE list
    register(ecs)
    assert ecs.list_task_definition_families(status="ACTIVE")["families"] == ["web"]


def test_delete_flow(ecs: Any) -> None:
    """DeleteTaskDefinitions: only INACTIVE revisions; each comes back DELETE_IN_PROGRESS
    and is then gone; per-item failures for the rest."""
    register(ecs)
    register(ecs)
    ecs.deregister_task_definition(taskDefinition="web:1")
    out = ecs.delete_task_definitions(taskDefinitions=["web:1", "web:2", "web:9", "nope:1"])
    assert [t["taskDefinitionArn"] for t in out["taskDefinitions"]] == [td_arn("web", 1)]
    deleted = out["taskDefinitions"][0]
    assert deleted["status"] == "DELETE_IN_PROGRESS"
    assert isinstance(deleted["deleteRequestedAt"], datetime)
    assert isinstance(deleted["deregisteredAt"], datetime)
    assert out["failures"] == [
        {
            "arn": td_arn("web", 2),
            "reason": "The specified task definition is still in ACTIVE "
            "status. Please deregister the target and try again.",
        },
        {
            "arn": "web:9",
            "reason": "The specified task definition does not exist. Specify a "
            "valid account, family, revision and try again.",
        },
        {
            "arn": "nope:1",
            "reason": "The specified task definition does not exist. Specify a "
            "valid account, family, revision and try again.",
        },
    ]
    refused(
        ecs,
        lambda: ecs.describe_task_definition(taskDefinition="web:1"),
        "ClientException",
        NOT_DESCRIBABLE,
    )
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == []
    assert ecs.list_task_definitions(status="DELETE_IN_PROGRESS")["taskDefinitionArns"] == []
    ecs.deregister_task_definition(taskDefinition="web:2")
    ecs.delete_task_definitions(taskDefinitions=[td_arn("web", 2)])
    # every revision gone: the family is no longer listed, but its numbers are kept
    assert ecs.list_task_definition_families()["families"] == []
    assert register(ecs)["revision"] == 3


def test_delete_through_the_cli(url: str) -> None:
    ecs = client("ecs", url)
    register(ecs, "cli")
    aws_cli(url, "ecs", "deregister-task-definition", "--task-definition", "cli:1")
    out = json.loads(
        aws_cli(url, "ecs", "delete-task-definitions", "--task-definitions", "cli:1").stdout
    )
    assert out["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS"
    assert out["failures"] == []
    failed = aws_cli(
        url, "ecs", "describe-task-definition", "--task-definition", "cli:1", check=False
    )
    assert failed.returncode != 0
    assert "(ClientException)" in failed.stderr and NOT_DESCRIBABLE in failed.stderr


# -- listing -------------------------------------------------------------------------------


def test_list_pages_in_both_orders(ecs: Any) -> None:
    """25 revisions in 3 families, paged 10 at a time: ASC is family then revision; DESC
    reverses both (ListTaskDefinitions API reference, ``sort``)."""
    counts = {"alpha": 8, "beta": 12, "gamma": 5}
    for family, n in counts.items():
        for _ in range(n):
            register(ecs, family)
    everything_asc = [td_arn(f, r) for f, n in counts.items() for r in range(1, n + 1)]
    for sort, want in (("ASC", everything_asc), ("DESC", everything_asc[::-1])):
        got: list[str] = []
        token: str | None = None
        sizes = []
        for _ in range(10):
            kwargs: dict[str, Any] = {"maxResults": 10, "sort": sort}
            if token:
                kwargs["nextToken"] = token
            page = ecs.list_task_definitions(**kwargs)
            got += page["taskDefinitionArns"]
            sizes.append(len(page["taskDefinitionArns"]))
            token = page.get("nextToken")
            if token is None:
                break
        assert got == want, sort
        assert sizes == [10, 10, 5]
    assert ecs.list_task_definitions()["taskDefinitionArns"] == everything_asc
    assert "nextToken" not in ecs.list_task_definitions()
    beta = ecs.list_task_definitions(familyPrefix="beta", sort="DESC", maxResults=3)
    assert beta["taskDefinitionArns"] == [td_arn("beta", r) for r in (12, 11, 10)]


def test_family_prefix_is_the_whole_family_for_revisions(ecs: Any) -> None:
    register(ecs, "web")
    register(ecs, "web-api")
    register(ecs, "webhooks")
    assert ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"] == [td_arn("web", 1)]
    assert ecs.list_task_definitions(familyPrefix="we")["taskDefinitionArns"] == []
    families = ecs.list_task_definition_families(familyPrefix="web")["families"]
    assert sorted(families) == ["web", "web-api", "webhooks"]
    assert ecs.list_task_definition_families(familyPrefix="webh")["families"] == ["webhooks"]


def test_families_page_and_filter_by_status(ecs: Any) -> None:
    names = [f"fam{i:02d}" for i in range(25)]
    for name in names:
        register(ecs, name)
    for name in names[::5]:
        ecs.deregister_task_definition(taskDefinition=f"{name}:1")
    pages = list(
        ecs.get_paginator("list_task_definition_families").paginate(
            PaginationConfig={"PageSize": 10}
        )
    )
    assert [len(p["families"]) for p in pages] == [10, 10, 5]
    assert [f for p in pages for f in p["families"]] == names
    active = ecs.list_task_definition_families(status="ACTIVE")["families"]
    inactive = ecs.list_task_definition_families(status="INACTIVE")["families"]
    assert inactive == names[::5]
    assert active == [n for n in names if n not in inactive]
    assert ecs.list_task_definition_families(status="ALL")["families"] == names


def test_cli_pages_through_every_revision(url: str) -> None:
    ecs = client("ecs", url)
    for _ in range(25):
        register(ecs, "paged")
    out = json.loads(
        aws_cli(
            url, "ecs", "list-task-definitions", "--family-prefix", "paged", "--page-size", "10"
        ).stdout
    )
    assert out["taskDefinitionArns"] == [td_arn("paged", r) for r in range(1, 26)]


# -- refusals: code, status, message, and nothing changed ----------------------------------


def container(**extra: Any) -> dict[str, Any]:
    return {"name": "app", "image": "nginx", "memory": 64, **extra}


FARGATE = {
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
}

REGISTER_REFUSALS: list[tuple[str, dict[str, Any], str | None]] = [
    (
        "fargate pair",
        {**FARGATE, "memory": "4096", "containerDefinitions": [container()]},
        "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon "
        "ECS documentation for the valid values.",
    ),
    (
        "fargate awslogs role",
        {**FARGATE, "containerDefinitions": [container(logConfiguration={"logDriver": "awslogs"})]},
        "Fargate requires task definition to have execution role ARN to support log driver "
        "awslogs.",
    ),
    (
        "fargate ecr role",
        {
            **FARGATE,
            "containerDefinitions": [
                container(image="123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1")
            ],
        },
        "Fargate requires task definition to have execution role ARN to support ECR images.",
    ),
    (
        "fargate bridge",
        {**FARGATE, "networkMode": "bridge", "containerDefinitions": [container()]},
        "Fargate only supports network mode \u2018awsvpc\u2019.",
    ),
    (
        "fargate no cpu",
        {**{k: v for k, v in FARGATE.items() if k != "cpu"}, "containerDefinitions": [container()]},
        "Fargate requires that 'cpu' be defined at the task level.",
    ),
    (
        "fargate ipc",
        {**FARGATE, "ipcMode": "host", "containerDefinitions": [container()]},
        "Tasks using the Fargate launch type do not support ipcMode.",
    ),
    (
        "no memory",
        {"containerDefinitions": [{"name": "x", "image": "nginx"}]},
        "Invalid setting for container 'x'. At least one of 'memory' or 'memoryReservation' must "
        "be specified.",
    ),
    (
        "reservation over memory",
        {"containerDefinitions": [container(memoryReservation=128)]},
        "Invalid 'memory' setting for container 'app'. 'memory' must be greater than or equal to "
        "'memoryReservation'.",
    ),
    (
        "container over task",
        {"memory": "32", "containerDefinitions": [container()]},
        "The 'memory' setting for container 'app' is greater than for the task.",
    ),
    (
        "cpu sum",
        {"cpu": "256", "containerDefinitions": [container(cpu=200), container(name="b", cpu=100)]},
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.",
    ),
    (
        "duplicate names",
        {"containerDefinitions": [container(), container()]},
        "Container names must be unique within a Task Definition.",
    ),
    (
        "no essential",
        {"containerDefinitions": [container(essential=False)]},
        "Task definition doesn't have any essential container.",
    ),
    (
        "bad family",
        {"family": "my.family", "containerDefinitions": [container()]},
        "Family contains invalid characters.",
    ),
    (
        "blank family",
        {"family": "", "containerDefinitions": [container()]},
        "Family can not be blank.",
    ),
    (
        "long family",
        {"family": "f" * 256, "containerDefinitions": [container()]},
        "Family name cannot be longer than 255 characters.",
    ),
    (
        "eleven containers",
        {"containerDefinitions": [container(name=f"c{i}") for i in range(11)]},
        "Too many containers.",
    ),
    ("no containers", {"containerDefinitions": []}, "Container list cannot be empty."),
    (
        "no name",
        {"containerDefinitions": [{"image": "nginx", "memory": 8}]},
        "Container.name should not be null or empty.",
    ),
    (
        "no image",
        {"containerDefinitions": [{"name": "a", "memory": 8}]},
        "Container.image should not be null or empty.",
    ),
    (
        "awsvpc ports",
        {
            "networkMode": "awsvpc",
            "containerDefinitions": [
                container(portMappings=[{"containerPort": 80, "hostPort": 8080}])
            ],
        },
        "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
    ),
    (
        "port missing",
        {"containerDefinitions": [container(portMappings=[{"hostPort": 80}])]},
        "Invalid 'containerPort' setting for container 'app'.",
    ),
    (
        "unknown dependency",
        {
            "containerDefinitions": [
                container(dependsOn=[{"containerName": "db", "condition": "HEALTHY"}])
            ]
        },
        "Cannot depend on container + 'db' because it does not exist",
    ),
    (
        "essential success dependency",
        {
            "containerDefinitions": [
                container(dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
                container(name="init"),
            ]
        },
        "A dependency container with SUCCESS or COMPLETE condition cannot be an essential "
        "container",
    ),
    (
        "awsvpc links",
        {"networkMode": "awsvpc", "containerDefinitions": [container(links=["db"])]},
        "Links are not supported when networkMode=awsvpc.",
    ),
    (
        "awsvpc hostname",
        {"networkMode": "awsvpc", "containerDefinitions": [container(hostname="h")]},
        "hostname is not supported on container when networkMode=awsvpc.",
    ),
    (
        "unknown volume",
        {
            "containerDefinitions": [
                container(mountPoints=[{"sourceVolume": "data", "containerPath": "/data"}])
            ]
        },
        "Unknown volume 'data'.",
    ),
    (
        "ec2 cpu range",
        {"cpu": "64", "containerDefinitions": [container()]},
        "Invalid 'cpu' setting for task.",
    ),
    ("too big", {"containerDefinitions": [container(command=["x" * 70000])]}, None),
]


@pytest.mark.parametrize(
    ("case", "params", "message"), REGISTER_REFUSALS, ids=[c[0] for c in REGISTER_REFUSALS]
)
def test_register_refusals(
    ecs: Any, case: str, params: dict[str, Any], message: str | None
) -> None:
    register(ecs, "kept")  # something that must survive each refusal
    call = {"family": "refused", **params}
    text = refused(ecs, lambda: ecs.register_task_definition(**call), "ClientException", message)
    if case == "too big":
        assert text.startswith("Actual length: '") and text.endswith(
            "'. Max allowed length is '65536' bytes."
        )
    # the refused family got no revision number: its first registration is still 1
    if call["family"] == "refused":
        assert register(ecs, "refused")["revision"] == 1


def test_invalid_task_size_text_and_tags(ecs: Any) -> None:
    refused(
        ecs,
        lambda: register(ecs, cpu="fast"),
        "InvalidParameterException",
        "Invalid 'cpu' setting for task.",
    )
    refused(
        ecs,
        lambda: register(ecs, memory="lots"),
        "InvalidParameterException",
        "Invalid 'memory' setting for task.",
    )
    refused(
        ecs,
        lambda: register(ecs, tags=[{"key": "aws:owner", "value": "me"}]),
        "InvalidParameterException",
        "Tag keys cannot start with the reserved prefix 'aws:'.",
    )
    many = [{"key": f"k{i}", "value": "v"} for i in range(51)]  # the model allows 50
    refused(ecs, lambda: register(ecs, tags=many), "ValidationException")
    assert register(ecs)["revision"] == 1


def test_describe_refusals(ecs: Any) -> None:
    register(ecs)
    for ref in (
        "ghost",
        "web:2",
        "web:0",
        td_arn("web", 1, region="eu-west-1"),
        f"arn:aws:ecs:{REGION}:111111111111:task-definition/web:1",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/web",
        "arn:nonsense",
    ):
        refused(
            ecs,
            lambda r=ref: ecs.describe_task_definition(taskDefinition=r),
            "ClientException",
            NOT_DESCRIBABLE,
        )
    refused(
        ecs,
        lambda: ecs.describe_task_definition(taskDefinition="web:latest"),
        "InvalidParameterException",
        "Invalid revision number. Number: latest",
    )


def test_deregister_refusals(ecs: Any) -> None:
    register(ecs)
    ecs.deregister_task_definition(taskDefinition="web:1")
    register(ecs)
    refused(
        ecs,
        lambda: ecs.deregister_task_definition(taskDefinition="web"),
        "ClientException",
        "Revision is missing.",
    )
    refused(
        ecs,
        lambda: ecs.deregister_task_definition(taskDefinition="web:7"),
        "ClientException",
        "The specified task definition does not exist.",
    )
    refused(
        ecs,
        lambda: ecs.deregister_task_definition(taskDefinition="web:1"),
        "ClientException",
        "TaskDefinition is inactive",
    )
    refused(
        ecs,
        lambda: ecs.deregister_task_definition(taskDefinition="web:x"),
        "InvalidParameterException",
        "Invalid revision number. Number: x",
    )


def test_list_and_delete_refusals(ecs: Any) -> None:
    register(ecs)
    ecs.deregister_task_definition(taskDefinition="web:1")
    for bad in (0, 101):
        refused(
            ecs, lambda n=bad: ecs.list_task_definitions(maxResults=n), "InvalidParameterException"
        )
        refused(
            ecs,
            lambda n=bad: ecs.list_task_definition_families(maxResults=n),
            "InvalidParameterException",
        )
    refused(
        ecs,
        lambda: ecs.list_task_definitions(nextToken="%%%not-a-token"),
        "InvalidParameterException",
        "Invalid nextToken.",
    )
    refused(
        ecs, lambda: ecs.delete_task_definitions(taskDefinitions=[]), "InvalidParameterException"
    )
    refused(
        ecs,
        lambda: ecs.delete_task_definitions(
            taskDefinitions=["web:1"] + [f"web:{i}" for i in range(2, 12)]
        ),
        "InvalidParameterException",
    )


def test_list_order_is_lexicographic_by_family_name(ecs: Any) -> None:
    """'By default (ASC) task definitions are listed lexicographically by family name and in
    ascending numerical order by revision' (ListTaskDefinitions, ``sort``): "web" comes
    before "web-api" although '-' sorts before the '/' of a store key."""
    families = ["web-api", "web", "web2", "web_x", "Web"]
    for name in families:
        for _ in range(2):
            register(ecs, name)
    want = [td_arn(f, r) for f in sorted(families) for r in (1, 2)]
    for sort, expected in (("ASC", want), ("DESC", want[::-1])):
        pages = ecs.get_paginator("list_task_definitions").paginate(
            sort=sort, PaginationConfig={"PageSize": 3}
        )
        got = [a for p in pages for a in p["taskDefinitionArns"]]
        assert got == expected, sort
