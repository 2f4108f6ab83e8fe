"""The task lifecycle on the control plane (ECS Developer Guide, "Amazon ECS task
lifecycle"): the documented states in order, the stop codes, the counters, and the
agent channel and liveness loop driven on a simulated clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.http import HttpRequest
from cargobay.services.ecs import task_lifecycle as life

START = 1_700_000_000.0
CTX = RequestContext("ecs", "op", "us-east-1", "000000000000", "req", "json")


def new_task() -> dict[str, Any]:
    task: dict[str, Any] = {"desiredStatus": "RUNNING", "containers": [{"name": "app"}]}
    life.place(task, 1.0)
    return task


def statuses(task: dict[str, Any]) -> list[str]:
    return [h[0] for h in task["_history"]]


# -- the state machine -------------------------------------------------------------------


def test_a_task_that_runs_and_exits_passes_every_state_in_order() -> None:
    t = new_task()
    assert t["lastStatus"] == "PENDING" and life.category(t) == life.PENDING
    assert not life.on_agent_status(t, "PENDING", None, 2.0)
    assert life.on_agent_status(t, "RUNNING", None, 3.0)
    assert t["startedAt"] == 3.0 and life.category(t) == life.RUNNING
    assert life.on_agent_status(t, "STOPPED", life.ESSENTIAL_EXITED_REASON, 4.0, 3.5)
    assert statuses(t) == list(life.ORDER)
    assert [h[1] for h in t["_history"]] == [1.0, 1.0, 3.0, 3.0, 4.0, 4.0, 4.0, 4.0]
    assert (t["stopCode"], t["stoppedReason"]) == (
        "EssentialContainerExited", "Essential container in task exited"
    )
    assert (t["executionStoppedAt"], t["stoppedAt"], t["stoppingAt"]) == (3.5, 4.0, 4.0)
    assert t["desiredStatus"] == "STOPPED" and life.category(t) is None
    assert t["containers"][0]["lastStatus"] == "STOPPED"


def test_a_task_that_never_ran_skips_the_running_states() -> None:
    t = new_task()
    reason = "CannotPullContainerError: no such image"
    life.on_agent_status(t, "STOPPED", reason, 2.0)
    assert statuses(t) == ["PROVISIONING", "PENDING", "STOPPING", "DEPROVISIONING", "STOPPED"]
    assert (t["stopCode"], t["stoppedReason"]) == ("TaskFailedToStart", reason)
    assert "startedAt" not in t


def test_a_task_that_never_ran_takes_its_reason_from_a_container() -> None:
    t = new_task()
    t["containers"][0]["reason"] = "CannotStartContainerError: boom"
    life.on_agent_status(t, "STOPPED", None, 2.0)
    assert (t["stopCode"], t["stoppedReason"]) == (
        "TaskFailedToStart", "CannotStartContainerError: boom"
    )


def test_stop_task_on_a_running_task_then_the_agent_stops_it() -> None:
    t = new_task()
    life.on_agent_status(t, "RUNNING", None, 2.0)
    assert life.desire_stop(t, life.USER_INITIATED, "bye", 3.0)
    assert t["lastStatus"] == "STOPPING" and t["desiredStatus"] == "STOPPED"
    assert not life.desire_stop(t, life.USER_INITIATED, "again", 4.0)  # the first stop wins
    assert life.category(t) == life.RUNNING
    life.on_agent_status(t, "STOPPED", "bye", 5.0)
    assert statuses(t) == list(life.ORDER)
    assert (t["stopCode"], t["stoppedReason"], t["stoppingAt"]) == ("UserInitiated", "bye", 3.0)


def test_stopping_a_pending_task_keeps_it_pending_in_the_counters() -> None:
    t = new_task()
    life.desire_stop(t, life.USER_INITIATED, life.USER_STOP_REASON, 2.0)
    assert statuses(t) == ["PROVISIONING", "PENDING", "STOPPING"]
    assert life.category(t) == life.PENDING
    # the agent had started it before it saw the stop: no going back
    assert life.on_agent_status(t, "RUNNING", None, 3.0)
    assert t["lastStatus"] == "STOPPING" and t["startedAt"] == 3.0
    assert not life.on_agent_status(t, "RUNNING", None, 4.0)


def test_reports_never_move_a_task_backwards() -> None:
    t = new_task()
    life.on_agent_status(t, "RUNNING", None, 2.0)
    assert not life.on_agent_status(t, "RUNNING", None, 3.0)
    assert not life.on_agent_status(t, "PENDING", None, 3.0)
    life.on_agent_status(t, "STOPPED", None, 4.0)
    assert t["stopCode"] == "EssentialContainerExited"  # it ran, then stopped by itself
    before = dict(t)
    assert not life.on_agent_status(t, "RUNNING", None, 5.0)
    assert not life.on_agent_status(t, "STOPPED", "other", 5.0)
    assert t == before


def test_path_is_empty_backwards_and_skips_run_states_for_tasks_that_never_ran() -> None:
    assert life.path("RUNNING", "PENDING", ran=True) == []
    assert life.path("PENDING", "RUNNING", ran=True) == ["ACTIVATING", "RUNNING"]
    assert life.path("PENDING", "STOPPED", ran=False) == [
        "STOPPING", "DEPROVISIONING", "STOPPED"
    ]


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        ({"a": "HEALTHY", "b": "HEALTHY"}, "HEALTHY"),
        ({"a": "HEALTHY", "b": "UNHEALTHY"}, "UNHEALTHY"),
        ({"a": "HEALTHY", "b": "UNKNOWN"}, "UNKNOWN"),
        ({"a": "HEALTHY"}, "UNKNOWN"),
    ],
)
def test_task_health_from_its_essential_checked_containers(
    health: dict[str, str], expected: str
) -> None:
    containers = [{"name": n, **({"healthStatus": health[n]} if n in health else {})}
                  for n in ("a", "b")]
    task = {"containers": [*containers, {"name": "c", "healthStatus": "UNHEALTHY"}]}
    # c is not essential; b has a check whether or not it reported
    assert life.task_health(task, {"a", "b", "c"}, {"a", "b"}) == expected
    assert life.task_health(task, set(), {"a"}) == "UNKNOWN"


# -- through the control plane, on a simulated clock --------------------------------------


@pytest.fixture
def plane() -> Iterator[tuple[App, Any, SimClock]]:
    clock = SimClock(START)
    app = App(Config(data_dir=None, agent_timeout=30, agent_task_timeout=300), clock=clock)
    ecs: Any = app.services["ecs"]
    ecs.create_cluster(CTX, {})
    ecs.register_task_definition(
        CTX, {"family": "web", "containerDefinitions": [
            {"name": "app", "image": "x", "memory": 128, "cpu": 128}]}
    )
    yield app, ecs, clock
    app.store.close()


def register(ecs: Any) -> str:
    ci = ecs.register_container_instance(CTX, {
        "totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": 1024},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": 1024},
        ],
        "instanceIdentityDocument": json.dumps({"instanceId": "i-0123456789abcdef0"}),
    })
    arn: str = ci["containerInstance"]["containerInstanceArn"]
    return arn


async def poll(app: App, arn: str, version: int, wait: float) -> dict[str, Any]:
    body = {"containerInstanceArn": arn, "version": version, "wait": wait}
    resp = await app.agent_channel.handle(
        HttpRequest("POST", "/_cargobay/agent/poll", body=json.dumps(body).encode())
    )
    assert resp.status == 200, resp.body
    out: dict[str, Any] = json.loads(resp.body)
    return out


def stored(app: App, task_arn: str) -> dict[str, Any]:
    task_id = task_arn.rsplit("/", 1)[-1]
    doc = app.store.get("ecs.tasks", f"000000000000/us-east-1/default/{task_id}")
    assert doc is not None
    return doc


def test_history_and_times_follow_the_clock(plane: tuple[App, Any, SimClock]) -> None:
    app, ecs, clock = plane
    register(ecs)

    async def scenario() -> dict[str, Any]:
        arn = ecs.run_task(CTX, {"taskDefinition": "web"})["tasks"][0]["taskArn"]
        await clock.advance(5)
        ecs.submit_task_state_change(CTX, {"task": arn, "status": "RUNNING"})
        await clock.advance(60)
        ecs.stop_task(CTX, {"task": arn})
        await clock.advance(2)
        ecs.submit_task_state_change(CTX, {"task": arn, "status": "STOPPED"})
        return stored(app, arn)

    t = asyncio.run(scenario())
    assert t["_history"] == [
        ["PROVISIONING", START], ["PENDING", START],
        ["ACTIVATING", START + 5], ["RUNNING", START + 5],
        ["DEACTIVATING", START + 65], ["STOPPING", START + 65],
        ["DEPROVISIONING", START + 67], ["STOPPED", START + 67],
    ]
    assert (t["createdAt"], t["startedAt"], t["stoppingAt"], t["stoppedAt"]) == (
        START, START + 5, START + 65, START + 67
    )
    assert (t["stopCode"], t["stoppedReason"]) == ("UserInitiated", "Task stopped by user")
    assert t["version"] == 4


def test_a_held_poll_wakes_on_run_task_and_otherwise_waits_its_time(
    plane: tuple[App, Any, SimClock],
) -> None:
    app, ecs, clock = plane
    arn = register(ecs)

    async def scenario() -> None:
        first = await poll(app, arn, 0, 20)
        assert first["tasks"] == []
        version = first["version"]
        # nothing changes: the poll is held for min(wait, timeout / 3) on the clock
        held = asyncio.create_task(poll(app, arn, version, 20))
        await clock.advance(9.9)
        assert not held.done()
        await clock.advance(0.2)  # agent_timeout / 3 = 10 s
        assert (await held)["version"] == version
        # RunTask wakes a held poll without the clock moving
        held = asyncio.create_task(poll(app, arn, version, 20))
        await clock.advance(1)
        assert not held.done()
        task = ecs.run_task(CTX, {"taskDefinition": "web"})["tasks"][0]
        answer = await asyncio.wait_for(held, 1)
        assert answer["version"] == version + 1
        assert [t["taskArn"] for t in answer["tasks"]] == [task["taskArn"]]

    asyncio.run(scenario())


def test_liveness_disconnects_a_silent_agent_then_stops_its_tasks(
    plane: tuple[App, Any, SimClock],
) -> None:
    app, ecs, clock = plane
    arn = register(ecs)

    async def scenario() -> None:
        loop = asyncio.create_task(ecs.liveness_loop())
        try:
            t = ecs.run_task(CTX, {"taskDefinition": "web"})["tasks"][0]["taskArn"]
            ecs.submit_task_state_change(CTX, {"task": t, "status": "RUNNING"})
            await clock.advance(29)
            assert describe(ecs, arn)["agentConnected"] is True
            await clock.advance(10)
            assert describe(ecs, arn)["agentConnected"] is False
            # polling again reconnects; going silent again disconnects
            await poll(app, arn, 999, 0)
            assert describe(ecs, arn)["agentConnected"] is True
            await clock.advance(299)
            assert stored(app, t)["lastStatus"] == "RUNNING"
            await clock.advance(10)
            task = stored(app, t)
            assert task["lastStatus"] == "STOPPED"
            assert task["stopCode"] == "TerminationNotice"
            assert task["stoppedReason"] == "Host EC2 (instance i-0123456789abcdef0) terminated."
            assert task["stoppedAt"] > START + 300
            ci = describe(ecs, arn)
            assert ci["remainingResources"] == ci["registeredResources"]
            cluster = ecs.describe_clusters(CTX, {})["clusters"][0]
            assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (0, 0)
            # an hour later the stopped task is gone for every API
            await clock.advance(3700)
            assert ecs.describe_tasks(CTX, {"tasks": [t]})["failures"][0]["reason"] == "MISSING"
            assert app.store.get("ecs.tasks", "000000000000/us-east-1/default/"
                                 + t.rsplit("/", 1)[1]) is None
        finally:
            loop.cancel()

    asyncio.run(scenario())


def test_after_a_restart_silence_counts_from_the_control_planes_start(
    plane: tuple[App, Any, SimClock],
) -> None:
    app, ecs, clock = plane
    arn = register(ecs)
    t = ecs.run_task(CTX, {"taskDefinition": "web"})["tasks"][0]["taskArn"]

    async def scenario() -> None:
        await clock.advance(1000)  # the control plane was down all that time
        loop = asyncio.create_task(ecs.liveness_loop())
        try:
            await clock.advance(29)
            assert describe(ecs, arn)["agentConnected"] is True
            await clock.advance(7)  # the loop looks every 5 s
            assert describe(ecs, arn)["agentConnected"] is False
            await clock.advance(260)
            assert stored(app, t)["lastStatus"] == "PENDING"
            await clock.advance(15)
            task = stored(app, t)
            assert (task["lastStatus"], task["stopCode"]) == ("STOPPED", "TaskFailedToStart")
        finally:
            loop.cancel()

    asyncio.run(scenario())


def describe(ecs: Any, arn: str) -> dict[str, Any]:
    ci: dict[str, Any] = ecs.describe_container_instances(
        CTX, {"containerInstances": [arn]}
    )["containerInstances"][0]
    return ci
