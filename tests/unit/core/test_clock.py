from __future__ import annotations

import asyncio

import pytest

from cargobay.clock import RealClock, SimClock, utc_datetime


def test_sim_clock_stands_still_until_told() -> None:
    clock = SimClock(start=1000.0)
    assert clock.now() == 1000.0
    assert clock.monotonic() == 0.0
    assert clock.now() == 1000.0


def test_sleepers_wake_in_deadline_order_at_their_own_time() -> None:
    async def main() -> list[tuple[str, float]]:
        clock = SimClock(start=0.0)
        woke: list[tuple[str, float]] = []

        async def sleeper(name: str, delay: float) -> None:
            await clock.sleep(delay)
            woke.append((name, clock.now()))

        tasks = [asyncio.create_task(sleeper(n, d)) for n, d in [("c", 30), ("a", 10), ("b", 20)]]
        await clock.advance(15)
        assert woke == [("a", 10.0)]
        assert clock.now() == 15.0
        await clock.advance(100)
        await asyncio.gather(*tasks)
        return woke

    assert asyncio.run(main()) == [("a", 10.0), ("b", 20.0), ("c", 30.0)]


def test_a_loop_replays_a_day_of_minutes_exactly() -> None:
    async def main() -> int:
        clock = SimClock(start=0.0)
        ticks = 0

        async def every_minute() -> None:
            nonlocal ticks
            while True:
                await clock.sleep(60)
                ticks += 1

        task = asyncio.create_task(every_minute())
        await clock.advance(86_400)
        task.cancel()
        return ticks

    assert asyncio.run(main()) == 1440


def test_cancelled_sleeper_is_dropped() -> None:
    async def main() -> int:
        clock = SimClock()
        task = asyncio.create_task(clock.sleep(5))
        await asyncio.sleep(0)
        assert clock.pending() == 1
        task.cancel()
        await asyncio.sleep(0)
        return clock.pending()

    assert asyncio.run(main()) == 0


def test_clock_cannot_go_backwards() -> None:
    with pytest.raises(ValueError):
        asyncio.run(SimClock().advance(-1))


def test_real_clock_sleeps_and_reads_wall_time() -> None:
    clock = RealClock()
    before = clock.monotonic()
    asyncio.run(clock.sleep(0.01))
    assert clock.monotonic() - before >= 0.009
    assert utc_datetime(clock).year >= 2024


def test_wait_event_returns_on_the_event_or_the_clock() -> None:
    from cargobay.clock import wait_event

    async def main() -> tuple[bool, float, bool, float, int]:
        clock = SimClock(start=0.0)
        event = asyncio.Event()
        timed = asyncio.create_task(wait_event(clock, event, 30))
        await clock.advance(30)
        by_clock = await timed
        t1 = clock.now()
        woken = asyncio.create_task(wait_event(clock, event, 1000))
        await asyncio.sleep(0)
        event.set()
        by_event = await woken
        return by_clock, t1, by_event, clock.now(), clock.pending()

    assert asyncio.run(main()) == (False, 30.0, True, 30.0, 0)
