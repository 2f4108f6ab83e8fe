"""Scheduled rules and retries on a simulated clock: an in-process server
(tests.support.threaded_server) whose App runs on a SimClock the test moves forward.

- rate(1 minute) fires once a minute, a minute after the rule was created, with the
  "Scheduled Event" envelope; disabled rules do not fire; re-enabled ones count again
  from then ("Creating a rule that runs on a schedule");
- cron() fires at its UTC minutes;
- a rate(1 minute) rule with an ECS target runs a task each minute (RunTask through the
  target's role);
- a failing delivery is retried on the clock and dead-lettered when the RetryPolicy runs
  out, with EXHAUSTED_RETRY_CONDITION ("Event retry policy and using dead-letter queues").
"""

from __future__ import annotations

import asyncio
import calendar
import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from cargobay.app import App, default_services
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.services.events.service import EventsService
from tests.e2e.test_events_ecs import EVENTS_POLICY, EVENTS_TRUST
from tests.fake_agent import FakeAgent
from tests.support import client, threaded_server

ACCOUNT = "000000000000"
REGION = "us-east-1"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"


class ProbedEvents(EventsService):
    """EventBridge that remembers the server's event loop, to move the clock on it."""

    loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await super().start()


@dataclass
class Sim:
    url: str
    clock: SimClock
    svc: ProbedEvents

    def advance(self, seconds: float) -> None:
        assert self.svc.loop is not None
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), self.svc.loop).result(10)


@pytest.fixture
def sim() -> Iterator[Sim]:
    # SigV4 allows 15 minutes of skew between the client and the server: the simulated
    # clock starts 14 minutes behind the real one, so a test may move it ~28 minutes
    clock = SimClock(start=float(int(time.time()) - 14 * 60))
    holder: dict[str, ProbedEvents] = {}

    def services(app: App) -> dict[str, object]:
        out = default_services(app)
        holder["events"] = ProbedEvents(app)
        out["events"] = holder["events"]
        return out

    app = App(Config(data_dir=None, agent_timeout=3600, agent_task_timeout=7200),
              clock=clock, services=services)
    with threaded_server(app) as url:
        yield Sim(url, clock, holder["events"])


def messages(sqs: Any, q: str, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Wait (real time) until ``n`` messages have arrived; take them all."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                                  MessageAttributeNames=["All"])
        for m in out.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
        if len(got) >= n:
            break
        time.sleep(0.02)
    return got


def make_queue(sqs: Any, name: str) -> tuple[str, str]:
    q = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return q, arn


def epoch(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def test_rate_one_minute_fires_each_minute(sim: Sim) -> None:
    events, sqs = client("events", sim.url), client("sqs", sim.url)
    q, arn = make_queue(sqs, "ticks")
    created = sim.clock.now()
    rule_arn = events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")[
        "RuleArn"]
    events.put_targets(Rule="every-minute", Targets=[{"Id": "q", "Arn": arn}])
    sim.advance(59)
    assert messages(sqs, q, 1, timeout=0.3) == []
    got: list[dict[str, Any]] = []
    for minute in range(1, 6):
        sim.advance(60 if minute > 1 else 1)
        got += messages(sqs, q, 1)
        assert len(got) == minute
    bodies = [json.loads(m["Body"]) for m in got]
    for i, e in enumerate(bodies, start=1):
        assert (e["source"], e["detail-type"], e["detail"]) == ("aws.events",
                                                                "Scheduled Event", {})
        assert e["resources"] == [rule_arn]
        assert (e["version"], e["account"], e["region"]) == ("0", ACCOUNT, REGION)
        assert epoch(e["time"]) == int(created) + 60 * i
    assert len({e["id"] for e in bodies}) == 5
    # nothing more until the clock moves
    assert messages(sqs, q, 1, timeout=0.3) == []


def test_disabled_schedules_do_not_fire_and_enabling_restarts_the_count(sim: Sim) -> None:
    events, sqs = client("events", sim.url), client("sqs", sim.url)
    q, arn = make_queue(sqs, "ticks")
    events.put_rule(Name="r", ScheduleExpression="rate(2 minutes)")
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    sim.advance(90)
    events.disable_rule(Name="r")
    sim.advance(300)
    assert messages(sqs, q, 1, timeout=0.3) == []
    enabled = sim.clock.now()
    events.enable_rule(Name="r")
    sim.advance(119)
    assert messages(sqs, q, 1, timeout=0.3) == []
    sim.advance(1)
    [m] = messages(sqs, q, 1)
    assert epoch(json.loads(m["Body"])["time"]) == int(enabled) + 120
    events.delete_rule(Name="r", Force=True)
    sim.advance(240)
    assert messages(sqs, q, 1, timeout=0.3) == []


def test_cron_fires_at_its_minutes(sim: Sim) -> None:
    events, sqs = client("events", sim.url), client("sqs", sim.url)
    q, arn = make_queue(sqs, "cron")
    events.put_rule(Name="even", ScheduleExpression="cron(0/2 * * * ? *)")
    events.put_targets(Rule="even", Targets=[{"Id": "q", "Arn": arn}])
    got: list[dict[str, Any]] = []
    for _ in range(6):
        sim.advance(60)
        got += messages(sqs, q, 1, timeout=0.5)
    times = [epoch(json.loads(m["Body"])["time"]) for m in got]
    assert len(times) == 3
    assert all(t % 120 == 0 for t in times)
    assert times == [times[0], times[0] + 120, times[0] + 240]


def test_a_schedule_runs_a_task_each_minute(sim: Sim) -> None:
    events, ecs, iam = (client(s, sim.url) for s in ("events", "ecs", "iam"))
    iam.create_role(RoleName="ecsEventsRole", AssumeRolePolicyDocument=EVENTS_TRUST)
    iam.attach_role_policy(RoleName="ecsEventsRole", PolicyArn=EVENTS_POLICY)
    ecs.create_cluster(clusterName="default")
    agent = FakeAgent(sim.url, cpu=4096, memory=4096)
    agent.register()
    td = ecs.register_task_definition(
        family="nightly", containerDefinitions=[{"name": "job", "image": "busybox",
                                                 "memory": 64}],
    )["taskDefinition"]["taskDefinitionArn"]
    events.put_rule(Name="cronjob", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="cronjob", Targets=[{
        "Id": "job", "Arn": CLUSTER_ARN, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsEventsRole",
        "EcsParameters": {"TaskDefinitionArn": td, "LaunchType": "EC2"}}])
    for minute in range(1, 6):
        sim.advance(60)
        deadline = time.monotonic() + 5
        arns: list[str] = []
        while len(arns) < minute and time.monotonic() < deadline:
            arns = ecs.list_tasks(startedBy="events-rule/cronjob")["taskArns"]
            time.sleep(0.02)
        assert len(arns) == minute
    tasks = ecs.describe_tasks(tasks=arns)["tasks"]
    created = sorted(t["createdAt"].timestamp() for t in tasks)
    assert [round(b - a) for a, b in itertools.pairwise(created)] == [60] * 4
    assert {t["taskDefinitionArn"] for t in tasks} == {td}


def _undeliverable_ecs_target(sim: Sim, dlq_arn: str, retry: dict[str, int]) -> None:
    """An ECS target whose task never fits: RunTask answers with failures only."""
    events, ecs, iam = (client(s, sim.url) for s in ("events", "ecs", "iam"))
    iam.create_role(RoleName="ecsEventsRole", AssumeRolePolicyDocument=EVENTS_TRUST)
    iam.attach_role_policy(RoleName="ecsEventsRole", PolicyArn=EVENTS_POLICY)
    ecs.create_cluster(clusterName="default")
    FakeAgent(sim.url, cpu=256, memory=256).register()
    td = ecs.register_task_definition(
        family="huge", containerDefinitions=[{"name": "big", "image": "x", "memory": 4096}],
    )["taskDefinition"]["taskDefinitionArn"]
    events.put_rule(Name="run", EventPattern=json.dumps({"source": ["my.jobs"]}))
    events.put_targets(Rule="run", Targets=[{
        "Id": "big", "Arn": CLUSTER_ARN, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsEventsRole",
        "EcsParameters": {"TaskDefinitionArn": td}, "RetryPolicy": retry,
        "DeadLetterConfig": {"Arn": dlq_arn}}])


def test_retries_until_the_attempts_run_out_then_dead_letter(sim: Sim) -> None:
    events, sqs = client("events", sim.url), client("sqs", sim.url)
    dlq, dlq_arn = make_queue(sqs, "dlq")
    _undeliverable_ecs_target(sim, dlq_arn, {"MaximumRetryAttempts": 2})
    out = events.put_events(Entries=[{"Source": "my.jobs", "DetailType": "Job",
                                      "Detail": "{}"}])
    event_id = out["Entries"][0]["EventId"]
    # the first attempt failed at once; retry 1 waits 1 s, retry 2 another 2 s
    assert messages(sqs, dlq, 1, timeout=0.5) == []
    assert sim.svc.deliveries.pending() == 1
    sim.advance(1)
    assert messages(sqs, dlq, 1, timeout=0.3) == []
    sim.advance(2)
    [m] = messages(sqs, dlq, 1)
    assert json.loads(m["Body"])["id"] == event_id
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "ERROR_FROM_TARGET"
    assert "RESOURCE:MEMORY" in attrs["ERROR_MESSAGE"]
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attrs["RETRY_ATTEMPTS"] == "2"
    assert sim.svc.deliveries.pending() == 0


def test_retries_stop_when_the_event_is_too_old(sim: Sim) -> None:
    events, sqs = client("events", sim.url), client("sqs", sim.url)
    dlq, dlq_arn = make_queue(sqs, "dlq")
    _undeliverable_ecs_target(sim, dlq_arn, {"MaximumEventAgeInSeconds": 60})
    events.put_events(Entries=[{"Source": "my.jobs", "DetailType": "Job", "Detail": "{}"}])
    # attempts at 0, 1, 3, 7, 15, 31 s; the next would be at 63 s, past the 60 s age
    got: list[dict[str, Any]] = []
    waited = 0
    while not got and waited < 40:
        sim.advance(1)
        waited += 1
        got += messages(sqs, dlq, 1, timeout=0.05)
    assert waited == 31
    attrs = {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()}
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert attrs["RETRY_ATTEMPTS"] == "5"
