"""``cargobay agent --instance-id``: the id an Auto Scaling instance's agent reports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cargobay.agent.agent import AgentConfig
from cargobay.agent.registration import INSTANCE_ID_ENV
from tests.e2e.agent.harness import AgentThread
from tests.support import client


def test_a_malformed_instance_id_is_refused() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cargobay", "agent", "--endpoint", "http://127.0.0.1:9",
         "--runtime", "process", "--instance-id", "not-an-id"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert "--instance-id not-an-id" in out.stderr


def test_the_instance_id_is_the_container_instances_ec2_instance_id(
        url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(INSTANCE_ID_ENV, "i-0123456789abcdef0")
    agent = AgentThread(AgentConfig(endpoint=url, cluster="ids", runtime="process",
                                    attributes={"ecs.instance-type": "m5.large"},
                                    credential_chain=False)).start()
    try:
        ecs = client("ecs", url)
        (ci,) = ecs.describe_container_instances(
            cluster="ids", containerInstances=[agent.instance_arn])["containerInstances"]
        assert ci["ec2InstanceId"] == "i-0123456789abcdef0"
        attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
        assert attrs["ecs.instance-type"] == "m5.large"
    finally:
        agent.stop()
