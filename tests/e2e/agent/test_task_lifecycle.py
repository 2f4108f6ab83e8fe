"""Tasks run for real through the agent, on both runtimes, reported as ECS reports them.

Every container runs plain POSIX shell, so the host's /bin/sh (process runtime) and the
busybox test image (Docker) run it alike.
"""

from __future__ import annotations

import json
import time

from cargobay.agent.runtime import OOM_REASON
from tests.e2e.agent.conftest import Env


def test_a_task_that_exits_0_runs_once_and_stops_with_ecs_fields(env: Env) -> None:
    arn = env.run(env.container("main", "echo hello; env"))
    task = env.wait(arn)
    c = env.container_of(task, "main")
    assert c["lastStatus"] == "STOPPED" and c["exitCode"] == 0 and "reason" not in c
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    for stamp in ("pullStartedAt", "pullStoppedAt", "startedAt", "executionStoppedAt", "stoppedAt"):
        assert stamp in task, stamp
    assert c["runtimeId"]
    out = env.log(arn, "main").splitlines()
    assert out[0] == "hello"
    variables = dict(line.split("=", 1) for line in out[1:] if "=" in line)
    assert variables["AWS_EXECUTION_ENV"] == "AWS_ECS_EC2"
    assert variables["AWS_REGION"] == variables["AWS_DEFAULT_REGION"] == "us-east-1"
    assert variables["ECS_CONTAINER_METADATA_URI_V4"].startswith("http://127.0.0.1:")
    assert variables["ECS_CONTAINER_METADATA_URI"] == variables["ECS_CONTAINER_METADATA_URI_V4"]
    assert not any(k.startswith("AWS_ACCESS") or k.startswith("AWS_SECRET") for k in variables)


def test_an_essential_container_exiting_3_stops_the_task(env: Env) -> None:
    arn = env.run(
        env.container("main", "exit 3"),
        env.container("side", "sleep 30", essential=False, stopTimeout=1),
    )
    task = env.wait(arn)
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert env.container_of(task, "main")["exitCode"] == 3
    side = env.container_of(task, "side")
    assert side["lastStatus"] == "STOPPED" and side["exitCode"] in (137, 143)


def test_overrides_replace_command_and_add_environment(env: Env) -> None:
    arn = env.run(
        env.container("main", "echo definition", environment=[{"name": "A", "value": "1"}]),
        overrides={
            "containerOverrides": [
                {
                    "name": "main",
                    "command": ["sh", "-c", 'echo "override A=$A B=$B"'],
                    "environment": [{"name": "B", "value": "2"}],
                }
            ]
        },
    )
    env.wait(arn)
    assert env.log(arn, "main").strip() == "override A=1 B=2"


def test_depends_on_complete_and_success_order_the_start(env: Env) -> None:
    # "app" reads the task's metadata when it starts: "init" must have finished by then.
    script = 'wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task"'
    arn = env.run(
        env.container("init", "sleep 0.3; echo init done", essential=False),
        env.container("app", script, dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
    )
    task = env.wait(arn)
    assert env.container_of(task, "init")["exitCode"] == 0
    assert env.container_of(task, "app")["exitCode"] == 0
    meta = json.loads(env.log(arn, "app"))
    init = next(c for c in meta["Containers"] if c["Name"] == "init")
    assert init["KnownStatus"] == "STOPPED" and init["ExitCode"] == 0


def test_a_failed_success_dependency_keeps_its_dependent_from_starting(env: Env) -> None:
    arn = env.run(
        env.container("init", "exit 1", essential=False),
        env.container(
            "app", "echo started", dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]
        ),
    )
    task = env.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    app = env.container_of(task, "app")
    assert "exitCode" not in app and "init" in app["reason"]
    assert env.log(arn, "app") == ""


def test_a_health_check_turns_healthy_and_releases_a_healthy_dependency(env: Env) -> None:
    check = {"command": ["CMD-SHELL", "exit 0"], "interval": 1, "timeout": 2, "retries": 2}
    arn = env.run(
        env.container("db", "sleep 30", healthCheck=check, stopTimeout=1),
        env.container(
            "app",
            "sleep 30",
            stopTimeout=1,
            dependsOn=[{"containerName": "db", "condition": "HEALTHY"}],
        ),
    )
    task = env.wait(arn, "RUNNING")
    env.until(
        lambda: env.container_of(env.describe(arn), "db").get("healthStatus") == "HEALTHY",
        what="db HEALTHY",
    )
    assert env.container_of(task, "app")["lastStatus"] == "RUNNING"
    env.ecs.stop_task(cluster=env.cluster, task=arn, reason="done")
    assert env.wait(arn)["stopCode"] == "UserInitiated"


def test_a_health_check_turns_unhealthy(env: Env) -> None:
    check = {"command": ["CMD-SHELL", "exit 1"], "interval": 1, "timeout": 2, "retries": 1}
    arn = env.run(env.container("web", "sleep 30", healthCheck=check, stopTimeout=1))
    env.wait(arn, "RUNNING")
    env.until(
        lambda: env.container_of(env.describe(arn), "web").get("healthStatus") == "UNHEALTHY",
        what="web UNHEALTHY",
    )
    env.ecs.stop_task(cluster=env.cluster, task=arn)
    env.wait(arn)


def test_stop_task_honours_stop_timeout_then_kills(env: Env) -> None:
    script = 'trap "" TERM; echo ready; while true; do sleep 0.1; done'
    arn = env.run(env.container("main", script, stopTimeout=1))
    env.wait(arn, "RUNNING")
    env.until(lambda: "ready" in env.log(arn, "main"), what="container ready")
    t0 = time.monotonic()
    env.ecs.stop_task(cluster=env.cluster, task=arn, reason="enough")
    task = env.wait(arn)
    took = time.monotonic() - t0
    assert 1.0 <= took < 6.0, took
    assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "enough"
    assert env.container_of(task, "main")["exitCode"] == 137


def test_stop_task_lets_a_sigterm_handler_exit(env: Env) -> None:
    script = 'trap "echo bye; exit 0" TERM; echo ready; while true; do sleep 0.1; done'
    arn = env.run(env.container("main", script, stopTimeout=10))
    env.wait(arn, "RUNNING")
    env.until(lambda: "ready" in env.log(arn, "main"), what="container ready")
    t0 = time.monotonic()
    env.ecs.stop_task(cluster=env.cluster, task=arn)
    task = env.wait(arn)
    assert time.monotonic() - t0 < 5.0
    assert task["stoppedReason"] == "Task stopped by user"
    assert env.container_of(task, "main")["exitCode"] == 0
    assert "bye" in env.log(arn, "main")


def test_a_memory_hog_is_killed_with_137(env: Env) -> None:
    arn = env.run(env.container("hog", "tail /dev/zero", memory=32))
    task = env.wait(arn)
    hog = env.container_of(task, "hog")
    assert hog["exitCode"] == 137 and hog["reason"] == OOM_REASON
    assert task["stopCode"] == "EssentialContainerExited"


def test_a_missing_image_fails_the_task_with_cannot_pull(env: Env) -> None:
    if env.runtime == "process":
        return  # the host is the image: nothing to pull (docs/differences.md)
    arn = env.run({"name": "main", "image": "cargobay-test/no-such-image:1", "memory": 64})
    task = env.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")
    main = env.container_of(task, "main")
    assert main["reason"].startswith("CannotPullContainerError:") and "exitCode" not in main


def test_a_command_that_cannot_start_fails_the_task(env: Env) -> None:
    arn = env.run(
        {
            "name": "main",
            "image": "cargobay-test/busybox:latest",
            "memory": 64,
            "command": ["/no/such/program"],
        }
    )
    task = env.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith(("CannotStartContainerError", "CannotCreateContainer"))


def test_an_environment_file_that_cannot_be_fetched_fails_the_task(env: Env) -> None:
    # No S3 is served here yet: the fetch fails, and ECS's error stops the task.
    arn = env.run(
        env.container(
            "main",
            "echo ran",
            environmentFiles=[{"type": "s3", "value": "arn:aws:s3:::no-bucket/app.env"}],
        )
    )
    task = env.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError:")
    assert env.log(arn, "main") == ""
