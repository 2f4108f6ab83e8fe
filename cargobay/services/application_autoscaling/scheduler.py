"""Running scheduled actions on the app clock.

Each action fires at the times schedule_expr.next_fire gives; its last firing is kept
on the action (``_lastFired``) so a restart neither repeats nor back-fills firings.  A
firing sets the target's MinCapacity/MaxCapacity and, if the current capacity is then
below the minimum or above the maximum, scales to it (User Guide, "Scheduled scaling":
"If current capacity is less than the specified minimum capacity, Application Auto
Scaling scales out to the specified minimum capacity; if greater than the maximum, it
scales in to the maximum").  With ScheduledScalingSuspended nothing changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.services.application_autoscaling import activities, names, schedule_expr
from cargobay.services.deadlines import Recurring

if TYPE_CHECKING:
    from cargobay.services.application_autoscaling.service import ApplicationAutoScalingService

Doc = dict[str, Any]


class ActionScheduler(Recurring):
    def __init__(self, svc: ApplicationAutoScalingService) -> None:
        super().__init__(svc.store, svc.clock, names.SCHEDULED, "aas-scheduler")
        self.svc = svc
        self.fired = 0

    def refresh(self, key: str) -> None:
        """An action was put or deleted."""
        self.replan(key)

    def next_firing(self, key: str) -> float | None:
        return self.next_at(key)

    def next_time(self, doc: Doc, now: float, since: float) -> float | None:
        try:
            expr = schedule_expr.parse(doc["Schedule"])
            tz = schedule_expr.zone(doc.get("Timezone"))
        except schedule_expr.ExpressionError:
            return None
        start = doc.get("StartTime")
        anchor = float(start) if start is not None else float(doc.get("_anchor", now))
        return schedule_expr.next_fire(expr, tz, anchor, since, start, doc.get("EndTime"))

    async def fire(self, key: str, t: float) -> None:
        store = self.svc.store
        doc = store.get(names.SCHEDULED, key)
        if doc is None:
            return
        doc["_lastFired"] = t
        store.put(names.SCHEDULED, key, doc)
        self.plan(key, doc, after=t)
        self.fired += 1
        ref = names.split_key(key)
        async with self.svc.scaling_lock:
            target = store.get(names.TARGETS, ref.key)
            if target is None or (target.get("SuspendedState") or {}).get(
                    "ScheduledScalingSuspended"):
                return
            await self._carry_out(ref, target, doc)

    async def _carry_out(self, ref: names.TargetRef, target: Doc, doc: Doc) -> None:
        action = doc.get("ScalableTargetAction") or {}
        low = action.get("MinCapacity")
        high = action.get("MaxCapacity")
        new_low = int(low) if low is not None else int(target["MinCapacity"])
        new_high = int(high) if high is not None else int(target["MaxCapacity"])
        if new_low > new_high:
            if low is None:
                new_low = new_high
            else:
                new_high = new_low
        now = self.svc.clock.now()
        cause = f"scheduled action name {doc['ScheduledActionName']} was triggered"
        target["MinCapacity"], target["MaxCapacity"] = new_low, new_high
        self.svc.store.put(names.TARGETS, ref.key, target)
        change = f"min capacity to {new_low} and max capacity to {new_high}"
        activities.record(self.svc.store, ref, now, description=f"Setting {change}",
                          cause=cause, status="Successful",
                          message=f"Successfully set {change}")
        service = await self.svc.ecs_service(ref)
        if service is None:
            return
        current = int(service["desiredCount"])
        wanted = min(max(current, new_low), new_high)
        if wanted != current:
            await self.svc.change_capacity(ref, target, current, wanted, cause, now)
