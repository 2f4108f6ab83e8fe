"""Keys that fall due at times, and one loop on the app clock that hands them out.

:class:`DeadlineQueue` holds at most one deadline per key: setting a key again replaces
its deadline and discarding a key forgets it (the heap entry left behind is stale and
skipped).  Keys due at the same time come out in the order they were set.

:class:`DeadlineLoop` is one asyncio task that pops the due keys (at most ``batch`` at a
time), awaits ``handle(due)`` with them, and otherwise waits on the clock
(:func:`cargobay.clock.wait_event`) until the next deadline or a :meth:`wake`.  A
handler that raises is logged and the loop goes on.

:class:`Recurring` is the base of the schedulers whose documents (in one store table)
fire again and again: EventBridge scheduled rules, Application Auto Scaling scheduled
actions.  Used with the EventBridge and SNS outboxes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from cargobay.clock import Clock, wait_event
from cargobay.store.base import Store

log = logging.getLogger("cargobay.deadlines")

#: a heap this much longer than the live keys (and at least COMPACT_MIN) is rebuilt
COMPACT_RATIO = 4
COMPACT_MIN = 1024

Doc = dict[str, Any]
Due = list[tuple[float, str]]
Handler = Callable[[Due], Awaitable[None]]


class DeadlineQueue:
    """Keys with one deadline each, earliest first."""

    def __init__(self) -> None:
        self._at: dict[str, float] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()

    def set(self, key: str, at: float) -> None:
        """Make ``key`` due at ``at`` (replacing its deadline, if it had one)."""
        self._at[key] = at
        heapq.heappush(self._heap, (at, next(self._seq), key))
        if len(self._heap) >= COMPACT_MIN and len(self._heap) > COMPACT_RATIO * len(self._at):
            self._compact()

    def discard(self, key: str) -> None:
        self._at.pop(key, None)

    def get(self, key: str) -> float | None:
        return self._at.get(key)

    def discard_prefix(self, prefix: str) -> None:
        """Forget every key that starts with ``prefix``."""
        for key in [k for k in self._at if k.startswith(prefix)]:
            del self._at[key]

    def __len__(self) -> int:
        return len(self._at)

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def clear(self) -> None:
        self._at.clear()
        self._heap.clear()

    def next_deadline(self) -> float | None:
        """The earliest deadline of a key still waiting (None: none waits)."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float, limit: int | None = None) -> Due:
        """Take out the keys due at ``now`` (at most ``limit``), earliest first."""
        due: Due = []
        while limit is None or len(due) < limit:
            self._drop_stale()
            if not self._heap or self._heap[0][0] > now:
                break
            at, _, key = heapq.heappop(self._heap)
            del self._at[key]
            due.append((at, key))
        return due

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and self._at.get(heap[0][2]) != heap[0][0]:
            heapq.heappop(heap)

    def _compact(self) -> None:
        self._heap = [e for e in self._heap if self._at.get(e[2]) == e[0]]
        heapq.heapify(self._heap)


class DeadlineLoop:
    """One task on ``clock`` that awaits ``handle(due)`` whenever keys of :attr:`queue`
    fall due.  :meth:`schedule` and :meth:`wake` reach a loop already waiting."""

    def __init__(self, clock: Clock, name: str, handle: Handler, *,
                 batch: int | None = None) -> None:
        self.clock = clock
        self.name = name
        self.queue = DeadlineQueue()
        self._handle = handle
        self._batch = batch
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def schedule(self, key: str, at: float) -> None:
        """Make ``key`` due at ``at`` and let the loop see it."""
        self.queue.set(key, at)
        self.wake()

    def wake(self) -> None:
        """Have the loop look again (a deadline moved, or work came in)."""
        if self._wake is not None:
            self._wake.set()

    def reset(self) -> None:
        self.queue.clear()

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(self._wake), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._wake = None

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            wake.clear()
            now = self.clock.now()
            due = self.queue.pop_due(now, self._batch)
            if due:
                try:
                    await self._handle(due)
                except Exception:  # keep the loop alive
                    log.exception("%s: handling %d due keys failed", self.name, len(due))
                continue
            at = self.queue.next_deadline()
            await wait_event(self.clock, wake, None if at is None else at - now)


class Recurring(ABC):
    """The documents of store table ``table`` that fire again and again.

    A key fires next at :meth:`next_time` ``(doc, now, since)``, where ``since`` is the
    later of now (or, just after a firing, its time) and the document's ``_lastFired``,
    so a restart neither repeats nor back-fills firings.  :meth:`fire` does the work; it
    should record ``_lastFired`` and call :meth:`plan` ``(key, doc, after=t)``."""

    def __init__(self, store: Store, clock: Clock, table: str, name: str) -> None:
        self.store = store
        self.clock = clock
        self.table = table
        #: key → next firing
        self.loop = DeadlineLoop(clock, name, self._fire_due)

    @abstractmethod
    def next_time(self, doc: Doc, now: float, since: float) -> float | None:
        """When ``doc`` fires next after ``since`` (None: never)."""

    @abstractmethod
    async def fire(self, key: str, t: float) -> None:
        """Carry out the firing of ``key`` due at ``t``."""

    def reset(self) -> None:
        self.loop.reset()

    async def start(self) -> None:
        self.reset()
        for key, doc in self.store.scan(self.table):
            self.plan(key, doc)
        await self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()

    def replan(self, key: str) -> None:
        """The document of ``key`` was put, changed or deleted."""
        self.loop.queue.discard(key)
        doc = self.store.get(self.table, key)
        if doc is not None:
            self.plan(key, doc)
        self.loop.wake()

    def next_at(self, key: str) -> float | None:
        return self.loop.queue.get(key)

    def plan(self, key: str, doc: Doc, after: float | None = None) -> None:
        now = self.clock.now()
        since = max(after if after is not None else now, float(doc.get("_lastFired", 0)))
        t = self.next_time(doc, now, since)
        if t is not None:
            self.loop.queue.set(key, t)

    async def _fire_due(self, due: Due) -> None:
        for t, key in due:
            try:
                await self.fire(key, t)
            except Exception:
                log.exception("%s: firing %s failed", self.loop.name, key)
        await self.clock.sleep(0)  # let other loops see what the firings started
