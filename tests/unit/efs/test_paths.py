"""Paths inside a file system stay inside it (`..` and symlinks resolved)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cargobay.services.efs.paths import PathEscape, confined, efs_root, make_dirs


def test_confined_resolves_inside(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert confined(str(tmp_path), "/") == str(tmp_path)
    assert confined(str(tmp_path), "/a/b") == str(tmp_path / "a" / "b")
    os.symlink(tmp_path / "a" / "b", tmp_path / "inner")
    assert confined(str(tmp_path), "/inner") == str(tmp_path / "a" / "b")


@pytest.mark.parametrize("path", ["/..", "/a/../..", "../x", "/a/.."])
def test_dotdot_refused(tmp_path: Path, path: str) -> None:
    with pytest.raises(PathEscape, match=r"must not contain '\.\.'"):
        confined(str(tmp_path), path)


def test_symlink_out_refused(tmp_path: Path) -> None:
    base = tmp_path / "fs"
    base.mkdir()
    os.symlink("/etc", base / "out")
    os.symlink("../", base / "up")
    for path in ("/out", "/up", "/out/passwd"):
        with pytest.raises(PathEscape, match="outside"):
            confined(str(base), path)


def test_prefix_sibling_is_outside(tmp_path: Path) -> None:
    (tmp_path / "fs").mkdir()
    (tmp_path / "fs2").mkdir()
    os.symlink(tmp_path / "fs2", tmp_path / "fs" / "s")
    with pytest.raises(PathEscape):
        confined(str(tmp_path / "fs"), "/s")


def test_make_dirs_sets_owner_and_mode(tmp_path: Path) -> None:
    got = make_dirs(str(tmp_path), "/x/y", 1234, 1235, 0o750)
    assert got == str(tmp_path / "x" / "y")
    for p in (tmp_path / "x", tmp_path / "x" / "y"):
        st = p.stat()
        assert stat.S_IMODE(st.st_mode) == 0o750
        if os.geteuid() == 0:
            assert (st.st_uid, st.st_gid) == (1234, 1235)


def test_make_dirs_will_not_follow_a_link_out(tmp_path: Path) -> None:
    base = tmp_path / "fs"
    base.mkdir()
    os.symlink(tmp_path, base / "x")
    with pytest.raises(PathEscape):
        make_dirs(str(base), "/x/y", 0, 0, 0o755)
    assert not (tmp_path / "y").exists()


def test_root_from_env_or_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CARGOBAY_EFS_ROOT", raising=False)
    assert efs_root(str(tmp_path)) == str(tmp_path / "efs")
    monkeypatch.setenv("CARGOBAY_EFS_ROOT", str(tmp_path / "nfs"))
    assert efs_root(str(tmp_path)) == str(tmp_path / "nfs")
