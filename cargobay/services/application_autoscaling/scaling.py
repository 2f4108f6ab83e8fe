"""Carrying out scaling policies when their alarms fire (alarm_actions.py contract).

- Target tracking: the high alarm proposes ``ceil(capacity × metric / target)``
  (capacity.py); the low alarm proposes the same, and the target scales in only when
  every target tracking policy of the target with scale-in enabled proposes a scale-in
  (its low alarm fired within the last two minutes) — to the largest proposal.  Scale
  out happens on any policy's word.
- Step scaling: the alarm's datapoints aggregated by MetricAggregationType, minus the
  alarm threshold, pick the step adjustment.
- Cooldowns (User Guide, "Cooldown period"): after a scale-out, for ScaleOutCooldown
  (step: Cooldown) seconds the capacity added counts as part of the next proposal: the
  proposal is computed from the capacity before that scale-out and applied only if it
  is larger than the current capacity.  After a scale-in, scale-in is blocked for
  ScaleInCooldown seconds; a scale-out during it goes ahead at once.  Default 300 s.
- MinCapacity/MaxCapacity always bound the result; DynamicScalingIn/OutSuspended stop
  policies scaling in/out.  A proposal that cannot change the capacity is kept as a
  "not scaled" activity with its reason.
"""

from __future__ import annotations

import logging
from typing import Any

from cargobay.protocol.errors import AwsError
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.application_autoscaling import activities, capacity, names
from cargobay.services.application_autoscaling.base import AasBase
from cargobay.services.application_autoscaling.names import TargetRef

log = logging.getLogger("cargobay.application_autoscaling")

Doc = dict[str, Any]
DEFAULT_COOLDOWN = 300
#: how recent another policy's low-alarm firing must be to count as agreeing to scale in
AGREE_WINDOW = 120.0


class ScalingOps(AasBase):
    async def on_alarm_action(self, action_arn: str, firing: AlarmFiring) -> None:
        async with self.scaling_lock:
            try:
                await self._on_alarm(action_arn, firing)
            except Exception:
                log.exception("scaling policy %s failed", action_arn)

    async def _on_alarm(self, action_arn: str, firing: AlarmFiring) -> None:
        link = self.store.get(names.POLICY_ARNS, action_arn)
        policy = None if link is None else self.store.get(names.POLICIES, link["key"])
        if link is None or policy is None:
            log.info("alarm %s names unknown scaling policy %s", firing.alarm_name, action_arn)
            return
        if firing.state != "ALARM":
            return
        ref = names.split_key(link["key"])
        target = self.store.get(names.TARGETS, ref.key)
        if target is None:
            return
        service = await self.ecs_service(ref)
        if service is None:
            log.info("the ECS service of %s is gone", ref.resource_id)
            return
        current = int(service["desiredCount"])
        now = self.clock.now()
        if policy["PolicyType"] == "TargetTrackingScaling":
            proposal = self._target_tracking(ref, target, policy, firing, current, now)
            cooldowns = policy["TargetTrackingScalingPolicyConfiguration"]
            out_cd = cooldowns.get("ScaleOutCooldown", DEFAULT_COOLDOWN)
            in_cd = cooldowns.get("ScaleInCooldown", DEFAULT_COOLDOWN)
        else:
            proposal = self._step(target, policy, firing, current, now)
            cd = policy["StepScalingPolicyConfiguration"].get("Cooldown", DEFAULT_COOLDOWN)
            out_cd = in_cd = cd
        if proposal is None:
            return
        cause = (f"monitor alarm {firing.alarm_name} in state ALARM triggered policy "
                 f"{policy['PolicyName']}")
        await self.apply(ref, target, current, proposal, cause, now, out_cd, in_cd)

    # -- proposals --------------------------------------------------------------------

    def _base(self, target: Doc, current: int, now: float) -> int:
        """The capacity scale-out proposals are computed from: during a scale-out
        cooldown, the capacity before the scale-out that started it."""
        last = target.get("_lastOut")
        if last and now < last["t"] + last["cooldown"]:
            return int(last["from"])
        return current

    def _target_tracking(self, ref: TargetRef, target: Doc, policy: Doc,
                         firing: AlarmFiring, current: int, now: float) -> int | None:
        if not firing.values:
            return None
        metric = firing.values[-1]
        config = policy["TargetTrackingScalingPolicyConfiguration"]
        goal = float(config["TargetValue"])
        high = firing.comparison_operator in ("GreaterThanThreshold",
                                              "GreaterThanOrEqualToThreshold")
        if high:
            wanted = capacity.target_tracking(self._base(target, current, now), metric, goal)
            return wanted if wanted > current else None
        if config.get("DisableScaleIn"):
            return None
        wanted = capacity.target_tracking(current, metric, goal)
        policy["_low"] = {"t": now, "capacity": wanted, "from": current}
        self.store.put(names.POLICIES, ref.child_key(policy["PolicyName"]), policy)
        if wanted >= current:
            return None
        proposals = [wanted]
        for _, other in self.store.scan(names.POLICIES, ref.child_prefix):
            if other["PolicyName"] == policy["PolicyName"]:
                continue
            if other["PolicyType"] != "TargetTrackingScaling":
                continue
            if other["TargetTrackingScalingPolicyConfiguration"].get("DisableScaleIn"):
                continue
            low = other.get("_low")
            if (low is None or now - low["t"] > AGREE_WINDOW or low["from"] != current
                    or low["capacity"] >= current):
                return None  # this one does not agree to scale in
            proposals.append(int(low["capacity"]))
        return max(proposals)

    def _step(self, target: Doc, policy: Doc, firing: AlarmFiring, current: int,
              now: float) -> int | None:
        config = policy["StepScalingPolicyConfiguration"]
        value = capacity.aggregate(firing.values, config.get("MetricAggregationType"))
        if value is None or firing.threshold is None:
            return None
        step = capacity.pick_step(config["StepAdjustments"], value - firing.threshold)
        if step is None:
            return None
        kind = config["AdjustmentType"]
        adj = int(step["ScalingAdjustment"])
        scaling_out = adj > 0 if kind != "ExactCapacity" else adj > current
        base = self._base(target, current, now) if scaling_out else current
        return capacity.step_capacity(base, kind, adj, config.get("MinAdjustmentMagnitude"))

    # -- applying ---------------------------------------------------------------------

    async def apply(self, ref: TargetRef, target: Doc, current: int, proposal: int,
                    cause: str, now: float, out_cooldown: int, in_cooldown: int) -> None:
        low, high = int(target["MinCapacity"]), int(target["MaxCapacity"])
        suspended = target.get("SuspendedState") or {}
        new = capacity.clamp(proposal, low, high)
        if proposal > current:
            if suspended.get("DynamicScalingOutSuspended"):
                return
            new = max(new, current)  # a scale-out never lowers the capacity
        elif proposal < current:
            new = min(new, current)
            if suspended.get("DynamicScalingInSuspended"):
                return
            last_in = target.get("_lastIn")
            if last_in and now < last_in["t"] + last_in["cooldown"]:
                return
        if new == current:
            code = ("AlreadyAtMaxCapacity" if proposal > current and current >= high else
                    "AlreadyAtMinCapacity" if proposal < current and current <= low else
                    "AlreadyAtDesiredCapacity")
            activities.record(
                self.store, ref, now, description=f"Setting desired count to {proposal}.",
                cause=cause, status="Failed",
                message=f"Failed to set desired count to {proposal}",
                not_scaled=[{"Code": code, "MaxCapacity": high, "MinCapacity": low,
                             "CurrentCapacity": current}])
            return
        await self.change_capacity(ref, target, current, new, cause, now,
                                   out_cooldown, in_cooldown)

    async def change_capacity(self, ref: TargetRef, target: Doc, current: int, new: int,
                              cause: str, now: float, out_cooldown: int = 0,
                              in_cooldown: int = 0) -> bool:
        description = f"Setting desired count to {new}."
        try:
            await self.set_desired(ref, new)
        except AwsError as e:
            activities.record(self.store, ref, now, description=description, cause=cause,
                              status="Failed",
                              message=f"Failed to set desired count to {new}. "
                                      f"Reason: {e.message}")
            return False
        fresh = self.store.get(names.TARGETS, ref.key)
        if fresh is not None:
            if new > current:
                last = fresh.get("_lastOut")
                start = (int(last["from"]) if last and now < last["t"] + last["cooldown"]
                         else current)
                fresh["_lastOut"] = {"t": now, "from": start, "cooldown": out_cooldown}
            else:
                fresh["_lastIn"] = {"t": now, "cooldown": in_cooldown}
                fresh.pop("_lastOut", None)
            self.store.put(names.TARGETS, ref.key, fresh)
        activities.record(
            self.store, ref, now, description=description, cause=cause, status="Successful",
            message=f"Successfully set desired count to {new}. Change successfully "
                    "fulfilled by ecs.")
        return True
