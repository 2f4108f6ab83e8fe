"""Application Auto Scaling (json 1.1, ``AnyScaleFrontendService``) for ECS services.

One class, its operations grouped in mixins: scalable targets (targets.py), scaling
policies (policies.py) and the alarms target tracking owns (tt_alarms.py), scheduled
actions (scheduled.py) run by a loop on the app clock (scheduler.py), activities
(activities.py) and tags (tags.py).  CloudWatch carries out alarm actions naming a
policy ARN by calling :meth:`on_alarm_action` (scaling.py; contract in
cargobay/services/alarm_actions.py).  The ECS service is read and changed through the
ECS API in-process (DescribeServices, UpdateService).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from cargobay.protocol.base import RequestContext
from cargobay.services.application_autoscaling import names
from cargobay.services.application_autoscaling.activities import ActivityOps
from cargobay.services.application_autoscaling.names import TargetRef
from cargobay.services.application_autoscaling.policies import PolicyOps
from cargobay.services.application_autoscaling.scaling import ScalingOps
from cargobay.services.application_autoscaling.scheduled import ScheduledOps
from cargobay.services.application_autoscaling.scheduler import ActionScheduler
from cargobay.services.application_autoscaling.tags import TagOps
from cargobay.services.application_autoscaling.targets import TargetOps

if TYPE_CHECKING:
    from cargobay.app import App


class ApplicationAutoScalingService(TargetOps, PolicyOps, ScheduledOps, ScalingOps,
                                   ActivityOps, TagOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.scaling_lock = asyncio.Lock()
        self.scheduler = ActionScheduler(self)

    async def start(self) -> None:
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()

    def reset(self) -> None:
        self.scheduler.reset()

    def iam_resource_arns(self, ctx: RequestContext, op: str,
                          params: dict[str, Any]) -> list[str] | None:
        """What IAM policies see as the request's resource (Service Authorization
        Reference: the scalable-target ARN for operations on an existing target and the
        tag operations; "*" for the Describe operations and a target not yet
        registered)."""
        if params.get("ResourceARN"):
            return [str(params["ResourceARN"])]
        if op.startswith("Describe") or not all(
                isinstance(params.get(k), str)
                for k in ("ServiceNamespace", "ResourceId", "ScalableDimension")):
            return ["*"]
        doc = self.store.get(names.TARGETS, TargetRef.of(ctx, params).key)
        return [doc["ScalableTargetARN"]] if doc is not None else ["*"]
