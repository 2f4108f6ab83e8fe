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

from cargobay.agent.agent import AgentConfig
from tests.e2e.agent.conftest import AGENT_ENV, TEST_IMAGE, Env, remove_containers
from tests.e2e.agent.harness import AgentThread
from tests.support import ServerProcess, client, free_port


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
        assert stopped["stopCode"] == "TerminationNotice"
        assert stopped["stoppedReason"].startswith("Host EC2 (instance i-")
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
    try:
        resp = env.ecs.run_task(cluster=env.cluster, taskDefinition=family)
    except (
        env.ecs.exceptions.ClusterNotFoundException,
        env.ecs.exceptions.InvalidParameterException,
    ):
        return None  # the agent has not created its cluster, or not registered, yet
    return str(resp["tasks"][0]["taskArn"]) if resp["tasks"] else None


def _kill_leftovers(env: Env, data_dir: Path) -> None:
    # a SIGKILLed agent leaves its containers behind (as a dead ECS agent would)
    if env.runtime == "docker":
        remove_containers(env.cluster)
        return
    for log in data_dir.glob("logs/*/main.log"):  # each container logged its own pid
        for word in log.read_text().split()[:1]:
            with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
                os.killpg(int(word), signal.SIGKILL)


def test_a_control_plane_restart_mid_task_loses_and_duplicates_nothing(
    runtime_kind: str, tmp_path: Path
) -> None:
    """kill -9 of the server while a task runs: the agent keeps the task running and
    retries; the server comes back from its state on disk; the task ends once, reported
    once, on the same instance."""
    port = free_port()
    server = ServerProcess(data_dir=str(tmp_path / "server"), env=AGENT_ENV, port=port).start()
    agent = None
    try:
        ecs = client("ecs", server.url)
        agent = AgentThread(
            AgentConfig(
                endpoint=server.url,
                cluster="restart",
                runtime=runtime_kind,
                data_dir=str(tmp_path / "agent"),
            )
        ).start()
        instance = agent.instance_arn
        ecs.register_task_definition(
            family="f",
            networkMode="host",
            containerDefinitions=[
                {
                    "name": "main",
                    "image": TEST_IMAGE,
                    "memory": 64,
                    "command": ["sh", "-c", "echo started; sleep 3; echo finished"],
                }
            ],
        )
        arn = ecs.run_task(cluster="restart", taskDefinition="f")["tasks"][0]["taskArn"]
        _wait(lambda: _status(ecs, arn) == "RUNNING")
        server.kill9()
        time.sleep(1.0)  # the control plane is down; the task keeps running
        server = ServerProcess(data_dir=str(tmp_path / "server"), env=AGENT_ENV, port=port).start()
        ecs = client("ecs", server.url)
        # still RUNNING, or already finished normally if the restart was slow
        assert _status(ecs, arn) in ("RUNNING", "STOPPED")
        _wait(lambda: _status(ecs, arn) == "STOPPED", 15)
        [task] = ecs.describe_tasks(cluster="restart", tasks=[arn])["tasks"]
        assert task["containers"][0]["exitCode"] == 0
        assert task["stopCode"] == "EssentialContainerExited"
        assert ecs.list_tasks(cluster="restart", desiredStatus="STOPPED")["taskArns"] == [arn]
        assert ecs.list_tasks(cluster="restart")["taskArns"] == []
        assert ecs.list_container_instances(cluster="restart")["containerInstanceArns"] == [
            instance
        ]
        assert agent.instance_arn == instance
        log = (tmp_path / "agent" / "logs" / arn.rsplit("/", 1)[-1] / "main.log").read_text()
        assert log.split() == ["started", "finished"]  # ran once
    finally:
        if agent is not None:
            agent.stop()
        server.stop()
        if runtime_kind == "docker":
            remove_containers("restart")


def _status(ecs: object, arn: str) -> str:
    tasks = ecs.describe_tasks(cluster="restart", tasks=[arn])["tasks"]  # type: ignore[attr-defined]
    return str(tasks[0]["lastStatus"])


def _wait(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.02)
