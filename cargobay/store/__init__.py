"""Durable state behind one small interface: ``Store``.

``open_store(None)`` gives an in-memory store (tests); ``open_store(path)`` an SQLite
store whose every acknowledged write is committed before the call returns.
"""

from cargobay.store.base import Store
from cargobay.store.memory import MemoryStore
from cargobay.store.sqlite import SqliteStore


def open_store(path: str | None) -> Store:
    """An SQLite store at ``path``, or an in-memory one when ``path`` is None."""
    return MemoryStore() if path is None else SqliteStore(path)


__all__ = ["MemoryStore", "SqliteStore", "Store", "open_store"]
