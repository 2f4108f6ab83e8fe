from __future__ import annotations

import os
from pathlib import Path

import pytest

from cargobay.store import MemoryStore, SqliteStore, Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    return SqliteStore(str(tmp_path / "state.db"))


def test_put_get_delete(store: Store) -> None:
    assert store.get("t", "k") is None
    store.put("t", "k", {"a": 1})
    assert store.get("t", "k") == {"a": 1}
    assert store.delete("t", "k") is True
    assert store.delete("t", "k") is False
    assert store.get("t", "k") is None


def test_get_returns_a_copy(store: Store) -> None:
    store.put("t", "k", {"a": [1]})
    doc = store.get("t", "k")
    assert doc is not None
    doc["a"].append(2)
    assert store.get("t", "k") == {"a": [1]}


def test_scan_prefix_order_and_start_after(store: Store) -> None:
    for key in ["b/2", "a/1", "b/1", "c/1", "b/3"]:
        store.put("t", key, {"k": key})
    assert [k for k, _ in store.scan("t", "b/")] == ["b/1", "b/2", "b/3"]
    assert [k for k, _ in store.scan("t", "b/", start_after="b/1")] == ["b/2", "b/3"]
    assert [k for k, _ in store.scan("t")] == ["a/1", "b/1", "b/2", "b/3", "c/1"]
    assert [k for k, _ in store.scan("t", start_after="b/3")] == ["c/1"]
    assert store.count("t", "b/") == 3
    assert store.count("t") == 5
    assert list(store.scan("other")) == []


def test_batch_is_atomic(store: Store) -> None:
    store.put("t", "keep", {"v": 1})
    with pytest.raises(RuntimeError), store.batch():
        store.put("t", "keep", {"v": 2})
        store.put("t", "new", {"v": 3})
        store.delete("t", "keep")
        raise RuntimeError("boom")
    assert store.get("t", "keep") == {"v": 1}
    assert store.get("t", "new") is None
    with store.batch():
        store.put("t", "a", {"v": 1})
        with store.batch():
            store.put("t", "b", {"v": 2})
    assert store.count("t") == 3


def test_clear(store: Store) -> None:
    store.put("t", "a", {})
    store.put("u", "b", {})
    store.clear()
    assert store.count("t") == 0 and store.count("u") == 0


def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    s = SqliteStore(path)
    s.put("t", "a", {"v": 1})
    with s.batch():
        s.put("t", "b", {"v": 2})
        s.delete("t", "a")
    s.put("u", "c", {"nested": {"x": [1, 2]}})
    # no close(): a process that dies keeps what it committed
    s2 = SqliteStore(path)
    assert s2.get("t", "a") is None
    assert s2.get("t", "b") == {"v": 2}
    assert s2.get("u", "c") == {"nested": {"x": [1, 2]}}
    s2.clear()
    assert SqliteStore(path).count("t") == 0
    assert os.path.exists(path)


def test_sqlite_rolled_back_batch_leaves_no_trace(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    s = SqliteStore(path)
    with pytest.raises(KeyError), s.batch():
        s.put("t", "a", {"v": 1})
        raise KeyError("x")
    assert SqliteStore(path).get("t", "a") is None


def test_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    # the state holds IAM secret keys and task credentials tokens
    path = tmp_path / "state.db"
    s = SqliteStore(str(path))
    s.put("t", "k", {"v": 1})
    for f in tmp_path.iterdir():
        assert f.stat().st_mode & 0o077 == 0, (f.name, oct(f.stat().st_mode))
    s.close()
    path.chmod(0o644)  # an older, wider file is narrowed when opened again
    SqliteStore(str(path)).close()
    assert path.stat().st_mode & 0o777 == 0o600
