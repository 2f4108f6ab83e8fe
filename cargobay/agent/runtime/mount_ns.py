"""Volumes for the process runtime: a private mount namespace with bind mounts.

As root, a container's command runs under util-linux's ``unshare --mount
--propagation private``: a small ``/bin/sh`` script bind-mounts each volume's host
directory on its containerPath (``mount --bind``, then ``mount -o remount,bind,ro``
for a read-only one) and execs the command, so the paths are real for the container's
processes only and vanish with them.  A containerPath missing on the host is created
(an empty directory: mount points need one).

Without root there is no mount namespace: each containerPath that does not exist yet
becomes a symlink to the volume's directory (left in place afterwards), read-only is
not enforced, and a containerPath that already exists is refused
(CannotStartContainerError).  docs/differences.md says so.
"""

from __future__ import annotations

import os
import shlex
import shutil

from cargobay.agent.runtime.base import DEFAULT_PATH, CannotStartContainerError, Mount


def mount_prefix(mounts: list[Mount], cwd: str = "/") -> list[str]:
    """The argv prefix that runs a command with ``mounts`` in place, in ``cwd`` ([] when
    none: the caller starts the command in ``cwd`` itself)."""
    if not mounts:
        return []
    for m in mounts:
        if m.docker_volume:
            raise CannotStartContainerError(f"Docker volume {m.source} needs the docker runtime")
        if not m.target.startswith("/") or ".." in m.target.split("/"):
            raise CannotStartContainerError(
                f"invalid containerPath {m.target!r}: must be absolute, without '..'"
            )
        if not os.path.isdir(m.source):
            raise CannotStartContainerError(f"volume source {m.source} is not a directory")
    if os.geteuid() != 0:
        _symlinks(mounts)
        return []
    unshare = shutil.which("unshare", path=DEFAULT_PATH)
    if unshare is None:
        raise CannotStartContainerError("volumes need util-linux's unshare, not found")
    lines = ["set -e"]
    for m in mounts:
        src, dst = shlex.quote(m.source), shlex.quote(m.target)
        lines.append(f"[ -d {dst} ] || mkdir -p {dst}")
        lines.append(f"mount --bind {src} {dst}")
        if m.read_only:
            lines.append(f"mount -o remount,bind,ro {dst}")
    lines.append(f"cd {shlex.quote(cwd)}")
    lines.append('exec "$@"')
    return [
        unshare,
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        "\n".join(lines),
        "cargobay-mounts",
    ]


def _symlinks(mounts: list[Mount]) -> None:
    for m in mounts:
        if os.path.islink(m.target) and os.path.realpath(m.target) == os.path.realpath(m.source):
            continue
        if os.path.lexists(m.target):
            raise CannotStartContainerError(
                f"containerPath {m.target} exists: without root the process runtime can only "
                "link a volume at a path that does not exist"
            )
        try:
            os.makedirs(os.path.dirname(m.target), exist_ok=True)
            os.symlink(m.source, m.target)
        except OSError as e:
            raise CannotStartContainerError(
                f"cannot link volume at {m.target}: {e.strerror or e}"
            ) from None


def host_view(path: str, mounts: list[Mount]) -> str:
    """Where the container's ``path`` is on the host (inside a volume: under its
    source), for checks made before the namespace exists."""
    best: Mount | None = None
    for m in mounts:
        target = m.target.rstrip("/") or "/"
        inside = path == target or path.startswith(target + "/")
        if inside and (best is None or len(target) > len(best.target.rstrip("/"))):
            best = m
    if best is None or best.docker_volume:
        return path
    rest = path[len(best.target.rstrip("/")) :].lstrip("/")
    return os.path.join(best.source, rest) if rest else best.source
