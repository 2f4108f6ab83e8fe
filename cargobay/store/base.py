"""The store interface: tables of JSON documents addressed by string keys.

Keys sort as strings, and ``scan`` walks them in that order, so a service chooses keys
that sort the way it lists (e.g. ``account/region/family/0000000042``).  Documents are
plain JSON-able dicts; ``get`` returns a fresh copy that the caller may change freely.
Writes outside ``batch()`` are durable when the call returns; inside ``batch()`` they
are durable, all together, when the outermost batch ends without an exception (and
none of them is kept if it raises).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

Doc = dict[str, Any]


class Store(Protocol):
    def get(self, table: str, key: str) -> Doc | None: ...

    def put(self, table: str, key: str, doc: Doc) -> None: ...

    def delete(self, table: str, key: str) -> bool:
        """Remove a document; True if it was there."""
        ...

    def scan(
        self, table: str, prefix: str = "", start_after: str | None = None
    ) -> Iterator[tuple[str, Doc]]:
        """Documents whose key starts with ``prefix``, in key order, after ``start_after``."""
        ...

    def count(self, table: str, prefix: str = "") -> int: ...

    def batch(self) -> AbstractContextManager[None]:
        """Group writes into one atomic, durable unit."""
        ...

    def clear(self) -> None:
        """Remove everything, in every table."""
        ...

    def close(self) -> None: ...
