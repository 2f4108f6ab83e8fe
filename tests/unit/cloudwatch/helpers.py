"""An in-process CloudWatch on a SimClock, minute-aligned, for evaluation tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch.service import CloudWatchService
from cargobay.store.memory import MemoryStore

T0 = 1_800_000_000.0  # a whole minute
CTX = RequestContext("cloudwatch", "", "us-east-1", "000000000000", "r", "json")


def make_app(extra: Callable[[App], dict[str, object]] | None = None,
             store: Any = None) -> App:
    def services(app: App) -> dict[str, object]:
        out: dict[str, object] = {"cloudwatch": CloudWatchService(app)}
        if extra is not None:
            out.update(extra(app))
        return out

    return App(Config(), clock=SimClock(start=T0), store=store or MemoryStore(),
               services=services)


def cw(app: App) -> CloudWatchService:
    svc = app.services["cloudwatch"]
    assert isinstance(svc, CloudWatchService)
    return svc


def put(app: App, value: float, ts: float, name: str = "Load") -> None:
    cw(app).put_metric_data(CTX, {"Namespace": "Test", "MetricData": [
        {"MetricName": name, "Value": value, "Timestamp": ts}]})


def alarm(app: App, m: int, n: int, treat: str = "missing", **extra: Any) -> None:
    req: dict[str, Any] = {
        "AlarmName": "a", "MetricName": "Load", "Namespace": "Test", "Statistic": "Maximum",
        "Period": 60, "EvaluationPeriods": n, "DatapointsToAlarm": m, "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": treat}
    req.update(extra)
    cw(app).put_metric_alarm(CTX, {k: v for k, v in req.items() if v is not None})


def state(app: App, name: str = "a") -> str:
    out: str = cw(app).alarms[f"000000000000/us-east-1/{name}"]["StateValue"]
    return out


def alarm_doc(app: App, name: str = "a") -> dict[str, Any]:
    doc: dict[str, Any] = cw(app).alarms[f"000000000000/us-east-1/{name}"]
    return doc
