"""Run an Agent in a background thread with its own event loop (for the e2e tests)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from cargobay.agent.agent import Agent, AgentConfig


class AgentThread:
    def __init__(self, config: AgentConfig, *, memory_poll_interval: float = 0.05) -> None:
        self.config = config
        self.memory_poll_interval = memory_poll_interval
        self.agent: Agent | None = None
        self.loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._ready = threading.Event()
        self.error: BaseException | None = None

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            runtime: Any = None
            if self.config.runtime == "process":
                from cargobay.agent.runtime.process import ProcessRuntime
                from cargobay.clock import RealClock

                runtime = ProcessRuntime(
                    RealClock(), memory_poll_interval=self.memory_poll_interval
                )
            self.agent = Agent(self.config, runtime=runtime)
            self._task = asyncio.current_task()  # type: ignore[assignment]
            self._ready.set()
            await self.agent.run()

        try:
            self.loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        except BaseException as e:  # surfaced by stop()
            self.error = e
            self._ready.set()
        finally:
            self.loop.close()

    def start(self, timeout: float = 20.0) -> AgentThread:
        self._thread.start()
        assert self._ready.wait(timeout)
        deadline = time.monotonic() + timeout
        while self.agent is None or not self.agent.registered.is_set():
            if self.error is not None:
                raise self.error
            assert time.monotonic() < deadline, "agent did not register"
            time.sleep(0.01)
        return self

    @property
    def instance_arn(self) -> str:
        assert self.agent is not None and self.agent.instance_arn is not None
        return self.agent.instance_arn

    def stop(self, timeout: float = 30.0) -> None:
        if self._task is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "agent did not stop"
        if self.error is not None and not isinstance(self.error, asyncio.CancelledError):
            raise self.error
