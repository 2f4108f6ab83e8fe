"""A Docker Fargate task keeps its task-role credentials endpoint across a ``kill -9``
of the server: the fleet keeps the credentials id and token (not the keys) in the
task's record (``ecs.fargate_runs``), adopts the container after the restart and serves
the same URI and token with fresh keys; busybox wget inside the container reads them."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.fargate.conftest import docker_ready, until
from tests.e2e.fargate.test_fargate_tasks import NETWORK, register
from tests.e2e.iam.conftest import policy
from tests.support import ServerProcess, client

TRUST_ECS_TASKS = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}
WGET = ('wget -q -O - --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" '
        '"$AWS_CONTAINER_CREDENTIALS_FULL_URI"')


def _status(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0])


def _read(container_id: str) -> dict[str, Any] | None:
    """The container's credentials, read by busybox wget inside it (None: refused)."""
    out = subprocess.run(["docker", "exec", container_id, "sh", "-c", WGET],
                         capture_output=True, text=True, timeout=30)
    return dict(json.loads(out.stdout)) if out.returncode == 0 else None


def test_a_docker_fargate_task_keeps_its_credentials_endpoint_after_kill_9(
    tmp_path: Path,
) -> None:
    if not docker_ready():
        pytest.skip("no Docker engine answers")
    env = {"CARGOBAY_FARGATE_RUNTIME": "docker"}
    srv = ServerProcess(data_dir=str(tmp_path), env=env).start()
    cid = ""
    try:
        iam = client("iam", srv.url)
        role = str(iam.create_role(RoleName=f"fg-{uuid.uuid4().hex[:8]}",
                                   AssumeRolePolicyDocument=policy(TRUST_ECS_TASKS))
                   ["Role"]["Arn"])
        ecs = client("ecs", srv.url)
        ecs.create_cluster(clusterName="default")
        td = register(ecs, "fg-creds", ["sleep", "600"], taskRoleArn=role)
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE",
                           networkConfiguration=NETWORK)["tasks"][0]["taskArn"]
        task = until(lambda: (d := _status(ecs, arn))["lastStatus"] == "RUNNING" and d)
        cid = task["containers"][0]["runtimeId"]
        first = _read(cid)
        assert first is not None and first["RoleArn"] == role
        assert srv.proc is not None
        srv.proc.kill()
        srv.proc.wait()
    finally:
        srv.stop()
    again = ServerProcess(data_dir=str(tmp_path), env=env).start()
    try:
        ecs = client("ecs", again.url)
        second = until(lambda: _read(cid))
        assert second["RoleArn"] == role
        assert second["AccessKeyId"] != first["AccessKeyId"]  # fresh keys, same endpoint
        assert _status(ecs, arn)["lastStatus"] == "RUNNING"
        ecs.stop_task(task=arn, reason="after the restart")
        until(lambda: _status(ecs, arn)["lastStatus"] == "STOPPED")
        assert _read(cid) is None  # released, and the container is gone
    finally:
        again.stop()
        if cid:
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True, timeout=60)
