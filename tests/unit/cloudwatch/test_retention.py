"""Retention by resolution, as CloudWatch keeps data (User Guide, "Metrics retention"):
1-second datapoints for 3 hours, then 1-minute aggregates for 15 days, 5-minute ones
for 63 days, 1-hour ones for 455 days; and GetMetricStatistics returns nothing for a
period too fine for the data's age (API Reference, "GetMetricStatistics")."""

from __future__ import annotations

import asyncio
from typing import Any

from cargobay.services.cloudwatch.series import POINTS
from tests.unit.cloudwatch.helpers import CTX, T0, cw, make_app

DAY = 86400.0


def sums(app: Any, start: float, end: float, period: int) -> list[tuple[float, float]]:
    out = cw(app).get_metric_statistics(CTX, {
        "Namespace": "R", "MetricName": "m", "StartTime": start, "EndTime": end,
        "Period": period, "Statistics": ["Sum", "SampleCount"]})
    return [(d["Timestamp"], d["Sum"]) for d in out["Datapoints"]]


def test_high_resolution_data_rolls_up_as_it_ages() -> None:
    async def go() -> None:
        app = make_app()
        svc = cw(app)
        svc.put_metric_data(CTX, {"Namespace": "R", "MetricData": [
            {"MetricName": "m", "Value": 1.0, "StorageResolution": 1, "Timestamp": T0 + s}
            for s in (0, 1, 2, 61, 62, 301)]})
        assert sums(app, T0, T0 + 3, 1) == [(T0, 1.0), (T0 + 1, 1.0), (T0 + 2, 1.0)]
        rows = app.store.count(POINTS)
        await app.clock.advance(3 * 3600 + 400)  # type: ignore[attr-defined]
        assert svc.index.compact(app.clock.now()) == 1
        assert app.store.count(POINTS) == 1 and rows == 1
        # older than 3 hours: 1-second periods return nothing, minutes are kept
        assert sums(app, T0, T0 + 600, 1) == []
        assert sums(app, T0, T0 + 600, 60) == [(T0, 3.0), (T0 + 60, 2.0), (T0 + 300, 1.0)]
        await app.clock.advance(15 * DAY)  # type: ignore[attr-defined]
        svc.index.compact(app.clock.now())
        assert sums(app, T0, T0 + 600, 60) == []
        assert sums(app, T0, T0 + 600, 300) == [(T0, 5.0), (T0 + 300, 1.0)]
        await app.clock.advance(50 * DAY)  # type: ignore[attr-defined]
        svc.index.compact(app.clock.now())
        assert sums(app, T0, T0 + 3600, 3600) == [(T0, 6.0)]
        assert svc.list_metrics(CTX, {})["Metrics"] == []  # no data in two weeks
        await app.clock.advance(400 * DAY)  # type: ignore[attr-defined]
        svc.index.compact(app.clock.now())
        assert sums(app, T0, T0 + 3600, 3600) == []
        assert app.store.count(POINTS) == 0 and svc.index.series == {}

    asyncio.run(go())


def test_many_puts_are_compacted_into_one_row_and_reload() -> None:
    app = make_app()
    svc = cw(app)
    for i in range(40):
        svc.put_metric_data(CTX, {"Namespace": "R", "MetricData": [
            {"MetricName": "m", "Value": float(i), "Timestamp": T0 - 60 * i}]})
    assert app.store.count(POINTS) == 40
    svc.index.compact(app.clock.now())
    assert app.store.count(POINTS) == 1
    svc.index.load()
    assert sum(s for _, s in sums(app, T0 - 3600, T0 + 60, 60)) == sum(range(40))
