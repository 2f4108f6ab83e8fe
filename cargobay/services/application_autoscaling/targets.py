"""RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget.

A new target needs MinCapacity and MaxCapacity and an ACTIVE ECS service behind its
ResourceId (else AWS's ValidationException "ECS service doesn't exist: <id>");
registering an existing target updates whichever of MinCapacity, MaxCapacity, RoleARN
and the three SuspendedState flags are given.  Either way the service's desired count
is brought into [MinCapacity, MaxCapacity].  Deregistering deletes the target's
scaling policies (with the alarms target tracking made) and scheduled actions.
"""

from __future__ import annotations

import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.application_autoscaling import names, tag_store
from cargobay.services.application_autoscaling.base import AasBase
from cargobay.services.application_autoscaling.errors import (
    ObjectNotFoundException,
    ValidationException,
)
from cargobay.services.application_autoscaling.names import TargetRef
from cargobay.services.application_autoscaling.paging import page

Doc = dict[str, Any]
SUSPEND_FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended",
                 "ScheduledScalingSuspended")
_PUBLIC = ("ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity",
           "MaxCapacity", "RoleARN", "CreationTime", "SuspendedState", "ScalableTargetARN")
MAX_RESOURCE_IDS = 50


def ecs_role(account: str) -> str:
    return (f"arn:aws:iam::{account}:role/aws-service-role/ecs.application-autoscaling."
            "amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService")


def view(doc: Doc) -> Doc:
    return {k: doc[k] for k in _PUBLIC if k in doc}


def check_min_max(low: int, high: int) -> None:
    if low < 0:
        raise ValidationException("Minimum capacity cannot be less than 0")
    if high < 0:
        raise ValidationException("Maximum capacity cannot be less than 0")
    if low > high:
        raise ValidationException("Minimum capacity cannot be greater than maximum capacity")


class TargetOps(AasBase):
    async def register_scalable_target(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = TargetRef.of(ctx, req)
        self.check_resource(ref)
        doc = self.store.get(names.TARGETS, ref.key)
        tags = req.get("Tags")
        if doc is None:
            if req.get("MinCapacity") is None or req.get("MaxCapacity") is None:
                raise ValidationException(
                    "MinCapacity and MaxCapacity are required for registering a new "
                    "scalable target")
            if await self.ecs_service(ref) is None:
                raise ValidationException(f"ECS service doesn't exist: {ref.resource_id}")
            if tags is not None:
                tag_store.check_tags(tags)
            doc = {
                "ServiceNamespace": ref.namespace,
                "ResourceId": ref.resource_id,
                "ScalableDimension": ref.dimension,
                "RoleARN": ecs_role(ctx.account_id),
                "CreationTime": self.clock.now(),
                "SuspendedState": {flag: False for flag in SUSPEND_FLAGS},
                "ScalableTargetARN": names.target_arn(ref, uuid.uuid4().hex),
            }
        elif tags is not None:
            raise ValidationException(
                "The scalable target that you tried to tag already exists. To update tags "
                "on an existing scalable target, use the TagResource API.")
        low = req.get("MinCapacity", doc.get("MinCapacity"))
        high = req.get("MaxCapacity", doc.get("MaxCapacity"))
        assert low is not None and high is not None
        check_min_max(int(low), int(high))
        doc["MinCapacity"], doc["MaxCapacity"] = int(low), int(high)
        if req.get("RoleARN"):
            doc["RoleARN"] = req["RoleARN"]
        for flag, value in (req.get("SuspendedState") or {}).items():
            if flag in SUSPEND_FLAGS and value is not None:
                doc["SuspendedState"][flag] = bool(value)
        async with self.scaling_lock:
            with self.store.batch():
                self.store.put(names.TARGETS, ref.key, doc)
                if tags is not None or tag_store.get(self.store,
                                                     doc["ScalableTargetARN"]) is None:
                    tag_store.put(self.store, doc["ScalableTargetARN"], ref.key, tags or {})
            await self._into_range(ref, int(low), int(high))
        return {"ScalableTargetARN": doc["ScalableTargetARN"]}

    async def _into_range(self, ref: TargetRef, low: int, high: int) -> None:
        """API reference, RegisterScalableTarget: "If the specified resource is not active
        in the target service, this operation does not change the resource's current
        capacity. Otherwise, it changes the resource's current capacity to a value that is
        inside of this range."."""
        service = await self.ecs_service(ref)
        if service is None:
            return
        current = int(service["desiredCount"])
        wanted = min(max(current, low), high)
        if wanted != current:
            await self.set_desired(ref, wanted)

    def describe_scalable_targets(self, ctx: RequestContext, req: Doc) -> Doc:
        ids = req.get("ResourceIds")
        if ids is not None and len(ids) > MAX_RESOURCE_IDS:
            raise ValidationException(
                f"1 validation error detected: Value at 'resourceIds' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_RESOURCE_IDS}")
        wanted = set(ids) if ids else None
        dim = req.get("ScalableDimension")

        def keep(doc: Doc) -> bool:
            if wanted is not None and doc["ResourceId"] not in wanted:
                return False
            return dim is None or doc["ScalableDimension"] == dim

        rows = self.store.scan(names.TARGETS, names.namespace_prefix(ctx, req["ServiceNamespace"]))
        items, token = page(rows, req, keep, view)
        out: Doc = {"ScalableTargets": items}
        if token:
            out["NextToken"] = token
        return out

    async def deregister_scalable_target(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = TargetRef.of(ctx, req)
        doc = self.store.get(names.TARGETS, ref.key)
        if doc is None:
            raise ObjectNotFoundException(
                f"No scalable target found for service namespace: {ref.namespace}, "
                f"resource ID: {ref.resource_id}, scalable dimension: {ref.dimension}")
        policies = [p for _, p in self.store.scan(names.POLICIES, ref.child_prefix)]
        for policy in policies:
            await self.drop_policy(ref, policy)
        actions = [k for k, _ in self.store.scan(names.SCHEDULED, ref.child_prefix)]
        with self.store.batch():
            for key in actions:
                self.store.delete(names.SCHEDULED, key)
            tag_store.delete(self.store, doc["ScalableTargetARN"])
            self.store.delete(names.TARGETS, ref.key)
        for key in actions:
            self.scheduler.refresh(key)
        return {}
