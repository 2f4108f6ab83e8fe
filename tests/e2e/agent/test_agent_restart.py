"""An agent that restarts keeps being the same container instance and runs no task twice.

Docker containers outlive their agent (as with the ECS agent): the restarted agent
adopts them from its state file and follows them to the end.  The process runtime's
containers are the agent's children: a stopping agent stops them and reports them
STOPPED, and the restarted agent starts nothing again.
"""

from __future__ import annotations

import subprocess

from tests.e2e.agent.conftest import Env


def test_a_restarted_agent_is_the_same_instance_and_duplicates_no_task(env: Env) -> None:
    assert env.agent is not None
    instance = env.agent.instance_arn
    script = (
        'echo "$ECS_CONTAINER_METADATA_URI_V4"; trap "exit 0" TERM; while true; do sleep 0.1; done'
    )
    arn = env.run(env.container("main", script, stopTimeout=2))
    running = env.wait(arn, "RUNNING")
    runtime_id = env.container_of(running, "main")["runtimeId"]
    uri = env.until(lambda: env.log(arn, "main").strip(), what="uri logged")

    env.agent.stop()
    env.start_agent()
    assert env.agent.instance_arn == instance
    instances = env.ecs.list_container_instances(cluster=env.cluster)["containerInstanceArns"]
    assert instances == [instance]

    if env.runtime == "docker":
        # adopted: still the same container, still answering on its metadata URI
        task = env.describe(arn)
        assert task["lastStatus"] == "RUNNING"
        assert env.container_of(task, "main")["runtimeId"] == runtime_id
        import urllib.request

        with urllib.request.urlopen(uri + "/task", timeout=5) as r:
            assert r.status == 200
        env.ecs.stop_task(cluster=env.cluster, task=arn, reason="bye")
        task = env.wait(arn)
        assert task["stopCode"] == "UserInitiated"
        assert env.container_of(task, "main")["exitCode"] == 0

        def containers() -> list[str]:
            return subprocess.run(
                ["docker", "ps", "-aq", "--filter", f"label=com.amazonaws.ecs.task-arn={arn}"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout.split()

        # removed once stopped; never a second one
        env.until(lambda: containers() == [], what="container removed")
    else:
        task = env.wait(arn)  # stopped with its agent
        assert env.container_of(task, "main")["exitCode"] == 0
        assert task["stoppedReason"].startswith("Host EC2 (instance i-")
    assert env.ecs.list_tasks(cluster=env.cluster)["taskArns"] == []
    assert env.log(arn, "main").count("http://") == 1  # it ran once
