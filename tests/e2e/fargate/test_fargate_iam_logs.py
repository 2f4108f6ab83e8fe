"""A Fargate task gets what an EC2 task gets from its agent: its task role's
credentials (the SDK's container provider, caller identity assumed-role/ROLE/TASK_ID)
and the awslogs driver (its output in CloudWatch Logs, sent with the execution role)."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import pytest

from tests.e2e.agent.test_task_iam import TRUST_ECS_TASKS, _role
from tests.e2e.fargate.conftest import TEST_IMAGE, until
from tests.e2e.fargate.test_fargate_tasks import NETWORK
from tests.support import client

ALLOW_LOGS = {"Effect": "Allow", "Resource": "*",
              "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}
WHO_AM_I = (
    "import boto3, os; "
    "print('arn=' + boto3.client('sts').get_caller_identity()['Arn']); "
    "print('ip=' + os.environ['CARGOBAY_TASK_IPV4'])"
)


@pytest.mark.parametrize("runtime_kind", ["process"])
def test_a_fargate_task_has_its_role_and_its_logs(fecs: Any, fargate_url: str) -> None:
    ecs = fecs
    task_role = _role(fargate_url, "fg-task", TRUST_ECS_TASKS)
    exec_role = _role(fargate_url, "fg-exec", TRUST_ECS_TASKS, ALLOW_LOGS)
    group = f"/ecs/fg-{uuid.uuid4().hex[:8]}"
    td = ecs.register_task_definition(
        family="fg-iam", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512", taskRoleArn=task_role, executionRoleArn=exec_role,
        containerDefinitions=[{
            "name": "app", "image": TEST_IMAGE, "command": [sys.executable, "-c", WHO_AM_I],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": group, "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "fg", "awslogs-create-group": "true"}},
        }],
    )["taskDefinition"]["taskDefinitionArn"]
    task = ecs.run_task(cluster=ecs.cluster, taskDefinition=td, launchType="FARGATE",
                        networkConfiguration=NETWORK)["tasks"][0]
    arn, task_id = task["taskArn"], task["taskArn"].rsplit("/", 1)[-1]
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    done = until(lambda: (d := ecs.describe_tasks(cluster=ecs.cluster, tasks=[arn])[
        "tasks"][0])["lastStatus"] == "STOPPED" and d)
    assert done["containers"][0]["exitCode"] == 0, done
    logs = client("logs", fargate_url)

    def lines() -> list[str]:
        try:
            got = logs.get_log_events(logGroupName=group, logStreamName=f"fg/app/{task_id}",
                                      startFromHead=True)
        except logs.exceptions.ResourceNotFoundException:
            return []
        return [e["message"] for e in got["events"]]

    events = until(lambda: len(lines()) >= 2 and lines())
    role_name = task_role.rsplit("/", 1)[-1]
    assert events == [f"arn=arn:aws:sts::000000000000:assumed-role/{role_name}/{task_id}",
                      f"ip={ip}"]
