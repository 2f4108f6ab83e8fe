"""Finding processes by a word in their command line (the tests' view of "no process left")."""

from __future__ import annotations

import os


def pids_with(word: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if word.encode() in cmdline and state != b"Z":
            found.append(int(name))
    return found
