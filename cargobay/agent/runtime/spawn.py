"""Start a child process cheaply and wait for it on the event loop.

``asyncio.create_subprocess_exec`` costs several milliseconds per child in a large
process (a watcher thread per child; uvloop forks the whole address space), which
dominated task launch.  :func:`spawn` uses :class:`subprocess.Popen` (vfork + exec)
and waits through a Linux pidfd watched by the loop, falling back to a thread where
pidfds are missing.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from typing import IO, Any


class Child:
    """A started child: ``pid`` and ``await wait()`` → its returncode."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._popen = popen
        self.pid = popen.pid
        self._done: asyncio.Future[int] | None = None

    async def wait(self) -> int:
        if self._done is None:
            self._done = self._watch()
        return await asyncio.shield(self._done)

    def _watch(self) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        try:
            fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            fut = loop.run_in_executor(None, self._popen.wait)
            fut.add_done_callback(lambda f: _settle(done, f))
            return done

        def ready() -> None:
            loop.remove_reader(fd)
            os.close(fd)
            rc = self._popen.poll()
            if rc is None:  # cannot happen once the pidfd is readable; be safe
                rc = self._popen.wait()
            if not done.done():
                done.set_result(rc)

        loop.add_reader(fd, ready)
        return done


def _settle(done: asyncio.Future[int], f: asyncio.Future[int]) -> None:
    if done.done():
        return
    if f.exception() is not None:
        done.set_exception(f.exception())  # type: ignore[arg-type]
    else:
        done.set_result(f.result())


def spawn(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    stdout: IO[bytes] | int,
    stderr: IO[bytes] | int,
    **kwargs: Any,
) -> Child:
    """Start ``argv`` in a new session; OSError if it cannot be executed."""
    popen = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        env=env,
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
        **kwargs,
    )
    return Child(popen)
