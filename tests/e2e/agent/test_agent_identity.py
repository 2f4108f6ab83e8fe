"""The agent's own identity (ECS Developer Guide, "Amazon ECS container instance IAM
role"): a ``cargobay agent`` signs with the credentials botocore's chain gives it
(here: an assumed role's session keys in its environment), and its ECS calls and its
long poll are authorized like anyone's.  A real control plane with auth enforced; the
agent is a real ``cargobay agent`` process on the process runtime.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from cargobay.agent.channel import ChannelError, PollClient
from cargobay.agent.credentials import AgentCredentials
from tests.e2e.agent.conftest import TEST_IMAGE, WAIT
from tests.e2e.iam.conftest import ACCOUNT, policy
from tests.support import client

EC2_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


class AgentProcess:
    """``cargobay agent`` in a child process signing with ``creds`` (from its env)."""

    def __init__(self, url: str, cluster: str, data_dir: Path, creds: dict[str, str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "CARGOBAY_LOG_LEVEL": "info"}
        if creds.get("SessionToken"):
            env["AWS_SESSION_TOKEN"] = creds["SessionToken"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cargobay", "agent", "--endpoint", url, "--cluster", cluster,
             "--runtime", "process", "--data-dir", str(data_dir)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        assert self.proc.stderr is not None
        os.set_blocking(self.proc.stderr.fileno(), False)
        self.stderr = b""

    def read_stderr(self) -> str:
        assert self.proc.stderr is not None
        for _ in range(1000):
            try:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.stderr += chunk
        return self.stderr.decode(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)


def until(check: Any, what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout}s"
        time.sleep(0.05)


@pytest.fixture
def setup(plane_url: str) -> Iterator[tuple[Any, str, list[AgentProcess]]]:
    ecs = client("ecs", plane_url)
    cluster = f"c-{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=cluster)
    agents: list[AgentProcess] = []
    yield ecs, cluster, agents
    for a in agents:
        a.stop()


def _instance_role_session(url: str) -> dict[str, str]:
    """A role trusting EC2 (and the account, so the test can assume it) with
    AmazonEC2ContainerServiceforEC2Role attached: its session keys."""
    iam = client("iam", url)
    name = f"ecsInstanceRole-{uuid.uuid4().hex[:8]}"
    trust = {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "ec2.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=EC2_ROLE_POLICY)
    creds: dict[str, str] = client("sts", url).assume_role(
        RoleArn=arn, RoleSessionName="i-0123456789abcdef0"
    )["Credentials"]
    return creds


def _user_without_ecs(url: str) -> dict[str, str]:
    iam = client("iam", url)
    name = f"no-ecs-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def _poll_as(url: str, creds: dict[str, str], instance_arn: str) -> dict[str, Any]:
    session = botocore.session.Session()
    session.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                            creds.get("SessionToken"))
    poller = PollClient(url, "us-east-1", AgentCredentials(session, "test"))

    async def go() -> dict[str, Any]:
        try:
            return await poller.poll({"containerInstanceArn": instance_arn, "wait": 0}, 10)
        finally:
            poller.close()

    return asyncio.run(go())


def test_an_agent_with_instance_role_session_keys_registers_polls_and_runs_a_task(
    plane_url: str, setup: tuple[Any, str, list[AgentProcess]], tmp_path: Path
) -> None:
    ecs, cluster, agents = setup
    creds = _instance_role_session(plane_url)
    agent = AgentProcess(plane_url, cluster, tmp_path / "agent", creds)
    agents.append(agent)

    def registered() -> list[str]:
        assert agent.proc.poll() is None, agent.read_stderr()
        return list(ecs.list_container_instances(cluster=cluster)["containerInstanceArns"])

    instance_arn = until(registered, "instance registered")[0]
    inst = until(
        lambda: [i for i in ecs.describe_container_instances(
            cluster=cluster, containerInstances=[instance_arn])["containerInstances"]
            if i["agentConnected"]],
        "agent connected",
    )[0]
    assert inst["status"] == "ACTIVE"
    stderr = agent.read_stderr()
    assert f"signing as {creds['AccessKeyId']} (credentials from env)" in stderr

    family = f"fam-{uuid.uuid4().hex[:8]}"
    ecs.register_task_definition(family=family, networkMode="host", containerDefinitions=[
        {"name": "main", "image": TEST_IMAGE, "memory": 64,
         "command": ["sh", "-c", "sleep 1; echo done"]}])
    task_arn = ecs.run_task(cluster=cluster, taskDefinition=family)["tasks"][0]["taskArn"]

    def status_seen(wanted: str) -> Any:
        task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
        return task if task["lastStatus"] == wanted or task["lastStatus"] == "STOPPED" else None

    assert until(lambda: status_seen("RUNNING"), "task RUNNING")["lastStatus"] == "RUNNING"
    stopped = until(lambda: status_seen("STOPPED"), "task STOPPED")
    assert stopped["containers"][0]["exitCode"] == 0
    assert "AccessDenied" not in agent.read_stderr()

    # the poll is authorized: the role's session may poll; a user without ecs:Poll may not
    assert "tasks" in _poll_as(plane_url, creds, instance_arn)
    with pytest.raises(ChannelError) as info:
        _poll_as(plane_url, _user_without_ecs(plane_url), instance_arn)
    assert info.value.code == "AccessDeniedException"
    assert "ecs:Poll" in info.value.message
    assert agent.stop() == 0


def test_an_agent_whose_keys_have_no_ecs_permission_is_refused_and_retries(
    plane_url: str, setup: tuple[Any, str, list[AgentProcess]], tmp_path: Path
) -> None:
    ecs, cluster, agents = setup
    creds = _user_without_ecs(plane_url)
    agent = AgentProcess(plane_url, cluster, tmp_path / "agent", creds)
    agents.append(agent)
    until(lambda: agent.read_stderr().count("AccessDeniedException") >= 2,
          "AccessDenied logged twice (refused, retried)")
    assert agent.proc.poll() is None  # still retrying
    assert "ecs:RegisterContainerInstance" in agent.stderr.decode()
    assert ecs.list_container_instances(cluster=cluster)["containerInstanceArns"] == []
    assert agent.stop() == 0
