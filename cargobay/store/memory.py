"""The in-memory store, and the index the SQLite store keeps in front of its file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sortedcontainers import SortedDict

from cargobay.store.base import Doc

_MISSING = object()


class MemoryStore:
    """Tables of documents held as JSON bytes in sorted dicts.

    Holding bytes (not dicts) makes every ``get`` an independent copy and keeps writes
    honest about what can be stored.  ``_on_commit`` lets a subclass persist each
    committed change set: a list of (table, key, bytes-or-None).
    """

    def __init__(self) -> None:
        self._tables: dict[str, SortedDict] = {}
        self._depth = 0
        self._pending: list[tuple[str, str, bytes | None]] = []
        self._undo: list[tuple[str, str, Any]] = []

    # -- reads -------------------------------------------------------------------
    def get(self, table: str, key: str) -> Doc | None:
        t = self._tables.get(table)
        raw = None if t is None else t.get(key)
        return None if raw is None else _load(raw)

    def scan(
        self, table: str, prefix: str = "", start_after: str | None = None
    ) -> Iterator[tuple[str, Doc]]:
        t = self._tables.get(table)
        if not t:
            return
        lo = prefix if start_after is None else max(prefix, start_after)
        keys = []
        for key in t.irange(minimum=lo):
            if not key.startswith(prefix):
                break
            if start_after is None or key > start_after:
                keys.append(key)
        for key in keys:
            raw = t.get(key)
            if raw is not None:
                yield key, _load(raw)

    def count(self, table: str, prefix: str = "") -> int:
        t = self._tables.get(table)
        if not t:
            return 0
        if not prefix:
            return len(t)
        n = 0
        for key in t.irange(minimum=prefix):
            if not key.startswith(prefix):
                break
            n += 1
        return n

    # -- writes ------------------------------------------------------------------
    def put(self, table: str, key: str, doc: Doc) -> None:
        raw = orjson.dumps(doc)
        self._write(table, key, raw)

    def delete(self, table: str, key: str) -> bool:
        t = self._tables.get(table)
        if t is None or key not in t:
            return False
        self._write(table, key, None)
        return True

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._rollback()
            raise
        self._depth -= 1
        if self._depth == 0:
            self._commit()

    def clear(self) -> None:
        self._tables.clear()
        self._pending.clear()
        self._undo.clear()

    def close(self) -> None:
        pass

    # -- internals ---------------------------------------------------------------
    def _write(self, table: str, key: str, raw: bytes | None) -> None:
        t = self._table(table)
        old = t.get(key, _MISSING)
        if raw is None:
            t.pop(key, None)
        else:
            t[key] = raw
        self._undo.append((table, key, old))
        self._pending.append((table, key, raw))
        if self._depth == 0:
            self._commit()

    def _commit(self) -> None:
        changes, self._pending = self._pending, []
        try:
            if changes:
                self._on_commit(changes)
        except BaseException:
            self._rollback()
            raise
        self._undo.clear()

    def _rollback(self) -> None:
        for table, key, old in reversed(self._undo):
            t = self._table(table)
            if old is _MISSING:
                t.pop(key, None)
            else:
                t[key] = old
        self._undo.clear()
        self._pending.clear()

    def _table(self, table: str) -> SortedDict:
        t = self._tables.get(table)
        if t is None:
            t = self._tables[table] = SortedDict()
        return t

    def _on_commit(self, changes: list[tuple[str, str, bytes | None]]) -> None:
        """Persist a committed change set (nothing to do in memory)."""

    def _load_raw(self, table: str, key: str, raw: bytes) -> None:
        self._table(table)[key] = raw


def _load(raw: bytes) -> Doc:
    doc: Doc = orjson.loads(raw)
    return doc
