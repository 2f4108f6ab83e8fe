"""Health status as Docker decides it, and the probe loop on a simulated clock."""

from __future__ import annotations

import asyncio

from cargobay.agent.runtime.base import HealthCheck, HealthStatus
from cargobay.agent.runtime.clocked import wait_for
from cargobay.agent.runtime.healthcheck import HealthTracker, run_health_checks
from cargobay.clock import SimClock

H, U, K = HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.UNKNOWN


def feed(check: HealthCheck, results: list[tuple[bool, float]]) -> list[HealthStatus]:
    tracker = HealthTracker(check, started=0.0)
    return [tracker.record(ok, at) for ok, at in results]


def test_one_passing_probe_makes_a_container_healthy() -> None:
    assert feed(HealthCheck(("CMD", "true")), [(True, 30.0)]) == [H]


def test_unhealthy_only_after_retries_consecutive_failures() -> None:
    check = HealthCheck(("CMD", "false"), retries=3)
    assert feed(check, [(False, 30), (False, 60), (False, 90)]) == [K, K, U]


def test_a_pass_resets_the_failure_streak() -> None:
    check = HealthCheck(("CMD", "x"), retries=2)
    got = feed(check, [(False, 1), (True, 2), (False, 3), (True, 4), (False, 5), (False, 6)])
    assert got == [K, H, H, H, H, U]


def test_an_unhealthy_container_turns_healthy_again_on_a_pass() -> None:
    check = HealthCheck(("CMD", "x"), retries=1)
    assert feed(check, [(False, 1), (True, 2)]) == [U, H]


def test_failures_in_the_start_period_do_not_count_before_the_first_pass() -> None:
    # ECS: "health check failures during [startPeriod] aren't counted toward the
    # maximum number of retries"; Docker: only while the container is still starting.
    check = HealthCheck(("CMD", "x"), retries=1, start_period=10)
    assert feed(check, [(False, 2), (False, 9.9), (False, 10.0)]) == [K, K, U]


def test_after_a_pass_in_the_start_period_failures_count() -> None:
    check = HealthCheck(("CMD", "x"), retries=1, start_period=60)
    assert feed(check, [(True, 5), (False, 10)]) == [H, U]


def test_zero_retries_means_dockers_default_of_three() -> None:
    check = HealthCheck(("CMD", "x"), retries=0)
    assert feed(check, [(False, 1), (False, 2), (False, 3)]) == [K, K, U]


def test_probes_run_interval_seconds_apart_on_the_clock() -> None:
    async def main() -> tuple[list[float], HealthStatus]:
        clock = SimClock(start=0.0)
        check = HealthCheck(("CMD", "x"), interval=5, timeout=1, retries=2)
        tracker = HealthTracker(check, started=clock.monotonic())
        times: list[float] = []

        async def probe(timeout: float) -> bool:
            assert timeout == 1
            times.append(clock.monotonic())
            return False

        task = asyncio.create_task(run_health_checks(clock, tracker, probe))
        await clock.advance(4.9)
        assert times == [] and tracker.status is K
        await clock.advance(12)
        task.cancel()
        return times, tracker.status

    times, status = asyncio.run(main())
    assert times == [5.0, 10.0, 15.0]
    assert status is U


def test_a_probe_that_cannot_run_is_a_failure() -> None:
    async def main() -> HealthStatus:
        clock = SimClock(start=0.0)
        tracker = HealthTracker(HealthCheck(("CMD", "x"), interval=1, retries=1), 0.0)

        async def probe(timeout: float) -> bool:
            raise FileNotFoundError("no such program")

        task = asyncio.create_task(run_health_checks(clock, tracker, probe))
        await clock.advance(1)
        task.cancel()
        return tracker.status

    assert asyncio.run(main()) is U


def test_wait_for_times_out_on_the_clock_not_on_the_wall() -> None:
    async def main() -> None:
        clock = SimClock(start=0.0)
        never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        pending = asyncio.create_task(wait_for(clock, never, 30))
        await asyncio.sleep(0.01)
        assert not pending.done()
        await clock.advance(30)
        try:
            await pending
        except TimeoutError:
            pass
        else:
            raise AssertionError("expected a timeout")
        assert not never.cancelled()  # a future passed in is left for its other waiters

        soon: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(soon.set_result, 5)
        assert await wait_for(clock, soon, 30) == 5

    asyncio.run(main())
