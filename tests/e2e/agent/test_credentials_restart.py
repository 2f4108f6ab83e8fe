"""Task-role credentials survive an agent restart.

The agent keeps each task's credentials id and token (not the keys) in its state file,
mode 0600 as the ECS agent keeps its own; on Docker a restarted agent adopts the task's
container and serves the same ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` with the same
``AWS_CONTAINER_AUTHORIZATION_TOKEN``, with fresh keys for the task's role.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.agent.conftest import Env, remove_containers
from tests.e2e.iam.conftest import policy, session_client
from tests.support import client

TRUST_ECS_TASKS = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}
WAIT_FOREVER = 'echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_CONTAINER_AUTHORIZATION_TOKEN"; ' \
               'trap "exit 0" TERM; while true; do sleep 0.1; done'
WGET = ('wget -q -O - --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" '
        '"$AWS_CONTAINER_CREDENTIALS_FULL_URI"')


def _role(url: str) -> str:
    iam = client("iam", url)
    name = f"restart-{uuid.uuid4().hex[:8]}"
    doc = policy(TRUST_ECS_TASKS)
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"])


def _env(url: str, tmp_path: Path, runtime: str) -> Env:
    e = Env(url=url, cluster=f"c-{uuid.uuid4().hex[:8]}", runtime=runtime,
            data_dir=tmp_path / "agent", ecs=client("ecs", url))
    e.start_agent()
    return e


def _saved(env: Env, arn: str) -> dict[str, Any]:
    path = env.data_dir / "agent-state.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    doc = json.loads(text)
    found = [t for t in doc["tasks"] if t["taskArn"] == arn]
    return {"text": text, "credentials": found[0].get("credentials") if found else None}


def test_the_state_file_keeps_the_credentials_id_and_token_but_no_key(
    plane_url: str, tmp_path: Path
) -> None:
    env = _env(plane_url, tmp_path, "process")
    try:
        role = _role(plane_url)
        arn = env.run(env.container("app", WAIT_FOREVER), taskRoleArn=role)
        env.wait(arn, "RUNNING")
        uri, token = env.until(lambda: env.log(arn, "app").strip(), what="env logged").split()
        saved = env.until(lambda: (s := _saved(env, arn))["credentials"] and s,
                          what="credentials saved")
        assert saved["credentials"] == {"id": uri.rsplit("/", 1)[-1], "token": token,
                                        "roleArn": role}
        assert "SecretAccessKey" not in saved["text"] and "ASIA" not in saved["text"]
        env.ecs.stop_task(cluster=env.cluster, task=arn)
        env.wait(arn)
        # released with the task, then forgotten (the file is saved once per interval)
        env.until(lambda: _saved(env, arn)["credentials"] is None, what="credentials dropped")
    finally:
        assert env.agent is not None
        env.agent.stop()


def _exec(container_id: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "exec", container_id, "sh", "-c", script],
                          capture_output=True, text=True, timeout=30)


def test_a_docker_task_reads_its_credentials_with_busybox_wget_across_an_agent_restart(
    plane_url: str, tmp_path: Path, docker_engine: bool
) -> None:
    if not docker_engine:
        pytest.skip("no Docker engine answers (run .ci/docker-setup.sh)")
    env = _env(plane_url, tmp_path, "docker")
    try:
        role = _role(plane_url)
        arn = env.run(env.container("app", WAIT_FOREVER, stopTimeout=2), taskRoleArn=role)
        task = env.wait(arn, "RUNNING")
        cid = env.container_of(task, "app")["runtimeId"]
        before = _exec(cid, WGET)
        assert before.returncode == 0, before.stderr
        first = json.loads(before.stdout)
        assert first["RoleArn"] == role and first["AccessKeyId"].startswith("ASIA")

        assert env.agent is not None
        env.agent.stop()
        env.start_agent()

        def after() -> dict[str, Any] | None:
            out = _exec(cid, WGET)
            return dict(json.loads(out.stdout)) if out.returncode == 0 else None

        second = env.until(after, what="credentials served again after the restart")
        assert second["RoleArn"] == role
        assert second["AccessKeyId"] != first["AccessKeyId"]  # fresh keys, same endpoint
        # the fresh keys work: the task's identity, as the control plane sees it
        sts = session_client("sts", plane_url, {**second, "SessionToken": second["Token"]})
        task_id = arn.rsplit("/", 1)[-1]
        assert sts.get_caller_identity()["Arn"].endswith(f"/{task_id}")

        env.ecs.stop_task(cluster=env.cluster, task=arn, reason="bye")
        assert env.wait(arn)["stopCode"] == "UserInitiated"
    finally:
        if env.agent is not None:
            env.agent.stop()
        remove_containers(env.cluster)
