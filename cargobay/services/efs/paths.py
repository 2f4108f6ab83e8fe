"""Where file systems live on disk, and keeping paths inside them.

Each file system is the directory ``<root>/<fs-id>``; ``<root>`` is
``CARGOBAY_EFS_ROOT`` when set (e.g. an NFS mount every host shares), else
``<data dir>/efs`` (a temporary directory when the server keeps no data directory).
Every path inside a file system (an access point's ``Path``, a volume's
``rootDirectory``) is resolved with symlinks followed and must stay inside the file
system's directory: :func:`confined` refuses ``..`` and links that lead out.
"""

from __future__ import annotations

import os
import tempfile

#: the operator's shared root for file systems (an NFS mount shared by several hosts)
ROOT_ENV = "CARGOBAY_EFS_ROOT"


class PathEscape(ValueError):
    """A path that would leave the directory it must stay in."""


def efs_root(data_dir: str | None) -> str:
    """The directory that holds every file system's directory (absolute)."""
    configured = os.environ.get(ROOT_ENV)
    if configured:
        return os.path.abspath(configured)
    if data_dir:
        return os.path.abspath(os.path.join(data_dir, "efs"))
    return os.path.join(tempfile.gettempdir(), f"cargobay-efs-{os.getuid()}")


def fs_dir(root: str, fs_id: str) -> str:
    return os.path.join(root, fs_id)


def has_dotdot(path: str) -> bool:
    return any(part == ".." for part in path.split("/"))


def confined(base: str, path: str) -> str:
    """``path`` (absolute inside ``base``, e.g. ``/data/x``) as a host path with every
    symlink resolved; PathEscape when it has a ``..`` or resolves outside ``base``."""
    if has_dotdot(path):
        raise PathEscape(f"path {path!r} must not contain '..'")
    real_base = os.path.realpath(base)
    real = os.path.realpath(os.path.join(real_base, path.lstrip("/")))
    if real != real_base and os.path.commonpath([real_base, real]) != real_base:
        raise PathEscape(f"path {path!r} resolves outside its file system")
    return real


def make_dirs(base: str, path: str, uid: int, gid: int, mode: int) -> str:
    """Create the missing directories of ``path`` under ``base`` with owner ``uid:gid``
    and ``mode`` (EFS's CreationInfo); the confined host path.  Ownership is set only
    when this process may (root); otherwise the directories belong to it."""
    current = os.path.realpath(base)
    for part in [p for p in path.split("/") if p]:
        nxt = os.path.join(current, part)
        if not os.path.lexists(nxt):
            os.mkdir(nxt)
            os.chmod(nxt, mode)
            if os.geteuid() == 0:
                os.chown(nxt, uid, gid)
        current = confined(base, os.path.relpath(nxt, os.path.realpath(base)))
    return confined(base, path)
