"""The awslogs log driver on real tasks (ECS Developer Guide, "Send Amazon ECS logs to
CloudWatch"): a container's stdout and stderr become events of the stream
``prefix/container-name/task-id``, sent with the task's execution role while it runs,
readable with ``aws logs get-log-events``; ``awslogs-create-group`` creates the group;
a role that cannot create the stream stops the task before it starts (ECS's
ResourceInitializationError); one that cannot PutLogEvents leaves the task running and
the errors in the agent log."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.agent.conftest import Env
from tests.e2e.agent.test_task_iam import TRUST_ECS_TASKS, _env, _role
from tests.support import aws_cli, client

ALLOW_LOGS = {"Effect": "Allow", "Resource": "*",
              "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]}


@pytest.fixture
def proc(plane_url: str, tmp_path: Path) -> Iterator[Env]:
    yield from _env(plane_url, tmp_path, "process")


@pytest.fixture
def dock(plane_url: str, tmp_path: Path, docker_engine: bool) -> Iterator[Env]:
    if not docker_engine:
        pytest.skip("no Docker engine answers (run .ci/docker-setup.sh)")
    yield from _env(plane_url, tmp_path, "docker")


def awslogs(group: str, *, prefix: str | None = "web", create: bool = True) -> dict[str, Any]:
    options = {"awslogs-group": group, "awslogs-region": "us-east-1"}
    if prefix:
        options["awslogs-stream-prefix"] = prefix
    if create:
        options["awslogs-create-group"] = "true"
    return {"logDriver": "awslogs", "options": options}


def cli_events(url: str, group: str, stream: str) -> list[str]:
    out = aws_cli(url, "logs", "get-log-events", "--log-group-name", group,
                  "--log-stream-name", stream, "--start-from-head")
    return [e["message"] for e in json.loads(out.stdout)["events"]]


def shipped_while_running_then_all(env: Env) -> None:
    group = f"/ecs/app-{uuid.uuid4().hex[:8]}"
    role = _role(env.url, "exec", TRUST_ECS_TASKS, ALLOW_LOGS)
    # (as PID 1 in Docker, sh ignores SIGTERM unless it traps it)
    script = ("trap 'exit 0' TERM; echo hello; echo 'an error' >&2; "
              "echo '{\"level\": \"error\", \"ms\": 7}'; "
              "while [ ! -e /tmp/never ]; do sleep 0.2; done")
    arn = env.run(env.container("app", script, logConfiguration=awslogs(group)),
                  executionRoleArn=role)
    task_id = arn.rsplit("/", 1)[-1]
    stream = f"web/app/{task_id}"
    env.wait(arn, "RUNNING")
    # shipped while the container runs (every second), not only when it stops
    env.until(lambda: len(cli_events(env.url, group, stream)) >= 3, what="events in CloudWatch")
    env.ecs.stop_task(cluster=env.cluster, task=arn)
    env.wait(arn)
    events = cli_events(env.url, group, stream)
    # (a shell may add "Terminated" when its sleep is signalled; Docker copies stdout and
    # stderr separately, so their relative order is not kept)
    assert sorted(events[:3]) == sorted(["hello", "an error", '{"level": "error", "ms": 7}'])
    logs = client("logs", env.url)
    found = logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" }')
    assert [e["logStreamName"] for e in found["events"]] == [stream]
    # the agent's own file (and the `cargobay up` echo) are kept as they were
    assert "hello" in env.log(arn, "app")


def test_process_task_output_is_readable_with_get_log_events(proc: Env) -> None:
    shipped_while_running_then_all(proc)


def test_docker_task_output_is_readable_with_get_log_events(dock: Env) -> None:
    shipped_while_running_then_all(dock)


def test_last_lines_of_a_short_task_arrive(proc: Env) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    client("logs", proc.url).create_log_group(logGroupName=group)
    role = _role(proc.url, "exec", TRUST_ECS_TASKS, ALLOW_LOGS)
    arn = proc.run(proc.container("app", "for i in 1 2 3 4 5; do echo line $i; done",
                                  logConfiguration=awslogs(group, prefix=None, create=False)),
                   executionRoleArn=role)
    task = proc.wait(arn)
    assert task["containers"][0]["exitCode"] == 0
    stream = f"app/{arn.rsplit('/', 1)[-1]}"  # no prefix: container-name/task-id
    assert cli_events(proc.url, group, stream) == [f"line {i}" for i in range(1, 6)]


def test_without_an_execution_role_the_task_fails_to_start(proc: Env) -> None:
    arn = proc.run(proc.container("app", "echo hi", logConfiguration=awslogs("g")))
    task = proc.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith(
        "ResourceInitializationError: failed to validate logger args: ")
    assert proc.log(arn, "app") == ""


def test_a_role_that_cannot_create_the_stream_stops_the_task(proc: Env) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    client("logs", proc.url).create_log_group(logGroupName=group)
    role = _role(proc.url, "exec", TRUST_ECS_TASKS,
                 {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"})
    arn = proc.run(proc.container("app", "echo hi",
                                  logConfiguration=awslogs(group, create=False)),
                   executionRoleArn=role)
    task = proc.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    reason = task["stoppedReason"]
    assert reason.startswith(
        "ResourceInitializationError: failed to validate logger args: create stream has been "
        "retried 1 times: failed to create Cloudwatch log stream: AccessDeniedException: "), reason
    # ECS's stoppedReason is cut at 255 characters, before "…not authorized to perform"
    role_name = role.rsplit("/", 1)[-1]
    assert f"User: arn:aws:sts::000000000000:assumed-role/{role_name}/" in reason


def test_a_missing_group_without_create_group_stops_the_task(proc: Env) -> None:
    role = _role(proc.url, "exec", TRUST_ECS_TASKS, ALLOW_LOGS)
    arn = proc.run(proc.container("app", "echo hi",
                                  logConfiguration=awslogs("nope-" + uuid.uuid4().hex[:6],
                                                           create=False)),
                   executionRoleArn=role)
    task = proc.wait(arn)
    assert "ResourceNotFoundException: The specified log group does not exist." in (
        task["stoppedReason"])


def test_a_role_without_put_log_events_runs_and_the_agent_logs_why(
    proc: Env, caplog: pytest.LogCaptureFixture
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    role = _role(proc.url, "exec", TRUST_ECS_TASKS,
                 {"Effect": "Allow", "Resource": "*",
                  "Action": ["logs:CreateLogGroup", "logs:CreateLogStream"]})
    with caplog.at_level(logging.WARNING, logger="cargobay.agent.awslogs"):
        arn = proc.run(proc.container("app", "echo hi", logConfiguration=awslogs(group)),
                       executionRoleArn=role)
        task = proc.wait(arn)
    assert task["containers"][0]["exitCode"] == 0
    assert task.get("stopCode") == "EssentialContainerExited"
    stream = f"web/app/{arn.rsplit('/', 1)[-1]}"
    assert cli_events(proc.url, group, stream) == []
    assert any("AccessDeniedException" in r.getMessage() and "logs:PutLogEvents" in
               r.getMessage() for r in caplog.records), caplog.text
