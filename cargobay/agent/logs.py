"""Container logs: one file per container under the agent's data dir, optionally echoed.

Every container's stdout and stderr go to ``<data-dir>/logs/<task-id>/<container>.log``
(the runtime writes it).  The agent embedded in ``cargobay up`` also echoes each new
line to its own stdout as ``[<task-id>/<container>] line``: :class:`LogEcho` follows the
files on the clock (every ``interval`` seconds) and prints whole lines only.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import TextIO

from cargobay.clock import Clock

MAX_LINE = 16 << 10


def log_path(data_dir: str, task_id: str, container: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in container)
    return os.path.join(data_dir, "logs", task_id, f"{safe}.log")


@dataclass
class _Followed:
    path: str
    prefix: str
    offset: int = 0
    partial: bytes = b""
    closing: bool = False


class LogEcho:
    """Prints new lines of followed log files, prefixed with ``[task-id/container]``."""

    def __init__(self, clock: Clock, out: TextIO | None = None, interval: float = 0.2) -> None:
        self.clock = clock
        self.out = out or sys.stdout
        self.interval = interval
        self._files: dict[str, _Followed] = {}

    def follow(self, path: str, task_id: str, container: str) -> None:
        if path not in self._files:
            self._files[path] = _Followed(path, f"[{task_id}/{container}] ")

    def unfollow(self, path: str) -> None:
        """Print what is left of ``path`` on the next pass, then stop following it."""
        f = self._files.get(path)
        if f is not None:
            f.closing = True

    async def run(self) -> None:
        while True:
            self.pump()
            await self.clock.sleep(self.interval)

    def pump(self) -> None:
        """One pass over every followed file."""
        for path, f in list(self._files.items()):
            self._read(f)
            if f.closing:
                if f.partial:
                    self._print(f, f.partial)
                del self._files[path]

    def _read(self, f: _Followed) -> None:
        try:
            with open(f.path, "rb") as fh:
                fh.seek(f.offset)
                data = fh.read(1 << 20)
        except OSError:
            return
        if not data:
            return
        f.offset += len(data)
        data = f.partial + data
        *lines, rest = data.split(b"\n")
        for line in lines:
            self._print(f, line)
        f.partial = rest if len(rest) < MAX_LINE else b""
        if len(rest) >= MAX_LINE:
            self._print(f, rest)

    def _print(self, f: _Followed, line: bytes) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.out.write(f.prefix + line.decode("utf-8", "replace").rstrip("\r") + "\n")
            self.out.flush()
