"""The StateReason text and StateReasonData JSON of an evaluated alarm, written the way
CloudWatch writes them, and the JSON message its SNS actions publish."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import orjson

from cargobay.services.cloudwatch.evaluation import ALARM, Outcome

WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)", "ca-central-1": "Canada (Central)",
    "sa-east-1": "South America (Sao Paulo)",
}


@functools.lru_cache(maxsize=4096)
def short_date(ts: float) -> str:
    d = datetime.fromtimestamp(ts, tz=UTC)
    return (f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d} "
            f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}")


@functools.lru_cache(maxsize=4096)
def iso(ts: float) -> str:
    d = datetime.fromtimestamp(ts, tz=UTC)
    return (f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:"
            f"{d.second:02d}.{d.microsecond // 1000:03d}+0000")


def num(v: float) -> str:
    return repr(float(v))


def _plural(k: int, word: str = "datapoint") -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def reason_text(
    alarm: dict[str, Any], state: str, outcome: Outcome,
    points: list[tuple[float, float]], breach: list[bool],
) -> str:
    """``points``: the evaluated real datapoints (timestamp, value), oldest first, with
    whether each breaches."""
    n = int(alarm["EvaluationPeriods"])
    m = int(alarm.get("DatapointsToAlarm") or n)
    thr = num(float(alarm.get("Threshold", 0.0)))
    words = WORDS.get(alarm.get("ComparisonOperator", ""), "greater than")
    if state not in (ALARM, "OK"):
        k = outcome.filled or n
        return f"Insufficient Data: {_plural(k)} {'was' if k == 1 else 'were'} unknown."
    if not points:
        how = "Breaching" if state == ALARM else "NonBreaching"
        return (f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} "
                f"and {_plural(outcome.filled)} missing "
                f"{'datapoint was' if outcome.filled == 1 else 'datapoints were'} treated as "
                f"[{how}].")
    want = state == ALARM
    shown = [(t, v) for (t, v), b in zip(points, breach, strict=True) if b == want]
    shown.reverse()
    listed = ", ".join(f"{num(v)} ({short_date(t)})" for t, v in shown)
    verb = "was" if len(shown) == 1 else "were"
    cmp_words = words if want else f"not {words}"
    if n == 1:
        return (f"Threshold Crossed: 1 datapoint [{listed}] {verb} {cmp_words} the "
                f"threshold ({thr}).")
    need = m if want else n - m + 1
    move = "OK -> ALARM" if want else "ALARM -> OK"
    return (f"Threshold Crossed: {len(shown)} out of the last {n} datapoints [{listed}] "
            f"{verb} {cmp_words} the threshold ({thr}) (minimum {_plural(need)} for {move} "
            "transition).")


def reason_data(
    alarm: dict[str, Any], now: float, start: float,
    recent: list[float], evaluated: list[dict[str, Any]],
) -> str:
    data: dict[str, Any] = {"version": "1.0", "queryDate": iso(now), "startDate": iso(start)}
    if "MetricName" in alarm:
        data["statistic"] = alarm.get("Statistic") or alarm.get("ExtendedStatistic")
        data["period"] = alarm["Period"]
        if alarm.get("Unit"):
            data["unit"] = alarm["Unit"]
    data["recentDatapoints"] = recent
    data["threshold"] = float(alarm.get("Threshold", 0.0))
    data["evaluatedDatapoints"] = evaluated
    return orjson.dumps(data).decode()


def sns_message(alarm: dict[str, Any], old: str, account: str, region: str) -> dict[str, Any]:
    trigger: dict[str, Any]
    if "MetricName" in alarm:
        stat = alarm.get("Statistic")
        trigger = {
            "MetricName": alarm["MetricName"], "Namespace": alarm["Namespace"],
            "StatisticType": "Statistic" if stat else "ExtendedStatistic",
            "Statistic": stat.upper() if stat else None,
            "ExtendedStatistic": alarm.get("ExtendedStatistic"),
            "Unit": alarm.get("Unit"),
            "Dimensions": [{"value": d["Value"], "name": d["Name"]}
                           for d in alarm.get("Dimensions") or []],
            "Period": alarm["Period"],
        }
        if stat:
            trigger.pop("ExtendedStatistic")
    else:
        trigger = {"Metrics": alarm.get("Metrics") or [], "Period": alarm.get("Period")}
    trigger.update({
        "EvaluationPeriods": alarm["EvaluationPeriods"],
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm"),
        "ComparisonOperator": alarm["ComparisonOperator"],
        "Threshold": alarm.get("Threshold"),
        "TreatMissingData": alarm.get("TreatMissingData", "missing"),
        "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile", ""),
    })
    return {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": iso(alarm["AlarmConfigurationUpdatedTimestamp"]),
        "NewStateValue": alarm["StateValue"],
        "NewStateReason": alarm["StateReason"],
        "StateChangeTime": iso(alarm["StateUpdatedTimestamp"]),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm["AlarmArn"],
        "OldStateValue": old,
        "OKActions": alarm.get("OKActions") or [],
        "AlarmActions": alarm.get("AlarmActions") or [],
        "InsufficientDataActions": alarm.get("InsufficientDataActions") or [],
        "Trigger": trigger,
    }
