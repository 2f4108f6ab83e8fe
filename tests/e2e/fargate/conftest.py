"""Fixtures for the Fargate end-to-end tests: a control plane per runtime.

Each runtime (``process``, ``docker``) gets its own ``cargobay server`` child process
with CARGOBAY_FARGATE_RUNTIME set, shared by the tests of this package; each test gets
its own cluster.  Docker tests skip when no engine answers (fail with
CARGOBAY_REQUIRE_DOCKER=1).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.runtime.docker import engine_answers
from tests.support import ServerProcess, client

ROOT = Path(__file__).resolve().parents[3]
TEST_IMAGE = "cargobay-test/busybox:latest"
WAIT = 30.0


def docker_ready() -> bool:
    if not engine_answers():
        if os.environ.get("CARGOBAY_REQUIRE_DOCKER") == "1":
            pytest.fail("CARGOBAY_REQUIRE_DOCKER=1 but no Docker engine answers")
        return False
    subprocess.run(
        ["bash", str(ROOT / "tests/images/build.sh")], check=True, timeout=300, capture_output=True
    )
    return True


_servers: dict[str, ServerProcess] = {}


@pytest.fixture(scope="session")
def fargate_servers() -> Iterator[dict[str, ServerProcess]]:
    try:
        yield _servers
    finally:
        for srv in _servers.values():
            srv.stop()
        _servers.clear()


@pytest.fixture(params=["process", "docker"])
def runtime_kind(request: pytest.FixtureRequest) -> str:
    kind = str(request.param)
    if kind == "docker" and not docker_ready():
        pytest.skip("no Docker engine answers")
    return kind


@pytest.fixture
def fargate_url(runtime_kind: str, fargate_servers: dict[str, ServerProcess]) -> str:
    srv = fargate_servers.get(runtime_kind)
    if srv is None:
        srv = ServerProcess(env={"CARGOBAY_FARGATE_RUNTIME": runtime_kind}).start()
        fargate_servers[runtime_kind] = srv
    return srv.url


@pytest.fixture
def fecs(fargate_url: str) -> Iterator[Any]:
    """An ECS client on the runtime's server, with a fresh cluster as ``fecs.cluster``."""
    ecs = client("ecs", fargate_url)
    name = f"fg-{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=name)
    ecs.cluster = name
    yield ecs
    arns = ecs.list_tasks(cluster=name)["taskArns"]
    for arn in arns:
        ecs.stop_task(cluster=name, task=arn)
    if arns:
        until(lambda: all(t["lastStatus"] == "STOPPED" for t in ecs.describe_tasks(
            cluster=name, tasks=arns)["tasks"]))


def until(check: Callable[[], Any], timeout: float = WAIT, every: float = 0.05) -> Any:
    """``check()``'s first truthy answer, polled until ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"not true within {timeout}s (last answer: {last!r})")
