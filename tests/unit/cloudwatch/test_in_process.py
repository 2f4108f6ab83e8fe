"""In-process callers: ``app.dispatcher.call("cloudwatch", "PutMetricData", …)`` as the
ECS metrics publisher uses it (AWS/ namespaces allowed in-process only), and the
PutMetricAlarm / DeleteAlarms calls Application Auto Scaling makes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from cargobay.protocol.errors import AwsError
from tests.unit.cloudwatch.helpers import CTX, T0, cw, make_app, state


def test_dispatcher_put_metric_data_in_aws_namespace() -> None:
    async def go() -> None:
        app = make_app()
        when = datetime.fromtimestamp(T0 - 60, tz=UTC)
        await app.dispatcher.call("cloudwatch", "PutMetricData", {
            "Namespace": "AWS/ECS", "MetricData": [
                {"MetricName": "CPUUtilization", "Timestamp": when, "Unit": "Percent",
                 "Dimensions": [{"Name": "ClusterName", "Value": "c1"},
                                {"Name": "ServiceName", "Value": "web"}],
                 "StatisticValues": {"SampleCount": 2, "Sum": 150.0, "Minimum": 50.0,
                                     "Maximum": 100.0}}]}, region="us-east-1")
        out = cw(app).get_metric_statistics(CTX, {
            "Namespace": "AWS/ECS", "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "ServiceName", "Value": "web"},
                           {"Name": "ClusterName", "Value": "c1"}],
            "StartTime": T0 - 600, "EndTime": T0, "Period": 60,
            "Statistics": ["Average"]})
        assert [d["Average"] for d in out["Datapoints"]] == [75.0]
        with pytest.raises(AwsError) as err:
            cw(app).put_metric_data(CTX, {"Namespace": "AWS/ECS", "MetricData": [
                {"MetricName": "x", "Value": 1.0}]})
        assert err.value.code == "InvalidParameterValue"
        alarm: dict[str, Any] = {"AlarmName": "TargetTracking-service/c1/web-AlarmHigh-1",
                 "MetricName": "CPUUtilization", "Namespace": "AWS/ECS",
                 "Statistic": "Average", "Period": 60, "EvaluationPeriods": 3,
                 "DatapointsToAlarm": 3, "Threshold": 50.0,
                 "ComparisonOperator": "GreaterThanThreshold",
                 "Dimensions": [{"Name": "ClusterName", "Value": "c1"},
                                {"Name": "ServiceName", "Value": "web"}]}
        await app.dispatcher.call("cloudwatch", "PutMetricAlarm", alarm, region="us-east-1")
        assert state(app, alarm["AlarmName"]) == "INSUFFICIENT_DATA"
        await app.dispatcher.call("cloudwatch", "DeleteAlarms",
                                  {"AlarmNames": [alarm["AlarmName"]]}, region="us-east-1")
        assert cw(app).alarms == {}

    asyncio.run(go())
