"""SQLite persistence: every committed change set is one SQLite transaction (WAL).

Reads are served from the in-memory index that :class:`MemoryStore` keeps, filled from
the file at start-up; writes go to the file before the API call that made them answers.
``synchronous=NORMAL`` in WAL mode means a committed write survives the death of the
process (kill -9) at once, and a power loss once the WAL is checkpointed.
"""

from __future__ import annotations

import itertools
import os
import sqlite3

from cargobay.store.memory import MemoryStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
"""


class SqliteStore(MemoryStore):
    def __init__(self, path: str) -> None:
        super().__init__()
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        self.path = path
        # the state holds secrets (IAM secret keys, task credentials tokens): owner only;
        # SQLite gives its -wal and -shm files the database file's mode
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for tbl, key, doc in self._db.execute("SELECT tbl, key, doc FROM docs"):
            self._load_raw(tbl, key, bytes(doc))

    def _on_commit(self, changes: list[tuple[str, str, bytes | None]]) -> None:
        db = self._db
        db.execute("BEGIN")
        try:
            # runs of puts and of deletes, each one executemany, in the order given
            for deleting, run in itertools.groupby(changes, key=lambda c: c[2] is None):
                if deleting:
                    db.executemany(
                        "DELETE FROM docs WHERE tbl = ? AND key = ?",
                        [(tbl, key) for tbl, key, _ in run],
                    )
                else:
                    db.executemany(
                        "INSERT OR REPLACE INTO docs (tbl, key, doc) VALUES (?, ?, ?)", run
                    )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def clear(self) -> None:
        super().clear()
        self._db.execute("DELETE FROM docs")

    def close(self) -> None:
        self._db.close()
