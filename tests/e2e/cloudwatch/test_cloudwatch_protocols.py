"""The same CloudWatch calls over each protocol its model lists: smithy-rpc-v2-cbor
(what CBOR-first SDKs send), query (older SDKs) and JSON 1.0 (boto3 1.43's choice, and
the AWS CLI's), against the real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_protocols import pinned_client
from tests.support import aws_cli, client, expect_error

PROTOCOLS = ["smithy-rpc-v2-cbor", "query", "json"]


@pytest.fixture(scope="module")
def cw_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cw-models")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_round_trip(url: str, cw_models: Path, protocol: str) -> None:
    cw: Any = pinned_client("cloudwatch", url, protocol, cw_models)
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)
    dims = [{"Name": "Service", "Value": "web"}]
    cw.put_metric_data(Namespace="Proto", MetricData=[
        {"MetricName": "Lat", "Dimensions": dims, "Timestamp": t0, "Values": [1.5, 2.5],
         "Counts": [1, 3], "Unit": "Seconds"},
        {"MetricName": "Lat", "Dimensions": dims, "Timestamp": t0 + timedelta(minutes=1),
         "StatisticValues": {"SampleCount": 2, "Sum": 5, "Minimum": 2, "Maximum": 3},
         "Unit": "Seconds", "StorageResolution": 1}])
    got = cw.get_metric_statistics(
        Namespace="Proto", MetricName="Lat", Dimensions=dims, StartTime=t0,
        EndTime=t0 + timedelta(minutes=2), Period=60, Statistics=["Sum", "Maximum"])
    dps = sorted(got["Datapoints"], key=lambda d: d["Timestamp"])
    assert [(d["Timestamp"], d["Sum"], d["Maximum"], d["Unit"]) for d in dps] == [
        (t0, 9.0, 2.5, "Seconds"), (t0 + timedelta(minutes=1), 5.0, 3.0, "Seconds")]
    p = cw.get_metric_statistics(
        Namespace="Proto", MetricName="Lat", Dimensions=dims, StartTime=t0,
        EndTime=t0 + timedelta(minutes=1), Period=60, ExtendedStatistics=["p50"])
    assert p["Datapoints"][0]["ExtendedStatistics"] == {"p50": 2.5}
    data = cw.get_metric_data(MetricDataQueries=[
        {"Id": "m", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "Proto", "MetricName": "Lat", "Dimensions": dims},
            "Period": 60, "Stat": "Sum"}},
        {"Id": "twice", "Expression": "m * 2", "Label": "double"}],
        StartTime=t0, EndTime=t0 + timedelta(minutes=2), ScanBy="TimestampAscending")
    [r] = data["MetricDataResults"]
    assert r["Label"] == "double" and r["Values"] == [18.0, 10.0]
    assert r["Timestamps"] == [t0, t0 + timedelta(minutes=1)]
    assert cw.list_metrics(Namespace="Proto")["Metrics"] == [
        {"Namespace": "Proto", "MetricName": "Lat", "Dimensions": dims}]
    cw.put_metric_alarm(AlarmName="p", MetricName="Lat", Namespace="Proto",
                        Dimensions=dims, Statistic="Sum", Period=60, EvaluationPeriods=2,
                        DatapointsToAlarm=1, Threshold=1.0, TreatMissingData="notBreaching",
                        ComparisonOperator="GreaterThanThreshold",
                        Tags=[{"Key": "k", "Value": "v"}])
    cw.set_alarm_state(AlarmName="p", StateValue="ALARM", StateReason="r")
    [a] = cw.describe_alarms(AlarmNames=["p"])["MetricAlarms"]
    assert a["StateValue"] == "ALARM" and a["Threshold"] == 1.0
    assert isinstance(a["StateUpdatedTimestamp"], datetime)
    assert cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"] == [
        {"Key": "k", "Value": "v"}]
    hist = cw.describe_alarm_history(AlarmName="p")["AlarmHistoryItems"]
    assert hist[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    expect_error(lambda: cw.put_metric_data(Namespace="Proto", MetricData=[
        {"MetricName": "x", "Value": 1, "Values": [1]}]), "InvalidParameterCombination")
    expect_error(lambda: cw.set_alarm_state(AlarmName="ghost", StateValue="OK",
                                            StateReason="r"), "ResourceNotFound", 404)
    expect_error(lambda: cw.get_metric_statistics(
        Namespace="Proto", MetricName="Lat", StartTime=t0, EndTime=t0, Period=60,
        Statistics=["Sum"]), "InvalidParameterValue")


def test_cbor_carries_nan_and_infinity_which_are_refused(url: str, cw_models: Path) -> None:
    cw: Any = pinned_client("cloudwatch", url, "smithy-rpc-v2-cbor", cw_models)
    nan, inf = float("nan"), float("inf")
    for datum in ({"Value": nan}, {"Value": -inf}, {"Values": [1.0, nan]},
                  {"Values": [1.0], "Counts": [inf]},
                  {"StatisticValues": {"SampleCount": nan, "Sum": 1, "Minimum": 1,
                                       "Maximum": 1}}):
        expect_error(lambda d=datum: cw.put_metric_data(  # type: ignore[misc]
            Namespace="Nan", MetricData=[{"MetricName": "m", **d}]), "InvalidParameterValue")
    expect_error(lambda: cw.put_metric_alarm(
        AlarmName="x", MetricName="m", Namespace="Nan", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=nan, ComparisonOperator="GreaterThanThreshold"),
        "ValidationError")
    assert cw.list_metrics(Namespace="Nan")["Metrics"] == []
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_aws_cli(url: str) -> None:
    aws_cli(url, "cloudwatch", "put-metric-data", "--namespace", "Cli", "--metric-name",
            "Jobs", "--value", "3", "--dimensions", "Queue=q1")
    out = aws_cli(url, "cloudwatch", "list-metrics", "--namespace", "Cli")
    assert '"MetricName": "Jobs"' in out.stdout
    bad = aws_cli(url, "cloudwatch", "describe-alarm-history", "--next-token", "@@",
                  check=False)
    assert bad.returncode != 0 and "InvalidNextToken" in bad.stderr
    assert client("cloudwatch", url).list_metrics(Namespace="Cli")["Metrics"][0][
        "Dimensions"] == [{"Name": "Queue", "Value": "q1"}]
