"""Amazon ECS (json 1.1): one class, its operations grouped by resource in mixins.

Background loops (agent liveness, the service scheduler, the CloudWatch metrics
publisher) start with the server
(``start``) and stop with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from cargobay.fargate.fleet import FargateFleet
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.services.ecs import agent_credentials, fargate_spot
from cargobay.services.ecs.account_settings import AccountSettingOps
from cargobay.services.ecs.capacity_providers import CapacityProviderOps
from cargobay.services.ecs.capacity_scaling import CapacityScaler
from cargobay.services.ecs.clusters import ClusterOps
from cargobay.services.ecs.instances import InstanceOps
from cargobay.services.ecs.metrics_publisher import MetricsPublisher
from cargobay.services.ecs.services import ServiceOps
from cargobay.services.ecs.tags import TagOps
from cargobay.services.ecs.task_definitions import TaskDefinitionOps
from cargobay.services.ecs.tasks import TaskOps

if TYPE_CHECKING:
    from cargobay.app import App


class EcsService(
    ServiceOps,
    TaskOps,
    InstanceOps,
    ClusterOps,
    CapacityProviderOps,
    TaskDefinitionOps,
    TagOps,
    AccountSettingOps,
):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self._loops: list[asyncio.Task[None]] = []
        self.init_scheduler()
        #: runs the FARGATE tasks (cargobay/fargate/fleet.py)
        self.fargate = FargateFleet(app)
        #: CPUUtilization & co. to CloudWatch once a minute (metrics_publisher)
        self.metrics = MetricsPublisher(app, self._running_count)
        #: managed scaling of Auto Scaling group capacity providers (capacity_scaling)
        self.capacity = CapacityScaler(app, self.find_task_definition)
        #: FARGATE_SPOT interruptions on the clock (fargate_spot.py)
        self.spot = fargate_spot.SpotInterrupter(app)

    async def start(self) -> None:
        self._loops = [
            asyncio.create_task(self.liveness_loop(), name="ecs-liveness"),
            asyncio.create_task(self.scheduler_loop(), name="ecs-scheduler"),
            asyncio.create_task(self.metrics.run(), name="ecs-metrics"),
            asyncio.create_task(self.capacity.run(), name="ecs-capacity"),
            asyncio.create_task(self.capacity.place_loop(), name="ecs-capacity-waiting"),
            asyncio.create_task(self.spot.run(), name="ecs-fargate-spot"),
        ]
        await self.fargate.start()

    def _running_count(self, service_key: str) -> int:
        return sum(1 for t in self._index.of(service_key).values() if t.last_status == "RUNNING")

    def reset(self) -> None:
        super().reset()
        self.fargate.reset()
        self.capacity.reset()
        self.app.agent_channel.usage.clear()  # the tasks the samples were of are gone

    async def stop(self) -> None:
        await self.fargate.stop()
        for t in self._loops:
            t.cancel()
        for t in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._loops = []

    async def handle_http(self, req: HttpRequest) -> HttpResponse | None:
        """``/_cargobay/ecs/agent/…``: what agents fetch for their tasks (role credentials,
        secrets); None for any other path."""
        if req.path in agent_credentials.PATHS:
            return await agent_credentials.handle(self.app, req)
        if req.path == fargate_spot.PATH:
            return await fargate_spot.handle(self.app, req)
        return None
