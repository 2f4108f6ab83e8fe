"""The scheduler when nothing happens (scheduler.py scheduler_loop): full passes every
IDLE_PERIOD while every service is steady, at once on a change, and on time for what
is due later (the steady state said again after six hours, a cluster with no instance
getting one).  The harness is test_scheduler_sim's."""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs import scheduler
from cargobay.services.ecs.service_events import DUPLICATE_WINDOW
from tests.unit.ecs.test_scheduler_sim import CTX, Plane, run

STEADY = "(service web) has reached a steady state."


def count_full_passes(p: Plane) -> list[float]:
    """The clock times of the scheduler's full passes from now on."""
    seen: list[float] = []
    original = p.ecs.reconcile

    def counting(only: set[str] | None = None, *args: Any, **kw: Any) -> bool:
        if only is None:
            seen.append(p.clock.now())
        result: bool = original(only, *args, **kw)
        return result

    p.ecs.reconcile = counting
    return seen


def test_steady_services_cost_a_full_pass_every_idle_period_and_changes_act_at_once() -> None:
    async def scenario(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.create(desiredCount=2)
        await p.settle()
        await p.converge()
        assert p.messages()[-1] == STEADY
        full = count_full_passes(p)
        await p.settle(1800)
        expected = 1800 / scheduler.IDLE_PERIOD
        assert expected - 2 <= len(full) <= expected + 2, len(full)
        # a change wakes the loop: the new task is placed without the clock moving
        p.update(desiredCount=3)
        await p.settle()
        assert len(p.tasks()) == 3
        # while the deployment is in progress the full passes come every PERIOD again
        before = len(full)
        await p.settle(5)
        assert len(full) - before >= 4

    run(scenario)


def test_the_steady_state_is_said_again_after_six_hours_on_time() -> None:
    async def scenario(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.create(desiredCount=0)
        await p.settle()
        steady_at = p.service()["events"][0]["createdAt"]
        await p.settle(scheduler.STEADY_REPEAT - 10)
        assert p.messages().count(STEADY) == 1
        await p.settle(11)  # the full pass due at six hours comes within PERIOD of it
        events = [e for e in p.service()["events"] if e["message"] == STEADY]
        assert len(events) == 2
        again = events[0]["createdAt"] - steady_at
        assert scheduler.STEADY_REPEAT <= again <= scheduler.STEADY_REPEAT + scheduler.PERIOD

    run(scenario)


def test_a_service_in_a_cluster_without_instances_waits_for_one_to_register() -> None:
    async def scenario(p: Plane) -> None:
        p.taskdef()
        p.create(desiredCount=1)
        await p.settle()
        unable = [m for m in p.messages() if "unable to place a task" in m]
        assert len(unable) == 1
        full = count_full_passes(p)
        await p.settle(600)
        assert len(full) <= 600 / scheduler.IDLE_PERIOD + 2  # not one a second
        p.host()  # RegisterContainerInstance wakes the loop: placed at once
        await p.settle()
        assert len(p.tasks()) == 1
        assert p.tasks()[0]["lastStatus"] == "PENDING"

    run(scenario)


def test_without_instances_the_placement_failure_is_said_again_after_six_hours() -> None:
    async def scenario(p: Plane) -> None:
        p.taskdef()
        p.create(desiredCount=1)
        await p.settle()
        await p.settle(DUPLICATE_WINDOW + 2 * scheduler.PERIOD)
        unable = [e for e in p.service()["events"] if "unable to place a task" in e["message"]]
        assert len(unable) == 2
        gap = unable[0]["createdAt"] - unable[1]["createdAt"]
        assert DUPLICATE_WINDOW <= gap <= DUPLICATE_WINDOW + scheduler.PERIOD
        assert p.ecs.list_services(CTX, {})["serviceArns"]

    run(scenario)
