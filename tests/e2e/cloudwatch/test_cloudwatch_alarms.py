"""CloudWatch alarms through boto3 against the real server: PutMetricAlarm (metric and
metric-math alarms) and its checks, DescribeAlarms filters and pages,
DescribeAlarmsForMetric, DeleteAlarms, Enable/DisableAlarmActions, SetAlarmState with
an SNS action delivered to SQS, DescribeAlarmHistory, tags."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import client, expect_error


@pytest.fixture
def cw(url: str) -> Any:
    return client("cloudwatch", url)


def put_alarm(cw: Any, name: str, **kw: Any) -> None:
    req: dict[str, Any] = {
        "AlarmName": name, "MetricName": "CPU", "Namespace": "App", "Statistic": "Average",
        "Dimensions": [{"Name": "Service", "Value": "web"}], "Period": 60,
        "EvaluationPeriods": 3, "Threshold": 50.0,
        "ComparisonOperator": "GreaterThanThreshold"}
    req.update(kw)
    cw.put_metric_alarm(**{k: v for k, v in req.items() if v is not None})


def test_put_and_describe_alarms(cw: Any) -> None:
    put_alarm(cw, "web-high", DatapointsToAlarm=2, TreatMissingData="breaching",
              AlarmActions=["arn:aws:sns:us-east-1:000000000000:ops"],
              AlarmDescription="cpu", Unit="Percent")
    [a] = cw.describe_alarms(AlarmNames=["web-high"])["MetricAlarms"]
    assert a["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:web-high"
    assert a["StateValue"] == "INSUFFICIENT_DATA"
    assert a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["DatapointsToAlarm"] == 2 and a["EvaluationPeriods"] == 3
    assert a["TreatMissingData"] == "breaching" and a["ActionsEnabled"] is True
    assert a["AlarmActions"] == ["arn:aws:sns:us-east-1:000000000000:ops"]
    assert a["OKActions"] == [] and a["Unit"] == "Percent"
    # an update keeps the state and replaces the configuration
    cw.set_alarm_state(AlarmName="web-high", StateValue="OK", StateReason="test")
    put_alarm(cw, "web-high", Threshold=70.0)
    [a] = cw.describe_alarms(AlarmNames=["web-high"])["MetricAlarms"]
    assert a["StateValue"] == "OK" and a["Threshold"] == 70.0
    assert a["AlarmActions"] == [] and a["TreatMissingData"] == "missing"
    assert a["DatapointsToAlarm"] == 3
    kinds = [h["HistorySummary"] for h in cw.describe_alarm_history(
        AlarmName="web-high", HistoryItemType="ConfigurationUpdate")["AlarmHistoryItems"]]
    assert kinds == ['Alarm "web-high" updated', 'Alarm "web-high" created']


def test_metric_math_alarm(cw: Any) -> None:
    cw.put_metric_alarm(
        AlarmName="error-rate", EvaluationPeriods=2, Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        Metrics=[
            {"Id": "e", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": "App", "MetricName": "Errors"}, "Period": 60,
                "Stat": "Sum"}},
            {"Id": "r", "ReturnData": False, "MetricStat": {
                "Metric": {"Namespace": "App", "MetricName": "Requests"}, "Period": 60,
                "Stat": "Sum"}},
            {"Id": "rate", "Expression": "100 * e / r", "Label": "rate"}])
    [a] = cw.describe_alarms()["MetricAlarms"]
    assert [m["Id"] for m in a["Metrics"]] == ["e", "r", "rate"]
    assert "MetricName" not in a
    expect_error(lambda: cw.put_metric_alarm(
        AlarmName="bad", EvaluationPeriods=2, Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[{"Id": "a", "Expression": "1"}, {"Id": "b", "Expression": "2"}]),
        "ValidationError")
    expect_error(lambda: cw.put_metric_alarm(
        AlarmName="bad", EvaluationPeriods=2, Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        Metrics=[{"Id": "a", "Expression": "nope * 2"}]), "ValidationError")
    assert len(cw.describe_alarms()["MetricAlarms"]) == 1


def test_put_metric_alarm_checks(cw: Any) -> None:
    def bad(code: str, **kw: Any) -> str:
        return expect_error(lambda: put_alarm(cw, "bad", **kw), code)

    assert "more than a day" in bad("ValidationError", Period=3600, EvaluationPeriods=25)
    bad("ValidationError", DatapointsToAlarm=4)
    bad("ValidationError", Period=45)
    bad("InvalidParameterCombination", ExtendedStatistic="p99")
    bad("ValidationError", Statistic=None, ExtendedStatistic="p1000")
    bad("ValidationError", TreatMissingData="sometimes")
    bad("ValidationError", AlarmActions=["not-an-arn"])
    bad("ValidationError", ComparisonOperator="GreaterThanUpperThreshold")
    bad("InvalidParameterCombination", Metrics=[{"Id": "m", "Expression": "1"}])
    bad("InvalidParameterCombination", Statistic=None)
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_describe_filters_pages_and_for_metric(cw: Any) -> None:
    for i in range(7):
        put_alarm(cw, f"a{i}", Statistic="Maximum" if i % 2 else "Average",
                  OKActions=["arn:aws:sns:us-east-1:000000000000:ok"] if i == 3 else [])
    put_alarm(cw, "other", MetricName="Mem")
    cw.set_alarm_state(AlarmName="a2", StateValue="ALARM", StateReason="x")
    names: list[str] = []
    token = None
    for _ in range(10):
        page = cw.describe_alarms(AlarmNamePrefix="a", MaxRecords=3,
                                  **({"NextToken": token} if token else {}))
        names += [a["AlarmName"] for a in page["MetricAlarms"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"a{i}" for i in range(7)]
    assert [a["AlarmName"] for a in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == [
        "a2"]
    assert [a["AlarmName"] for a in cw.describe_alarms(
        ActionPrefix="arn:aws:sns:us-east-1:000000000000:o")["MetricAlarms"]] == ["a3"]
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    got = cw.describe_alarms_for_metric(MetricName="CPU", Namespace="App",
                                        Dimensions=[{"Name": "Service", "Value": "web"}],
                                        Statistic="Maximum")["MetricAlarms"]
    assert [a["AlarmName"] for a in got] == ["a1", "a3", "a5"]
    expect_error(lambda: cw.describe_alarms(AlarmNames=["a1"], AlarmNamePrefix="a"),
                 "InvalidParameterCombination")
    cw.delete_alarms(AlarmNames=["a0", "a1", "never-was"])
    left = [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]]
    assert left == ["a2", "a3", "a4", "a5", "a6", "other"]


def test_actions_toggle_and_set_alarm_state_notifies_sns_to_sqs(url: str, cw: Any) -> None:
    sns, sqs = client("sns", url), client("sqs", url)
    q = sqs.create_queue(QueueName="alarms")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    put_alarm(cw, "web", AlarmActions=[topic], OKActions=[topic])
    cw.disable_alarm_actions(AlarmNames=["web"])
    assert cw.describe_alarms()["MetricAlarms"][0]["ActionsEnabled"] is False
    cw.set_alarm_state(AlarmName="web", StateValue="ALARM", StateReason="quiet")
    assert sqs.receive_message(QueueUrl=q).get("Messages") is None
    cw.enable_alarm_actions(AlarmNames=["web"])
    cw.set_alarm_state(AlarmName="web", StateValue="OK", StateReason="testing OK",
                       StateReasonData=json.dumps({"why": "test"}))
    [msg] = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"]
    body = json.loads(msg["Body"])
    assert body["NewStateValue"] == "OK" and body["OldStateValue"] == "ALARM"
    assert body["NewStateReason"] == "testing OK"
    assert body["AlarmArn"].endswith(":alarm:web")
    assert body["Trigger"]["Dimensions"] == [{"value": "web", "name": "Service"}]
    [a] = cw.describe_alarms()["MetricAlarms"]
    assert a["StateValue"] == "OK" and json.loads(a["StateReasonData"]) == {"why": "test"}
    hist = cw.describe_alarm_history(AlarmName="web")["AlarmHistoryItems"]
    assert [h["HistoryItemType"] for h in hist] == [
        "Action", "StateUpdate", "StateUpdate", "ConfigurationUpdate"]
    assert hist[0]["HistorySummary"] == f"Successfully executed action {topic}"
    assert hist[1]["HistorySummary"] == "Alarm updated from ALARM to OK"
    asc = cw.describe_alarm_history(AlarmName="web", ScanBy="TimestampAscending",
                                    MaxRecords=1)
    assert asc["AlarmHistoryItems"][0]["HistoryItemType"] == "ConfigurationUpdate"
    assert "NextToken" in asc
    expect_error(lambda: cw.set_alarm_state(AlarmName="web", StateValue="OK",
                                            StateReason="x", StateReasonData="{nope"),
                 "InvalidFormat")
    expect_error(lambda: cw.set_alarm_state(AlarmName="web", StateValue="OK",
                                            StateReason="x", StateReasonData="NaN"),
                 "InvalidFormat")
    expect_error(lambda: cw.set_alarm_state(AlarmName="ghost", StateValue="OK",
                                            StateReason="x"), "ResourceNotFound", 404)


def test_tags(cw: Any) -> None:
    put_alarm(cw, "tagged", Tags=[{"Key": "team", "Value": "web"}])
    arn = cw.describe_alarms()["MetricAlarms"][0]["AlarmArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    ghost = arn.replace(":tagged", ":ghost")
    expect_error(lambda: cw.list_tags_for_resource(ResourceARN=ghost),
                 "ResourceNotFoundException", 404)
    cw.delete_alarms(AlarmNames=["tagged"])
    put_alarm(cw, "tagged")
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
