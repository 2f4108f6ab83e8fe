"""A server on a simulated clock, in this process (the uvicorn loop on a thread), for
the capacity provider runs with real agent processes."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

import uvicorn

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.server import AsgiApp
from cargobay.store.memory import MemoryStore
from tests.support import free_port, wait_healthy

#: real agents and boto3 sign with the wall clock, which SigV4 lets be 15 minutes off:
#: the simulated clock starts 14 minutes behind, so a run has ~29 simulated minutes
BEHIND = 14 * 60.0


class SimServer:
    def __init__(self, behind: float = BEHIND) -> None:
        cfg = Config()
        cfg.data_dir = None
        cfg.port = free_port()
        self.clock = SimClock(start=time.time() - behind)
        self.app = App(cfg, clock=self.clock, store=MemoryStore())
        self.url = f"http://127.0.0.1:{cfg.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            AsgiApp(self.app), host="127.0.0.1", port=cfg.port, lifespan="on",
            log_level="warning", access_log=False))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self.server.serve(),), daemon=True)

    def start(self) -> None:
        self.thread.start()
        wait_healthy(self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        # shutting down waits on the clock in places (reports drained, containers
        # stopped): keep it moving until the server's thread is done, so every service's
        # stop runs, down to Auto Scaling's, which stops the agent processes it started
        for _ in range(300):
            if not self.thread.is_alive():
                break
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.clock.advance(1), self.loop).result(1)
            self.thread.join(0.1)
        self.thread.join(timeout=30)

    def advance(self, seconds: float) -> None:
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), self.loop).result(30)

    def advance_until(self, check: Any, step: float, limit: int = 120) -> Any:
        """Advance ``step`` simulated seconds at a time (a short real pause between, for
        the agent processes) until ``check()`` is truthy; its value."""
        for _ in range(limit):
            got = check()
            if got:
                return got
            self.advance(step)
            time.sleep(0.2)
        raise AssertionError("not reached")
