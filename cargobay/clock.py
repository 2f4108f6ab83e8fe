"""The only source of time in cargobay.

Every module asks a :class:`Clock` for the time and for sleeping; nothing else reads
``time.time()`` or calls ``asyncio.sleep()``.  :class:`RealClock` follows the wall
clock; :class:`SimClock` stands still until told to move (``advance``/``run_until``),
and then wakes every sleeper whose deadline has passed, in deadline order, so days of
timers replay in milliseconds and every run is the same.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import Any, Protocol


class Clock(Protocol):
    """What the rest of cargobay may know about time."""

    def now(self) -> float:
        """Seconds since the Unix epoch (wall clock, UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards, for durations and deadlines."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


def utc_datetime(clock: Clock) -> datetime:
    """The clock's current time as an aware UTC datetime."""
    return datetime.fromtimestamp(clock.now(), tz=UTC)


async def wait_event(clock: Clock, event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until ``event`` is set or ``seconds`` pass on ``clock`` (None: no limit).

    True if the event was set.  The loser of the race is cancelled and awaited, so
    nothing is left pending on the clock.  A cancellation of the caller that arrives
    while the loser is being awaited still propagates (``asyncio.wait`` never raises
    the waits' own CancelledError, only the caller's).  On a SimClock, one future
    that either side completes (:meth:`SimClock.wait_event`)."""
    if isinstance(clock, SimClock) and isinstance(getattr(event, "_waiters", None),
                                                  collections.deque):
        return await clock.wait_event(event, seconds)
    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(event.wait())]
    if seconds is not None:
        waits.append(asyncio.ensure_future(clock.sleep(seconds)))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
        await asyncio.wait(waits)
    return event.is_set()


async def real_sleep(seconds: float) -> None:
    """Wait ``seconds`` of real time, whatever clock the caller otherwise runs on.

    Only for watching what moves in real time however fast a simulated clock runs (a
    process's resident memory, polled to enforce its limit): on a SimClock, a poll every
    0.1 simulated second would cost 864,000 wake-ups per simulated day."""
    await asyncio.sleep(seconds)


def perf_counter() -> float:
    """A high-resolution counter for measuring how long real work took (benchmarks, logs).

    Not for deciding anything: simulated runs must not depend on it.
    """
    return time.perf_counter()


#: SimClock settling: the most loop turns after one wake-up (see SimClock._settle), and
#: the fixed number of turns on an event loop whose ready queue cannot be seen
SETTLE_MAX = 1000
SETTLE_TURNS = 8


class RealClock:
    """The wall clock."""

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class SimClock:
    """A clock that advances only when told.

    ``sleep`` parks the caller until ``advance``/``run_until`` moves the clock past its
    deadline.  Sleepers wake in deadline order (ties in the order they slept), and after
    each wake-up the event loop is given a chance to run what that wake-up scheduled,
    so a loop that sleeps again is seen before time moves further.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._mono = 0.0
        self._seq = itertools.count()
        self._sleepers: list[tuple[float, int, asyncio.Future[Any]]] = []
        #: how many sleepers ``advance``/``run_until`` have woken (for benchmarks)
        self.woken = 0

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), fut))
        try:
            await fut
        finally:
            if not fut.done():
                fut.cancel()

    async def wait_event(self, event: asyncio.Event, seconds: float | None) -> bool:
        """:func:`wait_event` without a task per side: one future, listed both among
        the event's waiters (what ``Event.wait`` does; ``set`` completes it) and among
        the sleepers (the clock completes it at the deadline).  The caller wakes once,
        whichever comes first.  Needs the event's ``_waiters`` deque (CPython's
        asyncio.Event; :func:`wait_event` checks)."""
        if event.is_set() or (seconds is not None and seconds <= 0):
            await asyncio.sleep(0)
            return event.is_set()
        waiters: collections.deque[asyncio.Future[Any]] = event._waiters
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiters.append(fut)
        if seconds is not None:
            heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), fut))
        try:
            await fut
        finally:
            if not fut.done():
                fut.cancel()
            with contextlib.suppress(ValueError):
                waiters.remove(fut)
        return event.is_set()

    def next_deadline(self) -> float | None:
        """Monotonic time of the earliest pending sleeper, if any."""
        self._drop_cancelled()
        return self._sleepers[0][0] if self._sleepers else None

    def pending(self) -> int:
        """How many sleepers are waiting."""
        self._drop_cancelled()
        return sum(1 for _, _, fut in self._sleepers if not fut.done())

    async def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``, waking sleepers on the way."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        await self.run_until(self._mono + seconds)

    async def run_until(self, mono_deadline: float) -> None:
        """Advance to the monotonic time ``mono_deadline``, waking each sleeper at its time."""
        await self._settle()
        while True:
            self._drop_cancelled()
            if not self._sleepers or self._sleepers[0][0] > mono_deadline:
                break
            when, _, fut = heapq.heappop(self._sleepers)
            self._set(when)
            if not fut.done():
                fut.set_result(None)
                self.woken += 1
            await self._settle()
        self._set(max(self._mono, mono_deadline))

    def _set(self, mono: float) -> None:
        if mono > self._mono:
            self._now += mono - self._mono
            self._mono = mono

    def _drop_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)

    @staticmethod
    async def _settle() -> None:
        """Let woken tasks run until they park again (on the clock, an event, I/O, a
        thread): loop turns until one ends with nothing ready to run, at most
        SETTLE_MAX of them (a task that yields forever must not stop the clock).  On an
        event loop that does not show its ready queue, SETTLE_TURNS turns."""
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        if not isinstance(ready, collections.deque):
            for _ in range(SETTLE_TURNS):
                await asyncio.sleep(0)
            return
        for _ in range(SETTLE_MAX):
            await asyncio.sleep(0)
            if not ready:
                return
