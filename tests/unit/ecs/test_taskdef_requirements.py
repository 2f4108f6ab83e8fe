"""compatibilities and requiresAttributes as ECS derives them from a definition."""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs.taskdef_requirements import compatibilities, requires_attributes

Doc = dict[str, Any]
EXEC = "arn:aws:iam::000000000000:role/exec"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"


def names(td: Doc) -> set[str]:
    return {a["name"] for a in requires_attributes(td)}


def one(container: Doc, **task: Any) -> Doc:
    return {
        "family": "f",
        "containerDefinitions": [{"name": "a", "image": "x", **container}],
        **task,
    }


def test_bridge_definition_is_external_and_ec2() -> None:
    """AWS CLI reference, register-task-definition example: ["EXTERNAL", "EC2"]."""
    assert compatibilities(one({}), None, None) == ["EXTERNAL", "EC2"]


def test_fargate_sized_awsvpc_definition_is_ec2_and_fargate() -> None:
    td = one({}, networkMode="awsvpc")
    assert compatibilities(td, 256, 512) == ["EC2", "FARGATE"]
    assert compatibilities(td, 256, 256) == ["EC2"]
    assert compatibilities(td, None, None) == ["EC2"]


def test_fargate_lacking_features_keep_fargate_out() -> None:
    assert compatibilities(one({"privileged": True}, networkMode="awsvpc"), 256, 512) == ["EC2"]
    assert compatibilities(one({"image": ECR}, networkMode="awsvpc"), 256, 512) == ["EC2"]
    ok = one({"image": ECR}, networkMode="awsvpc", executionRoleArn=EXEC)
    assert compatibilities(ok, 256, 512) == ["EC2", "FARGATE"]


def test_efs_keeps_external_out_and_managed_instances_when_asked() -> None:
    td = one({}, volumes=[{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}])
    assert compatibilities(td, None, None) == ["EC2"]
    mi = one({}, requiresCompatibilities=["MANAGED_INSTANCES"])
    assert compatibilities(mi, None, None) == ["EXTERNAL", "EC2", "MANAGED_INSTANCES"]


def test_plain_definition_requires_nothing() -> None:
    """AWS CLI reference, register-task-definition example: no requiresAttributes."""
    assert requires_attributes(one({"cpu": 10, "memory": 10, "command": ["sleep", "360"]})) == []


def test_fargate_web_service_attributes() -> None:
    """As in real DescribeTaskDefinition answers for an awsvpc/awslogs/ECR/health-check task."""
    td = one(
        {
            "image": ECR,
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
            "healthCheck": {"command": ["CMD-SHELL", "true"]},
        },
        networkMode="awsvpc",
        taskRoleArn="arn:aws:iam::000000000000:role/task",
        executionRoleArn=EXEC,
    )
    assert names(td) == {
        "com.amazonaws.ecs.capability.logging-driver.awslogs",
        "com.amazonaws.ecs.capability.docker-remote-api.1.24",
        "ecs.capability.execution-role-awslogs",
        "com.amazonaws.ecs.capability.ecr-auth",
        "com.amazonaws.ecs.capability.docker-remote-api.1.19",
        "com.amazonaws.ecs.capability.task-iam-role",
        "ecs.capability.container-health-check",
        "ecs.capability.execution-role-ecr-pull",
        "com.amazonaws.ecs.capability.docker-remote-api.1.18",
        "ecs.capability.task-eni",
    }


def test_each_feature_and_its_attribute() -> None:
    cases: list[tuple[Doc, str]] = [
        (one({"memoryReservation": 64}), "com.amazonaws.ecs.capability.docker-remote-api.1.21"),
        (one({"privileged": True}), "com.amazonaws.ecs.capability.privileged-container"),
        (one({"dockerLabels": {"a": "b"}}), "com.amazonaws.ecs.capability.docker-remote-api.1.18"),
        (
            one({"linuxParameters": {"initProcessEnabled": True}}),
            "com.amazonaws.ecs.capability.docker-remote-api.1.25",
        ),
        (
            one({"secrets": [{"name": "A", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/a"}]}),
            "ecs.capability.secrets.ssm.environment-variables",
        ),
        (
            one(
                {
                    "secrets": [
                        {"name": "A", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:a"}
                    ]
                }
            ),
            "ecs.capability.secrets.asm.environment-variables",
        ),
        (
            one(
                {
                    "logConfiguration": {
                        "logDriver": "splunk",
                        "secretOptions": [{"name": "t", "valueFrom": "p"}],
                    }
                }
            ),
            "ecs.capability.secrets.ssm.bootstrap.log-driver",
        ),
        (one({"dependsOn": []}), "ecs.capability.container-ordering"),
        (one({"stopTimeout": 5}), "ecs.capability.container-ordering"),
        (
            one({"firelensConfiguration": {"type": "fluentbit"}}),
            "ecs.capability.firelens.fluentbit",
        ),
        (
            one(
                {
                    "firelensConfiguration": {
                        "type": "fluentd",
                        "options": {"config-file-type": "s3"},
                    }
                }
            ),
            "ecs.capability.firelens.options.config.s3",
        ),
        (
            one({"environmentFiles": [{"value": "arn:aws:s3:::b/e.env", "type": "s3"}]}),
            "ecs.capability.env-files.s3",
        ),
        (
            one({"repositoryCredentials": {"credentialsParameter": "c"}}),
            "ecs.capability.private-registry-authentication.secretsmanager",
        ),
        (
            one({"portMappings": [{"containerPortRange": "1-2"}]}),
            "ecs.capability.container-port-range",
        ),
        (one({"restartPolicy": {"enabled": True}}), "ecs.capability.container-restart-policy"),
        (one({}, pidMode="task"), "ecs.capability.pid-ipc-namespace-sharing"),
        (one({}, proxyConfiguration={"containerName": "a"}), "ecs.capability.aws-appmesh"),
        (
            one({}, networkMode="host", taskRoleArn="r"),
            "com.amazonaws.ecs.capability.task-iam-role-network-host",
        ),
        (
            one({}, volumes=[{"name": "v", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]),
            "ecs.capability.efs",
        ),
        (
            one(
                {},
                volumes=[
                    {
                        "name": "v",
                        "efsVolumeConfiguration": {
                            "fileSystemId": "fs-1",
                            "transitEncryption": "ENABLED",
                        },
                    }
                ],
            ),
            "ecs.capability.efsAuth",
        ),
        (
            one({}, volumes=[{"name": "v", "dockerVolumeConfiguration": {"driver": "rexray"}}]),
            "ecs.capability.docker-plugin.rexray",
        ),
        (
            one({}, volumes=[{"name": "v", "fsxWindowsFileServerVolumeConfiguration": {}}]),
            "ecs.capability.fsxWindowsFileServer",
        ),
    ]
    for td, attribute in cases:
        assert attribute in names(td), (td, attribute)


def test_attributes_are_listed_once() -> None:
    td = {
        "family": "f",
        "containerDefinitions": [
            {"name": "a", "image": "x", "memoryReservation": 1},
            {"name": "b", "image": "x", "memoryReservation": 1},
        ],
    }
    assert requires_attributes(td) == [
        {"name": "com.amazonaws.ecs.capability.docker-remote-api.1.21"}
    ]
