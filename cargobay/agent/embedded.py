"""``cargobay up``: the control plane and one agent in the same process and event loop.

The agent starts with the control plane's background loops and talks to it over HTTP on
its own endpoint, exactly as a separate ``cargobay agent`` would; its first
registration attempts run while the server is still binding its port and are retried
(bounded backoff) until it answers.  It registers in the cluster ``default`` (created
when absent) and echoes its tasks' log lines to stdout.  It signs with the root keys
(the operator's own machine) unless CARGOBAY_AGENT_USE_ENV_CREDENTIALS=1, when it takes
botocore's credential chain like ``cargobay agent``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from cargobay.agent.agent import Agent, AgentConfig
from cargobay.agent.credentials import USE_ENV_FLAG
from cargobay.app import App
from cargobay.config import Config

log = logging.getLogger("cargobay.agent")


def local_endpoint(config: Config) -> str:
    host = config.host
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{config.port}"


def agent_config_for(config: Config) -> AgentConfig:
    return AgentConfig(
        endpoint=local_endpoint(config),
        cluster="default",
        runtime=config.runtime,
        data_dir=os.path.join(config.data_dir, "agent") if config.data_dir else None,
        region=config.region,
        echo_logs=True,
        # the operator's own machine: the root keys, unless asked otherwise
        credential_chain=os.environ.get(USE_ENV_FLAG) == "1",
    )


class AppWithAgent(App):
    """The App, plus one embedded agent started after the services and stopped first."""

    def __init__(self, config: Config, agent_config: AgentConfig | None = None) -> None:
        super().__init__(config)
        self.agent = Agent(agent_config or agent_config_for(config), clock=self.clock)
        self._agent_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._agent_task = asyncio.create_task(self._run_agent(), name="embedded-agent")

    async def _run_agent(self) -> None:
        try:
            await self.agent.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the embedded agent stopped")

    async def stop(self) -> None:
        if self._agent_task is not None:
            self._agent_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._agent_task
        await super().stop()
