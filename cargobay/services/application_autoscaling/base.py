"""What every Application Auto Scaling mixin may use: the store, the clock, target
lookups and the ECS service behind a target (read and changed through the ECS API,
in-process)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.protocol.errors import AwsError
from cargobay.services.application_autoscaling import names
from cargobay.services.application_autoscaling.errors import (
    ObjectNotFoundException,
    ValidationException,
)
from cargobay.services.application_autoscaling.names import TargetRef
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App
    from cargobay.services.application_autoscaling.scheduler import ActionScheduler

log = logging.getLogger("cargobay.application_autoscaling")

Doc = dict[str, Any]
UNSUPPORTED = "Unsupported service namespace, resource type or scalable dimension"


class AasBase:
    app: App
    store: Store
    clock: Clock
    scheduler: ActionScheduler
    #: one scaling decision at a time (alarm actions and scheduled actions)
    scaling_lock: asyncio.Lock

    def require_target(self, ref: TargetRef) -> Doc:
        doc = self.store.get(names.TARGETS, ref.key)
        if doc is None:
            raise ObjectNotFoundException(names.not_registered(ref))
        return doc

    @staticmethod
    def check_resource(ref: TargetRef) -> None:
        """cargobay scales ECS services only (ServiceNamespace ecs, ResourceId
        service/<cluster>/<service>, ScalableDimension ecs:service:DesiredCount)."""
        if ref.namespace != names.ECS_NAMESPACE or ref.dimension != names.ECS_DIMENSION:
            raise ValidationException(UNSUPPORTED)
        try:
            ref.ecs_service()
        except ValueError:
            raise ValidationException(UNSUPPORTED) from None

    async def ecs_service(self, ref: TargetRef) -> Doc | None:
        """The ECS service of the target (DescribeServices), None if it is gone."""
        cluster, service = ref.ecs_service()
        try:
            out = await self.app.dispatcher.call(
                "ecs", "DescribeServices", {"cluster": cluster, "services": [service]},
                region=ref.region, account_id=ref.account)
        except AwsError:
            return None
        for svc in out.get("services", []):
            if svc.get("status") == "ACTIVE":
                found: Doc = svc
                return found
        return None

    async def delete_alarms(self, ref: TargetRef, alarm_names: list[str]) -> None:
        """Delete alarms target tracking made (gone already is fine)."""
        if not alarm_names:
            return
        try:
            await self.app.dispatcher.call(
                "cloudwatch", "DeleteAlarms", {"AlarmNames": alarm_names},
                region=ref.region, account_id=ref.account)
        except AwsError as e:
            log.warning("deleting alarms %s failed: %s", alarm_names, e)

    async def drop_policy(self, ref: TargetRef, policy: Doc) -> None:
        """Delete a scaling policy and the alarms it owns."""
        await self.delete_alarms(ref, [a["AlarmName"] for a in policy.get("Alarms", [])])
        with self.store.batch():
            self.store.delete(names.POLICIES, ref.child_key(policy["PolicyName"]))
            self.store.delete(names.POLICY_ARNS, policy["PolicyARN"])

    async def set_desired(self, ref: TargetRef, count: int) -> None:
        cluster, service = ref.ecs_service()
        await self.app.dispatcher.call(
            "ecs", "UpdateService",
            {"cluster": cluster, "service": service, "desiredCount": count},
            region=ref.region, account_id=ref.account)
