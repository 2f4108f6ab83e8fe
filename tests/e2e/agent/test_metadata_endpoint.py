"""The task metadata endpoint v4, read from inside a task and from outside."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from tests.e2e.agent.conftest import Env


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.status == 200
        return json.loads(r.read())


def test_a_task_reads_its_own_metadata_with_wget(env: Env) -> None:
    uri = '"$ECS_CONTAINER_METADATA_URI_V4"'
    script = f"wget -qO- {uri}/task; echo; wget -qO- {uri}"
    arn = env.run(
        env.container("reader", script, cpu=128, dockerLabels={"team": "blue"}),
        cpu="256",
        memory="512",
    )
    task = env.wait(arn)
    assert env.container_of(task, "reader")["exitCode"] == 0
    first, second = env.log(arn, "reader").strip().splitlines()
    meta, mine = json.loads(first), json.loads(second)
    assert meta["TaskARN"] == arn
    assert meta["Cluster"].endswith(f":cluster/{env.cluster}")
    assert meta["Family"].startswith("fam-") and meta["Revision"] == "1"
    # the container may run before the agent has seen all of the task start
    assert meta["DesiredStatus"] == "RUNNING" and meta["KnownStatus"] in ("PENDING", "RUNNING")
    assert meta["Limits"] == {"CPU": 0.25, "Memory": 512}
    assert meta["LaunchType"] == "EC2" and meta["AvailabilityZone"] == "us-east-1a"
    assert "PullStartedAt" in meta and "PullStoppedAt" in meta
    [c] = meta["Containers"]
    assert c["Name"] == "reader" and c["KnownStatus"] == "RUNNING" and c["Type"] == "NORMAL"
    assert c["DockerId"] == env.container_of(task, "reader")["runtimeId"]
    assert c["DockerName"].startswith(f"ecs-{meta['Family']}-1-reader-")
    assert c["Limits"] == {"CPU": 128, "Memory": 64}
    assert c["Labels"]["team"] == "blue"
    assert c["Labels"]["com.amazonaws.ecs.task-arn"] == arn
    assert c["Networks"][0]["NetworkMode"] == "host"
    assert mine["Name"] == "reader" and mine["DockerId"] == c["DockerId"]


def test_stats_from_outside_while_a_task_runs(env: Env) -> None:
    arn = env.run(
        env.container("a", 'echo "$ECS_CONTAINER_METADATA_URI_V4"; sleep 30', stopTimeout=1),
        env.container("b", "sleep 30", stopTimeout=1),
    )
    env.wait(arn, "RUNNING")
    uri = env.until(lambda: env.log(arn, "a").strip(), what="uri logged")
    stats = get(uri + "/stats")
    assert stats["memory_stats"]["limit"] == 64 << 20
    assert stats["memory_stats"]["usage"] > 0
    assert stats["pids_stats"]["current"] >= 1
    assert "total_usage" in stats["cpu_stats"]["cpu_usage"]
    again = get(uri + "/stats")
    assert (
        again["precpu_stats"]["cpu_usage"]["total_usage"]
        == stats["cpu_stats"]["cpu_usage"]["total_usage"]
    )
    every = get(uri + "/task/stats")
    task = env.describe(arn)
    assert set(every) == {c["runtimeId"] for c in task["containers"]}
    assert get(uri + "/task")["TaskARN"] == arn
    try:
        urllib.request.urlopen(uri.rsplit("/", 1)[0] + "/nope", timeout=5)
        raise AssertionError("an unknown id must be refused")
    except urllib.error.HTTPError as e:
        assert e.code == 404
    env.ecs.stop_task(cluster=env.cluster, task=arn)
    env.wait(arn)
