"""What the processes of a session use, read from Linux's /proc in one pass.

The process runtime starts each container as the leader of a new session
(``start_new_session``), so its processes are the members of that session, whatever
process groups a shell makes inside it.  One scan of ``/proc/<pid>/stat`` serves every
container at once: it is cheap enough to repeat several times a second.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class SessionUsage:
    """Totals over the live members of one session."""

    rss_bytes: int = 0
    cpu_seconds: float = 0.0
    pids: list[int] = field(default_factory=list)
    groups: set[int] = field(default_factory=set)


def read_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 first), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses.
    return raw[raw.rfind(b")") + 2 :].decode("ascii", "replace").split()


#: pid → its session id, for every process seen.  A process's session never changes
#: except by setsid(), which makes it the leader of a new session named by its own pid
#: (never one of the sessions asked about, which are older), so a pid known to be in
#: another session is skipped without reading its stat.  Pids gone from /proc are
#: dropped on each scan, so a reused pid is read afresh.
_SESSION_OF: dict[int, int] = {}


def session_usage(sessions: Collection[int]) -> dict[int, SessionUsage]:
    """Memory, CPU time and members of each session id in ``sessions``.

    CPU time counts each live member's own time plus that of the children it has
    reaped (a finished child's time moves to its parent when reaped).
    """
    wanted = set(sessions)
    out = {sid: SessionUsage() for sid in wanted}
    if not wanted:
        return out
    live: set[int] = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        live.add(pid)
        known = _SESSION_OF.get(pid)
        if known is not None and known not in wanted and pid not in wanted:
            continue
        fields = read_stat(pid)
        # fields[0] is field 3 (state): pgrp is field 5, session 6, utime..cstime
        # 14..17, rss 24 (pages).
        if fields is None or len(fields) < 22:
            continue
        try:
            sid = int(fields[3])
        except ValueError:
            continue
        _SESSION_OF[pid] = sid
        usage = out.get(sid)
        if usage is None or fields[0] in ("Z", "X"):
            continue
        usage.pids.append(pid)
        usage.groups.add(int(fields[2]))
        usage.rss_bytes += int(fields[21]) * PAGE_SIZE
        usage.cpu_seconds += sum(int(v) for v in fields[11:15]) / CLOCK_TICKS
    for pid in [p for p in _SESSION_OF if p not in live]:
        del _SESSION_OF[pid]
    return out


def host_memory_bytes() -> int:
    """The machine's physical memory (Docker's limit for a container without one)."""
    return int(os.sysconf("SC_PHYS_PAGES")) * PAGE_SIZE
