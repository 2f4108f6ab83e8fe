"""PutScheduledAction, DescribeScheduledActions, DeleteScheduledAction.

A scheduled action sets the target's MinCapacity and/or MaxCapacity at the times of its
Schedule (schedule_expr.py: at/rate/cron, in its Timezone, between StartTime and
EndTime); the scheduler (scheduler.py) carries it out.  200 per target.
"""

from __future__ import annotations

import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.application_autoscaling import names, schedule_expr
from cargobay.services.application_autoscaling.base import AasBase
from cargobay.services.application_autoscaling.errors import (
    LimitExceededException,
    ObjectNotFoundException,
    ValidationException,
)
from cargobay.services.application_autoscaling.names import TargetRef
from cargobay.services.application_autoscaling.paging import page_of_targets

Doc = dict[str, Any]
MAX_ACTIONS = 200
_PUBLIC = ("ScheduledActionName", "ScheduledActionARN", "ServiceNamespace", "Schedule",
           "Timezone", "ResourceId", "ScalableDimension", "StartTime", "EndTime",
           "ScalableTargetAction", "CreationTime")


def view(doc: Doc) -> Doc:
    return {k: doc[k] for k in _PUBLIC if k in doc}


class ScheduledOps(AasBase):
    def put_scheduled_action(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = TargetRef.of(ctx, req)
        self.require_target(ref)
        name = req["ScheduledActionName"]
        key = ref.child_key(name)
        old = self.store.get(names.SCHEDULED, key)
        if old is None and self.store.count(names.SCHEDULED, ref.child_prefix) >= MAX_ACTIONS:
            raise LimitExceededException(
                f"Maximum number of scheduled actions ({MAX_ACTIONS}) reached for this "
                "scalable target")
        schedule = req.get("Schedule", (old or {}).get("Schedule"))
        if schedule is None:
            raise ValidationException("Schedule is required when creating a scheduled action")
        timezone = req.get("Timezone", (old or {}).get("Timezone"))
        try:
            schedule_expr.parse(schedule)
        except schedule_expr.ExpressionError:
            raise ValidationException(f"Invalid schedule expression: {schedule}") from None
        try:
            schedule_expr.zone(timezone)
        except schedule_expr.ExpressionError as e:
            raise ValidationException(str(e)) from None
        action = req.get("ScalableTargetAction", (old or {}).get("ScalableTargetAction")) or {}
        low, high = action.get("MinCapacity"), action.get("MaxCapacity")
        if low is None and high is None:
            raise ValidationException(
                "ScalableTargetAction must specify MinCapacity, MaxCapacity or both")
        if (low is not None and low < 0) or (high is not None and high < 0):
            raise ValidationException("Capacity cannot be less than 0")
        if low is not None and high is not None and low > high:
            raise ValidationException("Minimum capacity cannot be greater than maximum capacity")
        start = req.get("StartTime", (old or {}).get("StartTime"))
        end = req.get("EndTime", (old or {}).get("EndTime"))
        if start is not None and end is not None and start > end:
            raise ValidationException("StartTime must be before EndTime")
        now = self.clock.now()
        doc: Doc = {
            "ScheduledActionName": name,
            "ScheduledActionARN": old["ScheduledActionARN"] if old else
            names.scheduled_action_arn(ref, str(uuid.uuid4()), name),
            "ServiceNamespace": ref.namespace, "ResourceId": ref.resource_id,
            "ScalableDimension": ref.dimension, "Schedule": schedule,
            "ScalableTargetAction": {k: v for k, v in
                                     (("MinCapacity", low), ("MaxCapacity", high))
                                     if v is not None},
            "CreationTime": old["CreationTime"] if old else now,
            "_anchor": now,
        }
        if timezone is not None:
            doc["Timezone"] = timezone
        if start is not None:
            doc["StartTime"] = start
        if end is not None:
            doc["EndTime"] = end
        self.store.put(names.SCHEDULED, key, doc)
        self.scheduler.refresh(key)
        return {}

    def describe_scheduled_actions(self, ctx: RequestContext, req: Doc) -> Doc:
        wanted = set(req.get("ScheduledActionNames") or []) or None
        items, token = page_of_targets(self.store, names.SCHEDULED, ctx, req,
                                       "ScheduledActionName", wanted, view)
        out: Doc = {"ScheduledActions": items}
        if token:
            out["NextToken"] = token
        return out

    def delete_scheduled_action(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = TargetRef.of(ctx, req)
        key = ref.child_key(req["ScheduledActionName"])
        if not self.store.delete(names.SCHEDULED, key):
            raise ObjectNotFoundException(
                f"No scheduled action found for service namespace: {ref.namespace}, "
                f"resource ID: {ref.resource_id}, scalable dimension: {ref.dimension}, "
                f"scheduled action name: {req['ScheduledActionName']}")
        self.scheduler.refresh(key)
        return {}
