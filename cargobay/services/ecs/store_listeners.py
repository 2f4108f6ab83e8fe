"""Callbacks by store: a module's "something changed" signal that loops listen to
(capacity_waiting: a task started waiting; fargate_index: the Fargate set changed),
kept per store (by identity) so that two Apps in one process do not hear each other."""

from __future__ import annotations

from collections.abc import Callable

from cargobay.store import Store

Callback = Callable[[], None]


class StoreListeners:
    def __init__(self) -> None:
        self._by_store: dict[int, list[Callback]] = {}

    def listen(self, store: Store, callback: Callback) -> None:
        """Call ``callback`` (no arguments, must not block) on each :meth:`notify` of
        ``store``."""
        self._by_store.setdefault(id(store), []).append(callback)

    def unlisten(self, store: Store, callback: Callback) -> None:
        found = self._by_store.get(id(store), [])
        if callback in found:
            found.remove(callback)
        if not found:
            self._by_store.pop(id(store), None)

    def notify(self, store: Store) -> None:
        for callback in list(self._by_store.get(id(store), [])):
            callback()
