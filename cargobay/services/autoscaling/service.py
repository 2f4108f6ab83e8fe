"""EC2 Auto Scaling (query protocol), the subset ECS uses: launch configurations,
groups, instances, scaling activities.  An instance is a real ``cargobay agent``
process (agent_processes.py) that registers into the cluster its user data names.

Operations in mixins: launch_configs.py → groups.py → instances.py → reconciler.py (the
loop that launches and terminates); policies.py (simple and step scaling policies, run
by CloudWatch alarm actions: ``on_alarm_action``); tags.py (group tags).  State lives
in the store (``autoscaling.*``); agent processes are known by PID.

- **start**: instances whose agent is not running (the server stopped them, or the
  machine restarted) get a new agent process for the same instance id and data
  directory, so the agent re-registers as the same container instance; agents still
  running (the server was killed) are adopted by PID.  Then the loop starts.
- **stop**: SIGTERM to every instance's agent, SIGKILL to any still running after
  SHUTDOWN_WAIT seconds.
- **reset** (POST /_cargobay/reset): the same, without waiting (a thread finishes it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Any

from cargobay.clock import wait_event
from cargobay.protocol.base import RequestContext
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.services.autoscaling import iam_resources, names
from cargobay.services.autoscaling.agent_processes import AgentProcesses
from cargobay.services.autoscaling.base import TERMINATING
from cargobay.services.autoscaling.instance_credentials import PREFIX, InstanceCredentials
from cargobay.services.autoscaling.policies import PolicyOps
from cargobay.services.autoscaling.reconciler import ReconcileOps
from cargobay.services.autoscaling.tags import TagOps

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.autoscaling")

SHUTDOWN_WAIT = 10.0
#: seconds between passes when there is no group at all (a safety net: creating a
#: group wakes the loop)
IDLE_PAUSE = 60.0


class AutoScalingService(ReconcileOps, PolicyOps, TagOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.wake = asyncio.Event()
        self.processes = AgentProcesses(app.config.data_dir)
        self.credentials = InstanceCredentials(app)
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._restart_instances()
        self._loop = asyncio.create_task(self._run(), name="autoscaling-reconcile")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        pids = self._signal_all()
        if pids:
            await asyncio.to_thread(self.processes.wait_gone, pids, SHUTDOWN_WAIT)
        self.processes.cleanup()

    def reset(self) -> None:
        pids = self._signal_all()
        self.credentials.reset()
        if pids:
            threading.Thread(target=self.processes.wait_gone, args=(pids, SHUTDOWN_WAIT),
                             daemon=True, name="autoscaling-reset-reaper").start()

    def iam_resource_arns(self, ctx: RequestContext, operation: str,
                          params: dict[str, Any]) -> list[str] | None:
        return iam_resources.resource_arns(self.store, ctx, operation, params)

    async def handle_http(self, req: HttpRequest) -> HttpResponse | None:
        if req.path.startswith(PREFIX):
            return self.credentials.handle(req)
        return None

    # -- internals ---------------------------------------------------------------------
    def _signal_all(self) -> list[int]:
        """SIGTERM every instance agent (children and adopted ones)."""
        return self.processes.terminate_all(sorted(set(self.processes.running())))

    def _restart_instances(self) -> None:
        for _, inst in list(self.store.scan(names.INSTANCES, "")):
            if inst["LifecycleState"] == TERMINATING:
                continue
            if self.processes.alive(inst.get("pid"), inst["InstanceId"]):
                self.processes.adopt(int(inst["pid"]), inst["InstanceId"])
                log.info("adopted the agent of %s (pid %s)", inst["InstanceId"], inst["pid"])
                continue
            self._spawn(inst)

    async def _run(self) -> None:
        while True:
            self.wake.clear()
            try:
                await self.reconcile()
            except Exception:  # keep the loop alive; the next pass retries
                log.exception("autoscaling reconcile pass failed")
            await wait_event(self.clock, self.wake, self._pause())

    def _pause(self) -> float:
        """Seconds to the next pass: ``interval`` while a group exists (its instances'
        agents are watched, its capacity kept); with no group, IDLE_PAUSE (an API call
        that creates one wakes the loop at once: ``poke``)."""
        return self.interval if next(iter(self.all_groups()), None) is not None else IDLE_PAUSE
