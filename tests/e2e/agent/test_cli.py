"""``cargobay up`` (control plane + embedded agent in one process) and ``cargobay agent``
flags, driven like a user would: the AWS CLI / boto3 against the endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.e2e.agent.conftest import TEST_IMAGE
from tests.support import client, free_port, wait_healthy


def _stdout_until(proc: subprocess.Popen[bytes], needle: str, timeout: float = 20.0) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen:
        assert time.monotonic() < deadline, f"{needle!r} not in stdout: {seen!r}"
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            chunk = b""
        if chunk:
            seen += chunk
        else:
            time.sleep(0.05)
    return seen.decode()


def _wait_instance(ecs: Any, cluster: str = "default", timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            arns = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"]
            if arns:
                return str(arns[0])
        except ecs.exceptions.ClusterNotFoundException:
            pass
        assert time.monotonic() < deadline, "no instance registered"
        time.sleep(0.05)


def test_up_runs_a_task_and_echoes_its_log_lines(runtime_kind: str, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cargobay",
            "up",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            "--runtime",
            runtime_kind,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc=proc)
        ecs = client("ecs", url)
        inst = _wait_instance(ecs)
        [desc] = ecs.describe_container_instances(containerInstances=[inst])["containerInstances"]
        assert desc["agentConnected"] is True
        attrs = {a["name"]: a.get("value") for a in desc["attributes"]}
        assert attrs["ecs.os-type"] == "linux"
        ecs.register_task_definition(
            family="hello",
            networkMode="host",
            containerDefinitions=[
                {
                    "name": "web",
                    "image": TEST_IMAGE,
                    "memory": 32,
                    "command": ["sh", "-c", "echo hello from a task"],
                }
            ],
        )
        arn = ecs.run_task(taskDefinition="hello")["tasks"][0]["taskArn"]
        task_id = arn.rsplit("/", 1)[-1]
        _stdout_until(proc, f"[{task_id}/web] hello from a task")
        log = tmp_path / "agent" / "logs" / task_id / "web.log"
        assert log.read_text() == "hello from a task\n"
        assert (tmp_path / "agent" / "agent-state.json").exists()
    finally:
        proc.terminate()
        assert proc.wait(30) == 0
        if runtime_kind == "docker":
            from tests.e2e.agent.conftest import remove_containers

            remove_containers("default")


def test_agent_flags(plane_url: str, tmp_path: Path) -> None:
    cluster = f"flags-{free_port()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cargobay",
            "agent",
            "--endpoint",
            plane_url,
            "--cluster",
            cluster,
            "--runtime",
            "process",
            "--cpu",
            "3072",
            "--memory",
            "2048",
            "--attribute",
            "ecs.availability-zone=us-east-1c",
            "--attribute",
            "stack=blue",
            "--data-dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ecs = client("ecs", plane_url)
        inst = _wait_instance(ecs, cluster)
        [desc] = ecs.describe_container_instances(cluster=cluster, containerInstances=[inst])[
            "containerInstances"
        ]
        res = {r["name"]: r for r in desc["registeredResources"]}
        assert res["CPU"]["integerValue"] == 3072 and res["MEMORY"]["integerValue"] == 2048
        attrs = {a["name"]: a.get("value") for a in desc["attributes"]}
        assert attrs["ecs.availability-zone"] == "us-east-1c" and attrs["stack"] == "blue"
        assert "ecs.capability.container-health-check" in attrs
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


def test_agent_refuses_a_bad_attribute() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cargobay",
            "agent",
            "--endpoint",
            "http://127.0.0.1:9",
            "--attribute",
            "=x",
            "--runtime",
            "process",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "KEY=VALUE" in out.stderr
