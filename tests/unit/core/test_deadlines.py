from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cargobay.clock import SimClock
from cargobay.services import deadlines
from cargobay.services.deadlines import DeadlineLoop, DeadlineQueue, Recurring
from cargobay.store.memory import MemoryStore


def test_queue_gives_due_keys_earliest_first_ties_in_the_order_set() -> None:
    q = DeadlineQueue()
    q.set("c", 30.0)
    q.set("b", 10.0)
    q.set("a", 10.0)
    q.set("d", 50.0)
    assert q.next_deadline() == 10.0
    assert q.pop_due(30.0) == [(10.0, "b"), (10.0, "a"), (30.0, "c")]
    assert len(q) == 1 and "d" in q and "a" not in q
    assert q.pop_due(49.9) == []
    assert q.next_deadline() == 50.0


def test_queue_replaced_and_discarded_deadlines_are_skipped() -> None:
    q = DeadlineQueue()
    q.set("a", 10.0)
    q.set("b", 20.0)
    q.set("a", 40.0)  # moved later: its old entry at 10 is stale
    q.set("c", 5.0)
    q.discard("c")
    assert q.get("a") == 40.0 and q.get("c") is None
    assert q.next_deadline() == 20.0
    assert q.pop_due(30.0) == [(20.0, "b")]
    assert q.pop_due(40.0) == [(40.0, "a")]
    assert q.next_deadline() is None and len(q) == 0


def test_queue_limit_and_prefix() -> None:
    q = DeadlineQueue()
    for i in range(5):
        q.set(f"x/{i}", float(i))
    q.set("y/0", 0.5)
    q.discard_prefix("x/")
    assert len(q) == 1
    for i in range(5):
        q.set(f"z/{i}", 1.0)
    assert [k for _, k in q.pop_due(10.0, limit=2)] == ["y/0", "z/0"]
    assert [k for _, k in q.pop_due(10.0, limit=10)] == ["z/1", "z/2", "z/3", "z/4"]


def test_queue_compacts_a_heap_of_mostly_stale_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadlines, "COMPACT_MIN", 16)
    q = DeadlineQueue()
    for i in range(100):
        q.set("a", float(i))
    assert len(q._heap) < 16
    assert q.pop_due(1000.0) == [(99.0, "a")]


def test_loop_hands_out_due_keys_on_time_and_survives_a_failing_handler() -> None:
    async def main() -> list[tuple[float, str, float]]:
        clock = SimClock(start=0.0)
        seen: list[tuple[float, str, float]] = []

        async def handle(due: list[tuple[float, str]]) -> None:
            for at, key in due:
                seen.append((at, key, clock.now()))
                if key == "boom":
                    raise RuntimeError("handler bug")

        loop = DeadlineLoop(clock, "test-loop", handle, batch=2)
        loop.queue.set("a", 10.0)  # before start: seen once the loop runs
        await loop.start()
        loop.schedule("boom", 20.0)
        loop.schedule("b", 30.0)
        loop.schedule("c", 30.0)
        loop.schedule("d", 30.0)
        await clock.advance(25)
        loop.schedule("e", 26.0)  # sooner than the deadline the loop waits for
        loop.queue.discard("d")
        await clock.advance(100)
        await loop.stop()
        loop.schedule("late", 0.0)  # a stopped loop: kept, nothing runs
        assert loop.queue.get("late") == 0.0
        return seen

    assert asyncio.run(main()) == [
        (10.0, "a", 10.0), (20.0, "boom", 20.0), (26.0, "e", 26.0),
        (30.0, "b", 30.0), (30.0, "c", 30.0),
    ]


def test_loop_wakes_for_work_added_while_it_waits_forever() -> None:
    async def main() -> list[str]:
        clock = SimClock(start=0.0)
        seen: list[str] = []

        async def handle(due: list[tuple[float, str]]) -> None:
            seen.extend(k for _, k in due)

        loop = DeadlineLoop(clock, "test-loop", handle)
        await loop.start()
        await clock.advance(5)
        loop.schedule("now", clock.now())
        await clock.advance(0)
        after_wake = list(seen)
        loop.reset()
        loop.schedule("gone", 7.0)
        loop.reset()
        await clock.advance(10)
        await loop.stop()
        assert after_wake == ["now"]
        return seen

    assert asyncio.run(main()) == ["now"]


class EveryTen(Recurring):
    """Fires every 10 s after its document's ``start``; ``fail`` makes a firing raise."""

    def __init__(self, store: MemoryStore, clock: SimClock) -> None:
        super().__init__(store, clock, "t.docs", "test-recurring")
        self.fired: list[tuple[str, float]] = []

    def next_time(self, doc: dict[str, Any], now: float, since: float) -> float | None:
        start = float(doc["start"])
        return start + (max(0.0, since - start) // 10 + 1) * 10

    async def fire(self, key: str, t: float) -> None:
        doc = self.store.get(self.table, key)
        if doc is None:
            return
        self.fired.append((key, t))
        doc["_lastFired"] = t
        self.store.put(self.table, key, doc)
        self.plan(key, doc, after=t)
        if doc.get("fail"):
            raise RuntimeError("firing bug")


def test_recurring_fires_on_time_replans_and_does_not_repeat_after_a_restart() -> None:
    async def main() -> None:
        clock = SimClock(start=0.0)
        store = MemoryStore()
        store.put("t.docs", "a", {"start": 0.0})
        store.put("t.docs", "b", {"start": 5.0, "fail": True})
        rec = EveryTen(store, clock)
        await rec.start()
        assert rec.next_at("a") == 10.0 and rec.next_at("b") == 15.0
        await clock.advance(20)
        assert rec.fired == [("a", 10.0), ("b", 15.0), ("a", 20.0)]
        store.put("t.docs", "c", {"start": 21.0})
        rec.replan("c")
        store.delete("t.docs", "b")
        rec.replan("b")
        assert rec.next_at("b") is None
        await clock.advance(11)
        assert rec.fired[3:] == [("a", 30.0), ("c", 31.0)]
        await rec.stop()
        # a restart at 35: nothing fired again, the next firings come on time
        rec2 = EveryTen(store, clock)
        await clock.advance(4)
        await rec2.start()
        assert rec2.next_at("a") == 40.0 and rec2.next_at("c") == 41.0
        await clock.advance(6)
        await rec2.stop()
        assert rec2.fired == [("a", 40.0), ("c", 41.0)]

    asyncio.run(main())
