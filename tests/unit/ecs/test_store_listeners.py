from __future__ import annotations

import asyncio

from cargobay.services.ecs.store_listeners import StoreListeners
from cargobay.store.memory import MemoryStore


def test_listeners_hear_only_their_store_until_they_stop() -> None:
    a, b = MemoryStore(), MemoryStore()
    signals = StoreListeners()
    heard: list[str] = []
    wake = asyncio.Event()
    signals.listen(a, lambda: heard.append("a"))
    signals.listen(a, wake.set)
    signals.listen(b, lambda: heard.append("b"))
    signals.notify(a)
    assert heard == ["a"] and wake.is_set()
    wake.clear()
    signals.unlisten(a, wake.set)  # an equal bound method is the same listener
    signals.unlisten(b, wake.set)  # not listening there: nothing happens
    signals.notify(a)
    signals.notify(b)
    assert heard == ["a", "a", "b"] and not wake.is_set()


def test_a_listener_may_stop_listening_while_notified() -> None:
    store = MemoryStore()
    signals = StoreListeners()
    heard: list[int] = []

    def once() -> None:
        heard.append(1)
        signals.unlisten(store, once)

    signals.listen(store, once)
    signals.listen(store, lambda: heard.append(2))
    signals.notify(store)
    signals.notify(store)
    assert heard == [1, 2, 2]
