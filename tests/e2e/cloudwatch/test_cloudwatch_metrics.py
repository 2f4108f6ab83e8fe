"""CloudWatch metrics through boto3 (JSON 1.0) against the real server: PutMetricData in
all its forms and its errors, GetMetricStatistics (statistics, percentiles, units,
high resolution, limits), ListMetrics (filters, RecentlyActive, pages), GetMetricData
(MetricStat, metric math, ReturnData, Label, ScanBy, pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support import client, expect_error


@pytest.fixture
def cw(url: str) -> Any:
    return client("cloudwatch", url)


def now() -> datetime:
    t = datetime.now(UTC)
    return t.replace(second=0, microsecond=0) - timedelta(minutes=1)


DIMS = [{"Name": "Service", "Value": "web"}, {"Name": "Cluster", "Value": "c1"}]


def stats(cw: Any, name: str, t0: datetime, dims: list[dict[str, str]] = DIMS,
          **kw: Any) -> list[dict[str, Any]]:
    kw.setdefault("Statistics", ["SampleCount", "Average", "Sum", "Minimum", "Maximum"])
    out: list[dict[str, Any]] = cw.get_metric_statistics(
        Namespace="App", MetricName=name, Dimensions=dims, StartTime=t0 - timedelta(minutes=5),
        EndTime=t0 + timedelta(minutes=5), Period=kw.pop("Period", 60), **kw)["Datapoints"]
    return sorted(out, key=lambda d: d["Timestamp"])


def test_value_values_counts_and_statistic_values_combine(cw: Any) -> None:
    t0 = now()
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Latency", "Dimensions": DIMS, "Timestamp": t0, "Value": 10,
         "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": list(reversed(DIMS)),
         "Timestamp": t0 + timedelta(seconds=20), "Values": [1, 2, 3], "Counts": [1, 2, 1],
         "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": DIMS, "Timestamp": t0 + timedelta(seconds=40),
         "StatisticValues": {"SampleCount": 4, "Sum": 20, "Minimum": 0.5, "Maximum": 9},
         "Unit": "Milliseconds"},
    ])
    [dp] = stats(cw, "Latency", t0)
    assert dp["Timestamp"] == t0
    assert dp["SampleCount"] == 9 and dp["Sum"] == 10 + 8 + 20
    assert dp["Minimum"] == 0.5 and dp["Maximum"] == 10
    assert dp["Average"] == pytest.approx(38 / 9)
    assert dp["Unit"] == "Milliseconds"
    # dimension order does not matter; a different dimension set is another metric
    assert stats(cw, "Latency", t0, dims=DIMS[:1]) == []
    # a period with a StatisticValues sample has no percentiles
    [p] = cw.get_metric_statistics(
        Namespace="App", MetricName="Latency", Dimensions=DIMS, StartTime=t0,
        EndTime=t0 + timedelta(minutes=1), Period=60, ExtendedStatistics=["p50"])["Datapoints"]
    assert p.get("ExtendedStatistics", {}) == {}


def test_percentiles_from_values(cw: Any) -> None:
    t0 = now()
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Size", "Dimensions": DIMS, "Timestamp": t0,
         "Values": [float(v) for v in range(1, 101)]}])
    del_stats = cw.get_metric_statistics(
        Namespace="App", MetricName="Size", Dimensions=DIMS, StartTime=t0,
        EndTime=t0 + timedelta(minutes=1), Period=60, ExtendedStatistics=["p50", "p99", "p100"])
    [dp] = del_stats["Datapoints"]
    assert dp["ExtendedStatistics"] == {"p50": 50.0, "p99": 99.0, "p100": 100.0}
    assert dp["Unit"] == "None"


def test_units_filter_and_high_resolution(cw: Any) -> None:
    t0 = now()
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Hits", "Dimensions": DIMS, "Timestamp": t0 + timedelta(seconds=s),
         "Value": 1, "StorageResolution": 1, "Unit": "Count"} for s in (1, 2, 11, 12, 13)])
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Hits", "Dimensions": DIMS, "Timestamp": t0, "Value": 5,
         "Unit": "Seconds"}])
    per10 = stats(cw, "Hits", t0, Period=10, Statistics=["Sum"], Unit="Count")
    assert [d["Sum"] for d in per10] == [2.0, 3.0]
    assert all(d["Unit"] == "Count" for d in per10)
    # without Unit, each unit has its own datapoints
    both = stats(cw, "Hits", t0, Period=60, Statistics=["Sum"])
    assert sorted((d["Unit"], d["Sum"]) for d in both) == [("Count", 5.0), ("Seconds", 5.0)]
    # standard resolution data is kept per minute
    secs = stats(cw, "Hits", t0, Period=1, Statistics=["Sum"], Unit="Seconds")
    assert [(d["Timestamp"], d["Sum"]) for d in secs] == [(t0, 5.0)]


def test_put_metric_data_errors(cw: Any) -> None:
    t0 = now()

    def put(**datum: Any) -> Any:
        return lambda: cw.put_metric_data(Namespace=datum.pop("ns", "App"), MetricData=[
            {"MetricName": "M", **datum}])

    msg = expect_error(put(Value=1, Values=[1]), "InvalidParameterCombination")
    assert "MetricData.member.1.Value and MetricData.member.1.Values" in msg
    expect_error(put(Value=1, StatisticValues={"SampleCount": 1, "Sum": 1, "Minimum": 1,
                                               "Maximum": 1}), "InvalidParameterCombination")
    msg = expect_error(put(Values=[1, 2], Counts=[1]), "InvalidParameterValue")
    assert "must be of the same size" in msg
    expect_error(put(Value=1, StorageResolution=30), "InvalidParameterValue")
    msg = expect_error(put(Value=1, Timestamp=t0 - timedelta(days=15)), "InvalidParameterValue")
    assert "two weeks in the past" in msg
    expect_error(put(Value=1, Timestamp=t0 + timedelta(hours=3)), "InvalidParameterValue")
    expect_error(put(Value=1e200), "InvalidParameterValue")
    expect_error(put(ns="AWS/ECS", Value=1), "InvalidParameterValue")
    expect_error(put(), "MissingParameter")
    expect_error(put(StatisticValues={"SampleCount": 2, "Sum": 1, "Minimum": 3, "Maximum": 1}),
                 "InvalidParameterValue")
    expect_error(put(Value=1, Dimensions=[{"Name": "a", "Value": "1"},
                                          {"Name": "a", "Value": "2"}]),
                 "InvalidParameterValue")
    # nothing of the refused calls was kept
    assert cw.list_metrics(Namespace="App")["Metrics"] == []


def test_get_metric_statistics_errors(cw: Any) -> None:
    t0 = now()

    def get(**kw: Any) -> Any:
        base: dict[str, Any] = {"Namespace": "App", "MetricName": "M", "StartTime": t0,
                                "EndTime": t0 + timedelta(hours=1), "Period": 60,
                                "Statistics": ["Sum"]}
        base.update(kw)
        return lambda: cw.get_metric_statistics(**{k: v for k, v in base.items()
                                                   if v is not None})

    expect_error(get(ExtendedStatistics=["p90"]), "InvalidParameterCombination")
    expect_error(get(Statistics=None), "MissingParameter")
    expect_error(get(Statistics=None, ExtendedStatistics=["p101"]), "InvalidParameterValue")
    expect_error(get(Period=7), "InvalidParameterValue")
    expect_error(get(EndTime=t0), "InvalidParameterValue")
    msg = expect_error(get(EndTime=t0 + timedelta(days=2)), "InvalidParameterCombination")
    assert "exceeds the limit of 1,440" in msg


def test_large_put_metric_data_is_gzipped_by_boto3(cw: Any) -> None:
    # botocore gzips bodies of 10,240 bytes or more (the model's requestcompression
    # trait) and signs the compressed bytes
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "CPU", "Dimensions": [{"Name": "Service", "Value": f"s{i:03d}"}],
         "Value": 1} for i in range(300)])
    assert len(cw.list_metrics(Namespace="App")["Metrics"]) == 300


def test_list_metrics_filters_recently_active_and_pages(url: str, cw: Any) -> None:
    t0 = now()
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "CPU", "Dimensions": [{"Name": "Service", "Value": f"s{i:03d}"}],
         "Timestamp": t0, "Value": 1} for i in range(520)])
    cw.put_metric_data(Namespace="Other", MetricData=[
        {"MetricName": "Mem", "Dimensions": DIMS, "Timestamp": t0, "Value": 1}])
    page1 = cw.list_metrics(Namespace="App")
    assert len(page1["Metrics"]) == 500 and "NextToken" in page1
    page2 = cw.list_metrics(Namespace="App", NextToken=page1["NextToken"])
    assert len(page2["Metrics"]) == 20 and "NextToken" not in page2
    names = {m["Dimensions"][0]["Value"] for m in page1["Metrics"] + page2["Metrics"]}
    assert len(names) == 520
    got = cw.list_metrics(Dimensions=[{"Name": "Cluster", "Value": "c1"}])["Metrics"]
    assert [(m["Namespace"], m["MetricName"]) for m in got] == [("Other", "Mem")]
    assert cw.list_metrics(Dimensions=[{"Name": "Cluster"}])["Metrics"] == got
    assert cw.list_metrics(MetricName="Mem", RecentlyActive="PT3H")["Metrics"] == got
    assert cw.list_metrics(Dimensions=[{"Name": "Cluster", "Value": "c2"}])["Metrics"] == []
    expect_error(lambda: cw.list_metrics(NextToken="!!"), "InvalidNextToken")


def test_get_metric_data_math_labels_and_order(cw: Any) -> None:
    t0 = now() - timedelta(minutes=4)
    for i in range(4):
        cw.put_metric_data(Namespace="App", MetricData=[
            {"MetricName": "Req", "Dimensions": DIMS, "Value": 10.0 * (i + 1),
             "Timestamp": t0 + timedelta(minutes=i)},
            {"MetricName": "Err", "Dimensions": DIMS, "Value": float(i),
             "Timestamp": t0 + timedelta(minutes=i)}])
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Sparse", "Dimensions": DIMS, "Value": 4.0, "Timestamp": t0},
        {"MetricName": "Sparse", "Dimensions": DIMS, "Value": 8.0,
         "Timestamp": t0 + timedelta(minutes=2)}])

    def stat(qid: str, name: str, ret: bool = False) -> dict[str, Any]:
        return {"Id": qid, "ReturnData": ret, "MetricStat": {
            "Metric": {"Namespace": "App", "MetricName": name, "Dimensions": DIMS},
            "Period": 60, "Stat": "Sum"}}

    res = cw.get_metric_data(
        MetricDataQueries=[
            stat("req", "Req", True), stat("err", "Err"), stat("sp", "Sparse"),
            {"Id": "rate", "Expression": "100 * err / req", "Label": "Error rate"},
            {"Id": "total", "Expression": "SUM([req, err])"},
            {"Id": "avg", "Expression": "AVG(req)"},
            {"Id": "mx", "Expression": "MAX([req, err * 10])"},
            {"Id": "mn", "Expression": "MIN([req, err])"},
            {"Id": "big", "Expression": "IF(req > 25, 1, 0)"},
            {"Id": "fill", "Expression": "FILL(sp, 0)"},
            {"Id": "rep", "Expression": "FILL(sp, REPEAT)"},
            {"Id": "lin", "Expression": "FILL(sp, LINEAR)"},
            {"Id": "diff", "Expression": "DIFF(req)"},
            {"Id": "persec", "Expression": "RATE(req)", "Label": "per second"},
            {"Id": "run", "Expression": "RUNNING_SUM(err)"},
            {"Id": "sd", "Expression": "STDDEV(req) + 0 * req"},
            {"Id": "lg", "Expression": "CEIL(LOG10(req))"},
            {"Id": "per", "Expression": "PERIOD(req) + 0 * req"},
            {"Id": "ts", "Expression": "TIME_SERIES(7)"},
        ],
        StartTime=t0, EndTime=t0 + timedelta(minutes=4), ScanBy="TimestampAscending")
    by = {r["Id"]: r for r in res["MetricDataResults"]}
    assert "err" not in by and "sp" not in by
    assert by["req"]["Label"] == "Req" and by["rate"]["Label"] == "Error rate"
    assert by["req"]["Timestamps"] == [t0 + timedelta(minutes=i) for i in range(4)]
    assert by["req"]["Values"] == [10.0, 20.0, 30.0, 40.0]
    assert by["rate"]["Values"] == pytest.approx([0.0, 5.0, 100 * 2 / 30, 100 * 3 / 40])
    assert by["total"]["Values"] == [10.0, 21.0, 32.0, 43.0]
    assert by["avg"]["Values"] == [25.0] * 4
    assert by["mx"]["Values"] == [10.0, 20.0, 30.0, 40.0]
    assert by["mn"]["Values"] == [0.0, 1.0, 2.0, 3.0]
    assert by["big"]["Values"] == [0.0, 0.0, 1.0, 1.0]
    assert by["fill"]["Values"] == [4.0, 0.0, 8.0, 0.0]
    assert by["rep"]["Values"] == [4.0, 4.0, 8.0, 8.0]
    assert by["lin"]["Values"] == [4.0, 6.0, 8.0]
    assert by["diff"]["Values"] == [10.0, 10.0, 10.0]
    assert by["persec"]["Values"] == pytest.approx([10 / 60] * 3)
    assert by["run"]["Values"] == [0.0, 1.0, 3.0, 6.0]
    assert by["sd"]["Values"] == pytest.approx([125 ** 0.5] * 4)
    assert by["lg"]["Values"] == [1.0, 2.0, 2.0, 2.0]
    assert by["per"]["Values"] == [60.0] * 4
    assert by["ts"]["Values"] == [7.0] * 4
    assert all(r["StatusCode"] == "Complete" for r in by.values())
    desc = cw.get_metric_data(MetricDataQueries=[stat("req", "Req", True)], StartTime=t0,
                              EndTime=t0 + timedelta(minutes=4))
    assert desc["MetricDataResults"][0]["Values"] == [40.0, 30.0, 20.0, 10.0]


def test_get_metric_data_pages_by_datapoints(cw: Any) -> None:
    t0 = now() - timedelta(minutes=9)
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Req", "Value": float(i), "Timestamp": t0 + timedelta(minutes=i)}
        for i in range(10)])
    q = [{"Id": "m", "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Req"},
                                    "Period": 60, "Stat": "Average"}}]
    seen: list[float] = []
    token: str | None = None
    for _ in range(10):
        kw: dict[str, Any] = {"NextToken": token} if token else {}
        page = cw.get_metric_data(MetricDataQueries=q, StartTime=t0,
                                  EndTime=t0 + timedelta(minutes=10), MaxDatapoints=4,
                                  ScanBy="TimestampAscending", **kw)
        r = page["MetricDataResults"][0]
        seen += r["Values"]
        token = page.get("NextToken")
        assert r["StatusCode"] == ("PartialData" if token else "Complete")
        if not token:
            break
    assert seen == [float(i) for i in range(10)]


def test_get_metric_data_errors(cw: Any) -> None:
    t0 = now()
    m = {"Metric": {"Namespace": "App", "MetricName": "Req"}, "Period": 60, "Stat": "Sum"}

    def get(queries: list[dict[str, Any]]) -> Any:
        return lambda: cw.get_metric_data(MetricDataQueries=queries, StartTime=t0,
                                          EndTime=t0 + timedelta(minutes=5))

    expect_error(get([{"Id": "m", "MetricStat": m}, {"Id": "m", "Expression": "m"}]),
                 "ValidationError")
    expect_error(get([{"Id": "M1", "MetricStat": m}]), "ValidationError")
    expect_error(get([{"Id": "m", "MetricStat": m, "Expression": "1"}]), "ValidationError")
    expect_error(get([{"Id": "e", "Expression": "nope + 1"}]), "ValidationError")
    expect_error(get([{"Id": "e", "Expression": "(1 +"}]), "ValidationError")
    expect_error(get([{"Id": "m", "MetricStat": dict(m, Stat="Median")}]), "ValidationError")
    expect_error(get([{"Id": "e", "Expression": "(" * 900 + "1" + ")" * 900}]),
                 "ValidationError")
    expect_error(lambda: cw.get_metric_data(
        MetricDataQueries=[{"Id": "e", "Expression": "1", "Period": 1}],
        StartTime=t0 - timedelta(days=14), EndTime=t0), "ValidationError")
    # values that are not finite (x / 0, overflow) are left out, not sent as JSON
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "Req", "Value": 1e100, "Timestamp": t0}])
    res = cw.get_metric_data(MetricDataQueries=[
        {"Id": "m", "MetricStat": m, "ReturnData": False},
        {"Id": "big", "Expression": "m ^ 10"}, {"Id": "zero", "Expression": "m / 0"},
        {"Id": "ok", "Expression": "m / 1e100"}],
        StartTime=t0, EndTime=t0 + timedelta(minutes=1))
    by = {r["Id"]: r["Values"] for r in res["MetricDataResults"]}
    assert by == {"big": [], "zero": [], "ok": [1.0]}
    expect_error(lambda: cw.get_metric_data(MetricDataQueries=[{"Id": "m", "MetricStat": m}],
                                            StartTime=t0, EndTime=t0 + timedelta(minutes=5),
                                            NextToken="garbage!"), "InvalidNextToken")
