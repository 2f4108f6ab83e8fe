"""Fixtures for the runtime suite: which runtimes can run here, and a fresh one per test.

The Docker runtime's tests run whenever an engine answers (``.ci/docker-setup.sh``
starts one and builds the test image); they are skipped only when none answers, and
fail instead when ``CARGOBAY_REQUIRE_DOCKER=1`` says one must.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cargobay.agent.runtime.docker import engine_answers

TEST_IMAGE = "cargobay-test/busybox:latest"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def docker_engine() -> bool:
    """True when a Docker engine answers and the test image is built (built here if not)."""
    if not engine_answers():
        if os.environ.get("CARGOBAY_REQUIRE_DOCKER") == "1":
            pytest.fail("CARGOBAY_REQUIRE_DOCKER=1 but no Docker engine answers")
        return False
    subprocess.run(["bash", str(ROOT / "tests/images/build.sh")], check=True, timeout=300)
    return True


@pytest.fixture(params=["process", "docker"])
def runtime_kind(request: pytest.FixtureRequest, docker_engine: bool) -> str:
    kind = str(request.param)
    if kind == "docker" and not docker_engine:
        pytest.skip("no Docker engine answers (run .ci/docker-setup.sh)")
    return kind


@pytest.fixture
def docker(docker_engine: bool) -> str:
    """For tests of the Docker runtime alone."""
    if not docker_engine:
        pytest.skip("no Docker engine answers (run .ci/docker-setup.sh)")
    return "docker"
