"""wait_event on both clocks, and SimClock settling (cargobay/clock.py)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from cargobay.clock import SETTLE_MAX, RealClock, SimClock, wait_event


def test_sim_wait_event_returns_when_the_event_is_set_without_moving_the_clock() -> None:
    async def main() -> None:
        clock = SimClock(start=0.0)
        event = asyncio.Event()
        waiter = asyncio.create_task(wait_event(clock, event, 30.0))
        await clock.advance(5)
        assert not waiter.done()
        event.set()
        await clock.advance(0)
        assert waiter.done() and waiter.result() is True
        assert clock.now() == 5.0
        assert clock.pending() == 0  # its deadline is no longer waited for
        assert not event._waiters  # nor is the event

    asyncio.run(main())


def test_sim_wait_event_times_out_at_its_deadline() -> None:
    async def main() -> None:
        clock = SimClock(start=0.0)
        event = asyncio.Event()
        woke: list[float] = []

        async def waiter() -> None:
            assert await wait_event(clock, event, 30.0) is False
            woke.append(clock.now())

        task = asyncio.create_task(waiter())
        await clock.advance(29.5)
        assert woke == []
        await clock.advance(1)
        assert woke == [30.0]
        await task
        assert not event._waiters

    asyncio.run(main())


def test_wait_event_on_an_event_already_set_still_yields() -> None:
    async def main() -> None:
        clock = SimClock(start=0.0)
        event = asyncio.Event()
        event.set()
        turns = 0

        async def counter() -> None:
            nonlocal turns
            for _ in range(10):
                turns += 1
                await asyncio.sleep(0)

        other = asyncio.create_task(counter())
        assert await wait_event(clock, event, 10.0) is True
        assert turns >= 1  # the loop ran something else meanwhile
        other.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await other

    asyncio.run(main())


@pytest.mark.parametrize("clock_kind", ["sim", "real"])
@pytest.mark.parametrize("turns", range(8))
def test_a_cancelled_waiter_stays_cancelled_even_if_the_event_fires_just_before(
    clock_kind: str, turns: int,
) -> None:
    """The cancel of a loop's task must not be swallowed while wait_event tidies up
    (it used to be, when it landed while the losing sleep was awaited: the loop then
    ran on, and its service's stop() never returned)."""

    async def main() -> None:
        clock = SimClock() if clock_kind == "sim" else RealClock()
        event = asyncio.Event()

        async def loop() -> None:
            while True:
                event.clear()
                await wait_event(clock, event, 3600.0)

        task = asyncio.create_task(loop())
        for _ in range(3):
            await asyncio.sleep(0)
        event.set()
        for _ in range(turns):  # the cancel lands this many loop turns after the set
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=2)
        assert done and task.cancelled()

    asyncio.run(main())


def test_settling_runs_a_long_chain_of_awaits_before_time_moves() -> None:
    """Woken tasks run until they park again before time moves on, however many loop
    turns their chain of awaits takes (it used to be 8)."""

    async def main() -> None:
        clock = SimClock(start=0.0)
        seen: list[tuple[int, float]] = []

        async def chain() -> None:
            await clock.sleep(1)
            for i in range(50):
                await asyncio.sleep(0)
                seen.append((i, clock.now()))
            await clock.sleep(100)

        task = asyncio.create_task(chain())
        await clock.advance(10)
        assert len(seen) == 50 and {t for _, t in seen} == {1.0}
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_settling_is_bounded_by_a_task_that_never_parks() -> None:
    async def main() -> None:
        clock = SimClock(start=0.0)
        spins = 0

        async def spinner() -> None:
            nonlocal spins
            await clock.sleep(1)
            while True:
                spins += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(spinner())
        await clock.advance(2)  # returns: the spinner does not hold the clock forever
        assert clock.now() == 2.0
        assert SETTLE_MAX // 2 <= spins <= 3 * SETTLE_MAX
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())
