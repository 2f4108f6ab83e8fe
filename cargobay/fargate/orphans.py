"""Processes a killed server left behind (process runtime only).

The process runtime's containers are the server's children; a ``kill -9`` of the
server leaves them running, parentless.  Each container's environment names its own
metadata endpoint id (``ECS_CONTAINER_METADATA_URI_V4=…/v4/<token>``, the token kept in
the fleet's record of the task), so after a restart the fleet finds them in
``/proc/<pid>/environ`` and kills them (SIGKILL) before reporting the task STOPPED.
"""

from __future__ import annotations

import contextlib
import os
import signal

VARIABLE = b"ECS_CONTAINER_METADATA_URI_V4="


def find(tokens: set[str], proc: str = "/proc") -> list[int]:
    """Pids whose environment names one of ``tokens``' metadata endpoints."""
    if not tokens:
        return []
    wanted = {t.encode() for t in tokens}
    me = os.getpid()
    out: list[int] = []
    try:
        names = os.listdir(proc)
    except OSError:
        return []
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(os.path.join(proc, name, "environ"), "rb") as f:
                env = f.read()
        except OSError:
            continue
        for entry in env.split(b"\0"):
            if entry.startswith(VARIABLE) and entry.rsplit(b"/", 1)[-1] in wanted:
                out.append(int(name))
                break
    return out


def kill(tokens: set[str]) -> int:
    """SIGKILL every process of those containers; how many were found."""
    pids = find(tokens)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)
