"""Metric alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
EnableAlarmActions / DisableAlarmActions, and tags (SetAlarmState is in evaluator.py).

Alarms live in ``cloudwatch.alarms`` (key ``<account>/<region>/<name>``; the document is
the MetricAlarm as DescribeAlarms shows it) and, for the evaluator, in memory.
Updating an alarm replaces its configuration and keeps its state (API Reference).
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch import paging
from cargobay.services.cloudwatch.alarm_checks import check_alarm
from cargobay.services.cloudwatch.base import CloudWatchBase, scope
from cargobay.services.cloudwatch.errors import (
    InvalidNextToken,
    InvalidParameterCombination,
    InvalidParameterValue,
    ResourceNotFoundException,
)
from cargobay.services.cloudwatch.evaluation import INSUFFICIENT
from cargobay.services.cloudwatch.history import add_item
from cargobay.services.cloudwatch.reason import iso

ALARMS = "cloudwatch.alarms"
TAGS = "cloudwatch.tags"

CONFIG_FIELDS = (
    "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
    "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
    "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
    "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics",
)


def alarm_arn(ctx: RequestContext, name: str) -> str:
    return f"arn:aws:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:{name}"


class AlarmOps(CloudWatchBase):
    alarms: dict[str, dict[str, Any]]

    def alarm_key(self, ctx: RequestContext, name: str) -> str:
        return f"{scope(ctx)}/{name}"

    def save_alarm(self, key: str, alarm: dict[str, Any]) -> None:
        self.store.put(ALARMS, key, alarm)
        self.alarms[key] = alarm

    def load_alarms(self) -> None:
        self.alarms = dict(self.store.scan(ALARMS))

    # -- PutMetricAlarm ------------------------------------------------------------------
    def put_metric_alarm(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        check_alarm(req)
        name = req["AlarmName"]
        key = self.alarm_key(ctx, name)
        now = self.clock.now()
        old = self.alarms.get(key)
        alarm: dict[str, Any] = {
            "AlarmName": name, "AlarmArn": alarm_arn(ctx, name),
            "AlarmConfigurationUpdatedTimestamp": now,
            "ActionsEnabled": req.get("ActionsEnabled", True),
            "OKActions": [], "AlarmActions": [], "InsufficientDataActions": [],
            "Dimensions": [] if "Metrics" not in req else None,
            "TreatMissingData": "missing",
        }
        alarm.update({k: req[k] for k in CONFIG_FIELDS if k in req})
        alarm = {k: v for k, v in alarm.items() if v is not None}
        if "Metrics" not in req:
            alarm.setdefault("DatapointsToAlarm", req["EvaluationPeriods"])
        if old is None:
            alarm.update({
                "StateValue": INSUFFICIENT, "StateReason": "Unchecked: Initial alarm creation",
                "StateUpdatedTimestamp": now, "StateTransitionedTimestamp": now,
            })
            summary, data = f'Alarm "{name}" created', {
                "type": "Create", "version": "1.0", "createdAlarm": _shown(alarm)}
        else:
            for k in ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
                      "StateTransitionedTimestamp"):
                if k in old:
                    alarm[k] = old[k]
            changed = {k: old.get(k) for k in CONFIG_FIELDS if old.get(k) != alarm.get(k)}
            summary, data = f'Alarm "{name}" updated', {
                "type": "Update", "version": "1.0",
                "originalUpdatedFields": _shown(changed), "updatedAlarm": _shown(alarm)}
        with self.store.batch():
            self.store.put(ALARMS, key, alarm)
            if old is None and req.get("Tags"):
                self.store.put(TAGS, alarm["AlarmArn"],
                               {"Tags": {t["Key"]: t["Value"] for t in req["Tags"]}})
            add_item(self.store, scope(ctx), name, now, "ConfigurationUpdate", summary, data)
        self.alarms[key] = alarm  # once the store has it
        return {}

    # -- DescribeAlarms ------------------------------------------------------------------
    def _in_scope(self, ctx: RequestContext) -> list[dict[str, Any]]:
        prefix = scope(ctx) + "/"
        return [a for k, a in sorted(self.alarms.items()) if k.startswith(prefix)]

    def describe_alarms(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        names = req.get("AlarmNames")
        prefix = req.get("AlarmNamePrefix")
        if names and prefix is not None:
            raise InvalidParameterCombination(
                "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and "
                "you have specified both.")
        if req.get("ChildrenOfAlarmName") or req.get("ParentsOfAlarmName"):
            return {"MetricAlarms": [], "CompositeAlarms": []}
        types = req.get("AlarmTypes") or ["MetricAlarm"]
        state, action = req.get("StateValue"), req.get("ActionPrefix")
        found = []
        for a in self._in_scope(ctx):
            if names and a["AlarmName"] not in names:
                continue
            if prefix is not None and not a["AlarmName"].startswith(prefix):
                continue
            if state is not None and a["StateValue"] != state:
                continue
            if action is not None and not any(
                    x.startswith(action) for f in ("AlarmActions", "OKActions",
                                                   "InsufficientDataActions")
                    for x in a.get(f) or []):
                continue
            found.append(a)
        if "MetricAlarm" not in types:
            found = []
        after = paging.decode(req.get("NextToken"))
        if after is not None:
            if not isinstance(after, str):
                raise InvalidNextToken()
            found = [a for a in found if a["AlarmName"] > after]
        limit = req.get("MaxRecords") or 50
        out: dict[str, Any] = {"MetricAlarms": [_shown(a) for a in found[:limit]],
                               "CompositeAlarms": []}
        if len(found) > limit:
            out["NextToken"] = paging.encode(found[limit - 1]["AlarmName"])
        return out

    def describe_alarms_for_metric(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        dims = sorted((d["Name"], d["Value"]) for d in req.get("Dimensions") or [])
        found = []
        for a in self._in_scope(ctx):
            if a.get("MetricName") != req["MetricName"] or a.get("Namespace") != req["Namespace"]:
                continue
            if "Dimensions" in req and sorted(
                    (d["Name"], d["Value"]) for d in a.get("Dimensions") or []) != dims:
                continue
            if any(k in req and a.get(k) != req[k]
                   for k in ("Statistic", "ExtendedStatistic", "Period", "Unit")):
                continue
            found.append(_shown(a))
        return {"MetricAlarms": found}

    # -- DeleteAlarms, actions on/off ----------------------------------------------------
    def delete_alarms(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        keys = [self.alarm_key(ctx, n) for n in req["AlarmNames"]]
        with self.store.batch():
            for k in keys:
                alarm = self.alarms.get(k)
                if alarm is None:
                    continue
                self.store.delete(ALARMS, k)
                self.store.delete(TAGS, alarm["AlarmArn"])
        for k in keys:
            self.alarms.pop(k, None)
        return {}

    def _set_actions(self, ctx: RequestContext, names: list[str], on: bool) -> None:
        changed: dict[str, dict[str, Any]] = {}
        with self.store.batch():
            for n in names:
                k = self.alarm_key(ctx, n)
                a = self.alarms.get(k)
                if a is not None and a.get("ActionsEnabled") != on:
                    changed[k] = dict(a, ActionsEnabled=on)
                    self.store.put(ALARMS, k, changed[k])
        self.alarms.update(changed)

    def enable_alarm_actions(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self._set_actions(ctx, req["AlarmNames"], True)
        return {}

    def disable_alarm_actions(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self._set_actions(ctx, req["AlarmNames"], False)
        return {}

    # -- tags ----------------------------------------------------------------------------
    def _tagged(self, ctx: RequestContext, arn: str) -> dict[str, str]:
        prefix = f"arn:aws:cloudwatch:{ctx.region}:{ctx.account_id}:alarm:"
        if not arn.startswith(prefix) or self.alarm_key(ctx, arn[len(prefix):]) not in self.alarms:
            if not arn.startswith("arn:aws:cloudwatch:"):
                raise InvalidParameterValue(f"Invalid ARN: {arn}")
            raise ResourceNotFoundException(f"Resource not found: {arn}")
        doc = self.store.get(TAGS, arn) or {"Tags": {}}
        tags: dict[str, str] = doc["Tags"]
        return tags

    def tag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        tags = self._tagged(ctx, req["ResourceARN"])
        tags.update({t["Key"]: t["Value"] for t in req["Tags"]})
        self.store.put(TAGS, req["ResourceARN"], {"Tags": tags})
        return {}

    def untag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        tags = self._tagged(ctx, req["ResourceARN"])
        for k in req["TagKeys"]:
            tags.pop(k, None)
        self.store.put(TAGS, req["ResourceARN"], {"Tags": tags})
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        tags = self._tagged(ctx, req["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


def _shown(alarm: dict[str, Any]) -> dict[str, Any]:
    """An alarm as the API shows it (every timestamp as epoch seconds)."""
    return {k: v for k, v in alarm.items() if not k.startswith("_")}


__all__ = ["ALARMS", "TAGS", "AlarmOps", "alarm_arn", "iso"]
