"""The alarm evaluator: once a minute on the app clock (every 10 seconds for
high-resolution alarms, whose period is under a minute), every alarm reads its
evaluation range (:func:`evaluation.range_size` periods ending at the last complete
period), evaluates M out of N (:mod:`evaluation`), and on a change of state records it
(alarm and history in one store batch) and carries out the new state's actions.
Auto Scaling actions are carried out again every period while the alarm stays in that
state (User Guide: "the alarm continues to invoke the action for every period that the
alarm remains in the new state"); SNS ones only on the change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.cloudwatch.actions import STATE_ACTIONS, ActionRunner, is_autoscaling
from cargobay.services.cloudwatch.alarm_checks import alarm_period
from cargobay.services.cloudwatch.alarms import ALARMS, AlarmOps
from cargobay.services.cloudwatch.errors import InvalidFormat, ResourceNotFound
from cargobay.services.cloudwatch.evaluation import breaches, evaluate, range_size
from cargobay.services.cloudwatch.history import add_item
from cargobay.services.cloudwatch.metric_data import run_queries
from cargobay.services.cloudwatch.reason import iso, reason_data, reason_text
from cargobay.services.cloudwatch.series import metric_key
from cargobay.services.cloudwatch.stats import Agg, percentile_of

log = logging.getLogger("cargobay.cloudwatch")


@dataclass
class Change:
    key: str
    alarm: dict[str, Any]
    old: str
    firing: AlarmFiring
    #: True: a repeat of the Auto Scaling actions, not a change of state
    repeat: bool = False


def too_few_samples(alarm: dict[str, Any], counts: list[float]) -> bool:
    """EvaluateLowSampleCountPercentile ``ignore`` (User Guide, "Percentile-based
    alarms and low data samples"): a percentile p in [0.5, 1] needs 10 / (1 - p)
    samples, one under 0.5 needs 10 / p; with fewer the alarm keeps its state."""
    if alarm.get("EvaluateLowSampleCountPercentile") != "ignore":
        return False
    p = percentile_of(alarm.get("ExtendedStatistic") or "")
    if p is None:
        return False
    q = p / 100.0
    if q >= 1.0 or q <= 0.0:
        return False
    need = 10.0 / (1.0 - q) if q >= 0.5 else 10.0 / q
    return sum(counts) < need - 1e-9


def split_key(key: str) -> tuple[str, str, str]:
    account, region, name = key.split("/", 2)
    return account, region, name


class Evaluator(AlarmOps, ActionRunner):
    #: alarm key → clock time its Auto Scaling actions last ran
    last_fired: dict[str, float]

    # -- one tick ------------------------------------------------------------------------
    async def evaluate_all(self, now: float, high_res_only: bool = False) -> int:
        """Evaluate every alarm due now; returns how many changed state."""
        changes: list[Change] = []
        for key, alarm in list(self.alarms.items()):
            period = alarm_period(alarm)
            if high_res_only and period >= 60:
                continue
            try:
                change = self.evaluate_alarm(key, alarm, now, period)
            except Exception:  # one broken alarm must not stop the others
                log.exception("evaluating alarm %s failed", key)
                continue
            if change is not None:
                changes.append(change)
        await self.apply(changes)
        return sum(1 for c in changes if not c.repeat)

    def evaluate_alarm(
        self, key: str, alarm: dict[str, Any], now: float, period: int | None = None
    ) -> Change | None:
        p = period or alarm_period(alarm)
        n = int(alarm["EvaluationPeriods"])
        m = int(alarm.get("DatapointsToAlarm") or n)
        size = range_size(n)
        end = now - now % p
        start = end - size * p
        account, region, _ = split_key(key)
        values, counts = self._range(f"{account}/{region}", alarm, start, end, p, size)
        op, thr = alarm["ComparisonOperator"], float(alarm["Threshold"])
        flags = [None if v is None else breaches(v, op, thr) for v in values]
        outcome = evaluate(flags, m, n, alarm.get("TreatMissingData", "missing"))
        state = outcome.state
        firing_values = [v for v in values if v is not None]
        if too_few_samples(alarm, [counts[i] for i in outcome.real]):
            state = None
        if state is None or state == alarm["StateValue"]:
            return self._repeat(key, alarm, now, p, firing_values)
        points = [(start + i * p, values[i]) for i in outcome.real]
        real_points = [(t, v) for t, v in points if v is not None]
        text = reason_text(alarm, state, outcome, real_points,
                           [bool(flags[i]) for i in outcome.real])
        missing = [i for i, v in enumerate(values) if v is None]
        filled = missing[len(missing) - outcome.filled:] if outcome.filled else []
        evaluated: list[dict[str, Any]] = []
        for i in sorted([*outcome.real, *filled], reverse=True):
            item: dict[str, Any] = {"timestamp": iso(start + i * p)}
            if values[i] is not None:
                item["sampleCount"] = counts[i]
                item["value"] = values[i]
            evaluated.append(item)
        data = reason_data(alarm, now, start, firing_values, evaluated)
        old = alarm["StateValue"]
        new = self._moved(alarm, state, text, data, now)
        return Change(key, new, old, self._firing(key, new, now, firing_values))

    def _range(
        self, where: str, alarm: dict[str, Any], start: float, end: float, p: int, size: int
    ) -> tuple[list[float | None], list[float]]:
        values: list[float | None] = [None] * size
        counts: list[float] = [0.0] * size
        if "Metrics" in alarm:
            metrics = alarm["Metrics"]
            ret = next(q for q in metrics if q.get("ReturnData", True))
            ts = run_queries(self.index, where, metrics, start, end, end)[ret["Id"]]
            for t, v in ts.items():
                i = int((t - start) // p)
                if 0 <= i < size:
                    values[i] = v
                    counts[i] = 1.0
            return values, counts
        series = self.index.series.get(metric_key(
            where, alarm["Namespace"], alarm["MetricName"], alarm.get("Dimensions") or []))
        if series is None:
            return values, counts
        stat = alarm.get("Statistic")
        if stat is not None:
            return series.slots(start, p, size, stat, alarm.get("Unit"))
        stat = alarm["ExtendedStatistic"]
        buckets: dict[float, Agg] = series.buckets(start, end, p, alarm.get("Unit"))
        for t, agg in buckets.items():
            i = int((t - start) // p)
            if 0 <= i < size:
                values[i] = agg.stat(stat)
                counts[i] = agg.count
        return values, counts

    def _repeat(
        self, key: str, alarm: dict[str, Any], now: float, p: int, values: list[float]
    ) -> Change | None:
        if not alarm.get("ActionsEnabled", True):
            return None
        if not any(is_autoscaling(a) for a in alarm.get(STATE_ACTIONS[alarm["StateValue"]]) or []):
            return None
        last = self.last_fired.get(key)
        if last is not None and now - last < p:
            return None
        return Change(key, alarm, alarm["StateValue"], self._firing(key, alarm, now, values),
                      repeat=True)

    @staticmethod
    def _moved(
        alarm: dict[str, Any], state: str, reason: str, data: str | None, now: float
    ) -> dict[str, Any]:
        new = dict(alarm, StateValue=state, StateReason=reason, StateUpdatedTimestamp=now,
                   StateTransitionedTimestamp=now)
        if data is not None:
            new["StateReasonData"] = data
        else:
            new.pop("StateReasonData", None)
        return new

    @staticmethod
    def _firing(key: str, alarm: dict[str, Any], now: float, values: list[float]) -> AlarmFiring:
        account, region, _ = split_key(key)
        return AlarmFiring(
            alarm_name=alarm["AlarmName"], alarm_arn=alarm["AlarmArn"],
            state=alarm["StateValue"], threshold=alarm.get("Threshold"),
            comparison_operator=alarm["ComparisonOperator"], values=values, timestamp=now,
            region=region, account_id=account, reason=alarm.get("StateReason", ""))

    # -- applying changes ----------------------------------------------------------------
    async def apply(self, changes: list[Change]) -> None:
        moved = [c for c in changes if not c.repeat]
        if moved:
            with self.store.batch():
                for c in moved:
                    self._history(c)
                    self.store.put(ALARMS, c.key, c.alarm)
            for c in moved:  # once the store has them
                self.alarms[c.key] = c.alarm
        for c in changes:
            if not c.alarm.get("ActionsEnabled", True):
                continue
            account, region, _ = split_key(c.key)
            self.last_fired[c.key] = c.firing.timestamp
            await self.run_actions(f"{account}/{region}", c.alarm, c.old, c.firing,
                                   only_autoscaling=c.repeat)

    def _history(self, c: Change) -> None:
        account, region, name = split_key(c.key)
        new = c.alarm

        def state(value: str, reason: str, data: str | None) -> dict[str, Any]:
            out: dict[str, Any] = {"stateValue": value, "stateReason": reason}
            if data:
                try:
                    out["stateReasonData"] = orjson.loads(data)
                except ValueError:  # stored before it was checked as strictly
                    out["stateReasonData"] = data
            return out

        prev = self.alarms.get(c.key) or {}
        add_item(self.store, f"{account}/{region}", name, new["StateUpdatedTimestamp"],
                 "StateUpdate", f"Alarm updated from {c.old} to {new['StateValue']}", {
                     "version": "1.0",
                     "oldState": state(c.old, prev.get("StateReason", ""),
                                       prev.get("StateReasonData")),
                     "newState": state(new["StateValue"], new["StateReason"],
                                       new.get("StateReasonData")),
                 })

    async def transition(
        self, key: str, alarm: dict[str, Any], state: str, reason: str, data: str | None,
        now: float,
    ) -> None:
        """Set an alarm's state (SetAlarmState): recorded, and the new state's actions
        run when the state changed."""
        old = alarm["StateValue"]
        new = self._moved(alarm, state, reason, data, now)
        if old == state:
            self.save_alarm(key, new)
            return
        values: list[float] = []
        await self.apply([Change(key, new, old, self._firing(key, new, now, values))])

    # -- SetAlarmState -------------------------------------------------------------------
    async def set_alarm_state(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        key = self.alarm_key(ctx, req["AlarmName"])
        alarm = self.alarms.get(key)
        if alarm is None:
            raise ResourceNotFound(f"Alarm {req['AlarmName']} not found")
        data = req.get("StateReasonData")
        if data is not None:
            try:
                orjson.loads(data)
            except ValueError:
                raise InvalidFormat(
                    "The parameter StateReasonData must be valid JSON.") from None
        await self.transition(key, alarm, req["StateValue"], req["StateReason"], data,
                              self.clock.now())
        return {}
