"""The liveness loop looks only where something can be due (liveness.py), yet every
timeout lands on the grid point where a loop looking every period would have seen it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from tests.unit.ecs.test_task_lifecycle import CTX, START, poll, register, stored


@pytest.fixture
def plane() -> Iterator[tuple[App, Any, SimClock]]:
    clock = SimClock(START)
    app = App(Config(data_dir=None, agent_timeout=30, agent_task_timeout=300), clock=clock)
    ecs: Any = app.services["ecs"]
    ecs.create_cluster(CTX, {})
    ecs.register_task_definition(CTX, {"family": "web", "containerDefinitions": [
        {"name": "app", "image": "x", "memory": 128, "cpu": 128}]})
    yield app, ecs, clock
    app.store.close()


def count_ticks(ecs: Any, clock: SimClock) -> list[float]:
    seen: list[float] = []
    original = ecs.liveness_tick

    def counting(now: float, **kw: Any) -> float:
        seen.append(clock.now())
        result: float = original(now, **kw)
        return result

    ecs.liveness_tick = counting
    return seen


def test_a_quiet_control_plane_looks_a_few_times_a_minute_not_every_period(
    plane: tuple[App, Any, SimClock],
) -> None:
    _, ecs, clock = plane

    async def scenario() -> None:
        ticks = count_ticks(ecs, clock)
        loop = asyncio.create_task(ecs.liveness_loop())
        try:
            await clock.advance(3600)  # no instance at all
            # every min(agent_timeout, IDLE_WAKE) at most (on the 5 s grid: 35 s), not
            # every 5 s
            assert 3600 / 40 <= len(ticks) <= 3600 / 30 + 1
        finally:
            loop.cancel()

    asyncio.run(scenario())


def test_timeouts_land_on_the_same_grid_point_as_with_a_look_every_period(
    plane: tuple[App, Any, SimClock],
) -> None:
    """agent_timeout 30 s → the loop's grid is 5 s.  Last poll at START+2: silent for
    more than 30 s first at the grid point START+35; disconnected, its task is stopped
    at the first grid point past START+302 (the task timeout, 300 s): START+305."""
    app, ecs, clock = plane
    arn = register(ecs)

    async def scenario() -> None:
        loop = asyncio.create_task(ecs.liveness_loop())
        try:
            t = ecs.run_task(CTX, {"taskDefinition": "web"})["tasks"][0]["taskArn"]
            ecs.submit_task_state_change(CTX, {"task": t, "status": "RUNNING"})
            await clock.advance(2)
            await poll(app, arn, 999, 0)
            await clock.advance(32.9)  # START + 34.9
            ci = ecs.describe_container_instances(
                CTX, {"containerInstances": [arn]})["containerInstances"][0]
            assert ci["agentConnected"] is True
            await clock.advance(0.2)  # START + 35.1
            ci = ecs.describe_container_instances(
                CTX, {"containerInstances": [arn]})["containerInstances"][0]
            assert ci["agentConnected"] is False
            await clock.advance(304.9 - 35.1)
            assert stored(app, t)["lastStatus"] == "RUNNING"
            await clock.advance(0.2)
            task = stored(app, t)
            assert task["lastStatus"] == "STOPPED"
            assert task["stoppedAt"] == START + 305
        finally:
            loop.cancel()

    asyncio.run(scenario())


def test_a_stopped_task_is_purged_at_the_first_minute_past_its_hour(
    plane: tuple[App, Any, SimClock],
) -> None:
    app, ecs, clock = plane
    register(ecs)

    async def scenario() -> None:
        ticks = count_ticks(ecs, clock)
        loop = asyncio.create_task(ecs.liveness_loop())
        try:
            t = ecs.run_task(CTX, {"taskDefinition": "web"})["tasks"][0]["taskArn"]
            ecs.submit_task_state_change(CTX, {"task": t, "status": "RUNNING"})
            await clock.advance(100)
            ecs.stop_task(CTX, {"task": t})
            ecs.submit_task_state_change(CTX, {"task": t, "status": "STOPPED"})
            stopped_at = stored(app, t)["stoppedAt"]
            assert stopped_at == START + 100
            # purges every minute from the loop's start: START+3720 is the first past
            # START+3700
            await clock.advance(3719.9 - 100)
            assert app.store.get("ecs.tasks", "000000000000/us-east-1/default/"
                                 + t.rsplit("/", 1)[1]) is not None
            await clock.advance(0.2)
            assert app.store.get("ecs.tasks", "000000000000/us-east-1/default/"
                                 + t.rsplit("/", 1)[1]) is None
            assert len(ticks) < 3720 / 5 / 2  # far fewer looks than one per period
        finally:
            loop.cancel()

    asyncio.run(scenario())

