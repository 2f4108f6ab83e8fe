"""Fixtures for the agent's end-to-end tests: a control plane, an agent per test.

One ``cargobay server`` (a child process, short agent timeouts: CARGOBAY_AGENT_TIMEOUT=2,
CARGOBAY_AGENT_TASK_TIMEOUT=3) serves the whole suite; each test gets its own cluster
with one agent (in a thread of the test process, on the runtime under test) registered
in it, and a boto3 ECS client.  The Docker runtime's
tests run whenever an engine answers; with ``CARGOBAY_REQUIRE_DOCKER=1`` they fail
instead of skipping when none does (see tests/e2e/runtime/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.agent import AgentConfig
from cargobay.agent.runtime.docker import engine_answers
from tests.e2e.agent.harness import AgentThread
from tests.support import ServerProcess, client

TEST_IMAGE = "cargobay-test/busybox:latest"
ROOT = Path(__file__).resolve().parents[3]
WAIT = 20.0  # no task in this suite may take longer to reach a status (seconds)
#: the control plane's agent timeouts for this suite (seconds)
AGENT_ENV = {"CARGOBAY_AGENT_TIMEOUT": "2", "CARGOBAY_AGENT_TASK_TIMEOUT": "3"}


@pytest.fixture(scope="session")
def docker_engine() -> bool:
    if not engine_answers():
        if os.environ.get("CARGOBAY_REQUIRE_DOCKER") == "1":
            pytest.fail("CARGOBAY_REQUIRE_DOCKER=1 but no Docker engine answers")
        return False
    subprocess.run(
        ["bash", str(ROOT / "tests/images/build.sh")], check=True, timeout=300, capture_output=True
    )
    return True


@pytest.fixture(params=["process", "docker"])
def runtime_kind(request: pytest.FixtureRequest, docker_engine: bool) -> str:
    kind = str(request.param)
    if kind == "docker" and not docker_engine:
        pytest.skip("no Docker engine answers (run .ci/docker-setup.sh)")
    return kind


@pytest.fixture(scope="session")
def plane_url() -> Iterator[str]:
    srv = ServerProcess(env=AGENT_ENV).start()
    try:
        yield srv.url
    finally:
        srv.stop()


@dataclass
class Env:
    """One test's cluster, agent and client."""

    url: str
    cluster: str
    runtime: str
    data_dir: Path
    ecs: Any
    agent: AgentThread | None = None
    families: list[str] = field(default_factory=list)

    def start_agent(self, **kw: Any) -> AgentThread:
        config = AgentConfig(
            endpoint=self.url,
            cluster=self.cluster,
            runtime=self.runtime,
            data_dir=str(self.data_dir),
            **kw,
        )
        self.agent = AgentThread(config).start()
        return self.agent

    def container(self, name: str, script: str, **kw: Any) -> dict[str, Any]:
        return {
            "name": name,
            "image": TEST_IMAGE,
            "command": ["sh", "-c", script],
            "memory": 64,
            **kw,
        }

    def run(
        self, *containers: dict[str, Any], overrides: dict[str, Any] | None = None, **taskdef: Any
    ) -> str:
        family = f"fam-{uuid.uuid4().hex[:8]}"
        taskdef.setdefault("networkMode", "host")
        self.ecs.register_task_definition(
            family=family, containerDefinitions=list(containers), **taskdef
        )
        resp = self.ecs.run_task(
            cluster=self.cluster,
            taskDefinition=family,
            **({"overrides": overrides} if overrides else {}),
        )
        assert resp["tasks"], resp["failures"]
        return str(resp["tasks"][0]["taskArn"])

    def describe(self, arn: str) -> dict[str, Any]:
        tasks = self.ecs.describe_tasks(cluster=self.cluster, tasks=[arn])["tasks"]
        assert len(tasks) == 1
        return dict(tasks[0])

    def wait(self, arn: str, status: str = "STOPPED", timeout: float = WAIT) -> dict[str, Any]:
        order = [
            "PROVISIONING",
            "PENDING",
            "ACTIVATING",
            "RUNNING",
            "DEACTIVATING",
            "STOPPING",
            "DEPROVISIONING",
            "STOPPED",
        ]
        deadline = time.monotonic() + timeout
        while True:
            task = self.describe(arn)
            if order.index(task["lastStatus"]) >= order.index(status):
                return task
            assert time.monotonic() < deadline, f"task not {status} in {timeout}s: {task}"
            time.sleep(0.02)

    def until(self, check: Any, timeout: float = WAIT, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            assert time.monotonic() < deadline, f"{what} not met in {timeout}s"
            time.sleep(0.02)

    def log(self, arn: str, container: str) -> str:
        path = self.data_dir / "logs" / arn.rsplit("/", 1)[-1] / f"{container}.log"
        return path.read_text() if path.exists() else ""

    def container_of(self, task: dict[str, Any], name: str) -> dict[str, Any]:
        return next(c for c in task["containers"] if c["name"] == name)


@pytest.fixture
def env(runtime_kind: str, plane_url: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(
        url=plane_url,
        cluster=f"c-{uuid.uuid4().hex[:8]}",
        runtime=runtime_kind,
        data_dir=tmp_path / "agent",
        ecs=client("ecs", plane_url),
    )
    e.start_agent()
    try:
        yield e
    finally:
        if e.agent is not None:
            e.agent.stop()
        if runtime_kind == "docker":
            remove_containers(e.cluster)


def remove_containers(cluster: str) -> None:
    """Docker containers outlive their agent on purpose: remove the test's own."""
    ids = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.amazonaws.ecs.cluster={cluster}"],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=60)
