"""The agent as a process: killed, it goes disconnected and its tasks stop; a control
plane that restarts mid-task loses and duplicates nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.e2e.agent.conftest import TEST_IMAGE, Env
from tests.e2e.agent.fake_control_plane import FakeEcs, fake_app
from tests.e2e.agent.harness import AgentThread, served
from tests.support import client, free_port


def start_agent_process(
    url: str, cluster: str, runtime: str, data_dir: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cargobay",
            "agent",
            "--endpoint",
            url,
            "--cluster",
            cluster,
            "--runtime",
            runtime,
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def test_a_killed_agent_goes_disconnected_and_its_tasks_stop(env: Env, tmp_path: Path) -> None:
    assert env.agent is not None
    env.agent.stop()  # this test's agent is a separate process, killed with SIGKILL
    env.agent = None
    env.cluster = f"k-{uuid.uuid4().hex[:8]}"
    proc = start_agent_process(env.url, env.cluster, env.runtime, tmp_path / "killed")
    try:
        arn = env.until(lambda: _try_run(env), what="agent registered")
        task = env.wait(arn, "RUNNING")
        inst = task["containerInstanceArn"]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        described = env.until(
            lambda: [
                i
                for i in env.ecs.describe_container_instances(
                    cluster=env.cluster, containerInstances=[inst]
                )["containerInstances"]
                if not i["agentConnected"]
            ],
            what="agentConnected false",
        )
        assert described[0]["containerInstanceArn"] == inst
        stopped = env.wait(arn, "STOPPED", timeout=15)
        assert stopped["desiredStatus"] == "STOPPED"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        _kill_leftovers(env, tmp_path / "killed")


def _try_run(env: Env) -> str | None:
    family = f"fam-{uuid.uuid4().hex[:8]}"
    env.ecs.register_task_definition(
        family=family,
        networkMode="host",
        containerDefinitions=[
            {
                "name": "main",
                "image": TEST_IMAGE,
                "memory": 64,
                "command": ["sh", "-c", "echo $$; exec sleep 60"],
            }
        ],
    )
    resp = env.ecs.run_task(cluster=env.cluster, taskDefinition=family)
    return str(resp["tasks"][0]["taskArn"]) if resp["tasks"] else None


def _kill_leftovers(env: Env, data_dir: Path) -> None:
    # a SIGKILLed agent leaves its containers behind (as a dead ECS agent would)
    if env.runtime == "docker":
        from tests.e2e.agent.conftest import remove_containers

        remove_containers(env.cluster)
        return
    for log in data_dir.glob("logs/*/main.log"):  # each container logged its own pid
        for word in log.read_text().split()[:1]:
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.killpg(int(word), signal.SIGKILL)


def test_a_control_plane_restart_mid_task_loses_and_duplicates_nothing(
    runtime_kind: str, tmp_path: Path
) -> None:
    fake = FakeEcs()
    fake.clusters.add("default")
    port = free_port()
    app = fake_app(fake)
    agent = None
    with served(app, port) as url:
        from cargobay.agent.agent import AgentConfig

        agent = AgentThread(
            AgentConfig(endpoint=url, runtime=runtime_kind, data_dir=str(tmp_path))
        ).start()
        ecs = client("ecs", url)
        ecs.register_task_definition(
            family="f",
            networkMode="host",
            containerDefinitions=[
                {
                    "name": "main",
                    "image": TEST_IMAGE,
                    "memory": 64,
                    "command": ["sh", "-c", "echo started; sleep 2; echo finished"],
                }
            ],
        )
        arn = ecs.run_task(taskDefinition="f")["tasks"][0]["taskArn"]
        _wait(lambda: fake.history(arn)[-1] == "RUNNING")
    # the control plane is down while the task finishes; the agent keeps retrying
    time.sleep(2.5)
    try:
        with served(fake_app(fake), port) as url:
            _wait(lambda: fake.history(arn)[-1] == "STOPPED", 15)
            ecs = client("ecs", url)
            [task] = ecs.describe_tasks(tasks=[arn])["tasks"]
            assert task["containers"][0]["exitCode"] == 0
            assert fake.history(arn) == [
                "PROVISIONING",
                "PENDING",
                "RUNNING",
                "STOPPED",
            ] or fake.history(arn) == ["PROVISIONING", "RUNNING", "STOPPED"]
            assert len(fake.tasks) == 1
            log = (tmp_path / "logs" / arn.rsplit("/", 1)[-1] / "main.log").read_text()
            assert log.split() == ["started", "finished"]
            stopped_reports = [r for r in fake.reports if r["status"] == "STOPPED"]
            assert len(stopped_reports) >= 1
            assert len(fake.registrations) == 1
    finally:
        agent.stop()
        if runtime_kind == "docker":
            from tests.e2e.agent.conftest import remove_containers

            remove_containers("default")


def _wait(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.02)
