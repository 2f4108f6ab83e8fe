"""A FARGATE_SPOT interruption on the simulated clock (Fargate Spot termination notice):
the warning is an ECS Task State Change event with stopCode SpotInterruption and the
task gets SIGTERM (here: a container that traps it and exits); the task stops and the
service starts a replacement on FARGATE_SPOT."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.capacity.simserver import SimServer
from tests.support import client

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


@pytest.fixture
def sim() -> Iterator[SimServer]:
    s = SimServer(behind=60.0)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def interrupt(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url + "/_cargobay/ecs/fargate-spot/interrupt",
                                 data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_spot_task_interrupted_and_replaced(sim: SimServer) -> None:
    ecs, events, sqs = (client(s, sim.url) for s in ("ecs", "events", "sqs"))
    q = sqs.create_queue(QueueName="spot")["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    events.put_rule(Name="spot", EventPattern=json.dumps({
        "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
        "detail": {"stopCode": ["SpotInterruption"]}}))
    events.put_targets(Rule="spot", Targets=[{"Id": "q", "Arn": q_arn}])
    ecs.create_cluster(clusterName="sp", capacityProviders=["FARGATE", "FARGATE_SPOT"])
    td = ecs.register_task_definition(
        family="spot", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512",
        containerDefinitions=[{
            "name": "main", "image": "cargobay-test/busybox:latest", "stopTimeout": 120,
            # leaves at once on SIGTERM, so the task stops well before stopTimeout
            "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="sp", serviceName="s", taskDefinition=td, desiredCount=2,
                       networkConfiguration=NETWORK, capacityProviderStrategy=[
                           {"capacityProvider": "FARGATE_SPOT", "weight": 1}])

    def tasks(status: str = "RUNNING") -> list[dict[str, Any]]:
        arns = ecs.list_tasks(cluster="sp", desiredStatus=status)["taskArns"]
        return ecs.describe_tasks(cluster="sp", tasks=arns)["tasks"] if arns else []

    first = sim.advance_until(
        lambda: (r := [t for t in tasks() if t["lastStatus"] == "RUNNING"]) and len(r) == 2
        and r, 1.0, limit=300)
    assert {t["capacityProviderName"] for t in first} == {"FARGATE_SPOT"}
    victim = first[0]["taskArn"]

    assert interrupt(sim.url, {"taskArn": "arn:aws:ecs:us-east-1:000000000000:task/sp/"
                                          "0123456789abcdef0123456789abcdef"})[0] == 404
    assert interrupt(sim.url, {"count": -1})[0] == 400
    status, body = interrupt(sim.url, {"taskArn": victim})
    assert (status, body) == (200, {"interrupted": [victim]})
    assert interrupt(sim.url, {"taskArn": victim})[0] == 400  # already stopping

    stopped = sim.advance_until(
        lambda: [t for t in tasks("STOPPED") if t["taskArn"] == victim
                 and t["lastStatus"] == "STOPPED"], 1.0)
    assert stopped[0]["stopCode"] == "SpotInterruption"
    assert stopped[0]["stoppedReason"] == "Your Spot Task was interrupted."
    # the container left on SIGTERM (exit 0), long before the 120-second stopTimeout
    assert stopped[0]["containers"][0].get("exitCode") == 0
    # the service replaces it
    again = sim.advance_until(
        lambda: (r := [t for t in tasks() if t["lastStatus"] == "RUNNING"]) and len(r) == 2
        and r, 1.0, limit=300)
    assert victim not in {t["taskArn"] for t in again}
    assert {t["capacityProviderName"] for t in again} == {"FARGATE_SPOT"}

    # the warning reached EventBridge as a task state change with SpotInterruption
    def warnings() -> list[dict[str, Any]]:
        msgs = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in msgs]

    got = sim.advance_until(warnings, 1.0, limit=30)
    d = got[0]["detail"]
    assert (d["taskArn"], d["desiredStatus"], d["stopCode"]) == (
        victim, "STOPPED", "SpotInterruption")
    assert d["capacityProviderName"] == "FARGATE_SPOT"

    ecs.update_service(cluster="sp", service="s", desiredCount=0)
    sim.advance_until(lambda: not tasks(), 1.0)


def test_interruptions_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """CARGOBAY_FARGATE_SPOT_INTERRUPTION_RATE=60 per task-hour: each minute, every
    running FARGATE_SPOT task is interrupted (a chance of 60 × 60 / 3600 = 1)."""
    monkeypatch.setenv("CARGOBAY_FARGATE_SPOT_INTERRUPTION_RATE", "60")
    sim = SimServer(behind=60.0)
    sim.start()
    try:
        ecs = client("ecs", sim.url)
        ecs.create_cluster(clusterName="r", capacityProviders=["FARGATE_SPOT"])
        td = ecs.register_task_definition(
            family="spot", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
            cpu="256", memory="512", containerDefinitions=[{
                "name": "main", "image": "cargobay-test/busybox:latest", "stopTimeout": 2,
                "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]}],
        )["taskDefinition"]["taskDefinitionArn"]
        arn = ecs.run_task(cluster="r", taskDefinition=td, networkConfiguration=NETWORK,
                           capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                                      "weight": 1}])["tasks"][0]["taskArn"]

        def task() -> dict[str, Any]:
            return dict(ecs.describe_tasks(cluster="r", tasks=[arn])["tasks"][0])

        sim.advance_until(lambda: task()["lastStatus"] == "RUNNING", 1.0)
        got = sim.advance_until(lambda: task()["lastStatus"] == "STOPPED" and task(), 5.0)
        assert (got["stopCode"], got["stoppedReason"]) == (
            "SpotInterruption", "Your Spot Task was interrupted.")
    finally:
        sim.stop()
