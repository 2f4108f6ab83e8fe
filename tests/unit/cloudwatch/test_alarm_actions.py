"""Alarm actions on a SimClock: SNS notifications reach an SQS queue through real SNS and
SQS services with CloudWatch's alarm message; Auto Scaling actions get
``on_alarm_action`` on the change and again every period while the alarm stays in
ALARM (User Guide: "For Amazon EC2 Auto Scaling actions, the alarm continues to invoke
the action for every period that the alarm remains in the new state"), SNS ones only
once; a missing target service is a failed action in the history; reason texts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from cargobay.app import App
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.sns.service import SnsService
from cargobay.services.sqs.service import SqsService
from tests.unit.cloudwatch.helpers import CTX, alarm, alarm_doc, cw, make_app, put, state

POLICY = ("arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:1234:resource/ecs/"
          "service/c1/web:policyName/out")


class FakeScaling:
    def __init__(self, app: App) -> None:
        self.calls: list[tuple[str, AlarmFiring]] = []

    async def on_alarm_action(self, arn: str, firing: AlarmFiring) -> None:
        self.calls.append((arn, firing))


def history(app: App, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cw(app).describe_alarm_history(
        CTX, {"AlarmName": "a", "HistoryItemType": kind})["AlarmHistoryItems"]
    return items


def test_sns_action_reaches_sqs_with_the_alarm_message() -> None:
    async def go() -> None:
        app = make_app(lambda a: {"sns": SnsService(a), "sqs": SqsService(a)})
        call = app.dispatcher.call
        q = await call("sqs", "CreateQueue", {"QueueName": "alarms"}, region="us-east-1")
        qarn = "arn:aws:sqs:us-east-1:000000000000:alarms"
        topic = (await call("sns", "CreateTopic", {"Name": "ops"},
                            region="us-east-1"))["TopicArn"]
        await call("sns", "Subscribe", {"TopicArn": topic, "Protocol": "sqs",
                                        "Endpoint": qarn}, region="us-east-1")
        await app.clock.advance(600)  # type: ignore[attr-defined]
        now = app.clock.now()
        put(app, 9.0, now - 60)
        alarm(app, 1, 1, AlarmActions=[topic], AlarmDescription="load is high")
        assert await cw(app).evaluate_all(now) == 1
        assert state(app) == "ALARM"
        got = await call("sqs", "ReceiveMessage", {"QueueUrl": q["QueueUrl"],
                                                   "MaxNumberOfMessages": 10},
                         region="us-east-1")
        msgs = got["Messages"]
        assert len(msgs) == 1
        envelope = json.loads(msgs[0]["Body"])
        assert envelope["Subject"] == 'ALARM: "a" in US East (N. Virginia)'
        body = json.loads(envelope["Message"])
        assert body["AlarmName"] == "a" and body["AlarmDescription"] == "load is high"
        assert body["NewStateValue"] == "ALARM"
        assert body["OldStateValue"] == "INSUFFICIENT_DATA"
        assert body["Region"] == "US East (N. Virginia)"
        assert body["AWSAccountId"] == "000000000000"
        assert body["Trigger"]["MetricName"] == "Load"
        assert body["Trigger"]["Statistic"] == "MAXIMUM"
        assert body["Trigger"]["Threshold"] == 5.0
        assert body["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [9.0 (")
        acts = history(app, "Action")
        assert acts[0]["HistorySummary"] == f"Successfully executed action {topic}"
        # SNS actions are not repeated while the alarm stays in ALARM
        put(app, 9.0, now)
        assert await cw(app).evaluate_all(now + 60) == 0
        again = await call("sqs", "ReceiveMessage", {"QueueUrl": q["QueueUrl"]},
                           region="us-east-1")
        assert not again.get("Messages")
        assert len(history(app, "Action")) == 1

    asyncio.run(go())


def test_autoscaling_actions_repeat_every_period_while_in_alarm() -> None:
    async def go() -> None:
        app = make_app(lambda a: {"application-autoscaling": FakeScaling(a)})
        fake = app.services["application-autoscaling"]
        assert isinstance(fake, FakeScaling)
        svc = cw(app)
        await app.clock.advance(600)  # type: ignore[attr-defined]
        now = app.clock.now()
        for k in range(3):
            put(app, 50.0 + k, now - 60 * (3 - k))
        alarm(app, 3, 3, AlarmActions=[POLICY])
        await svc.evaluate_all(now)
        assert len(fake.calls) == 1
        arn, firing = fake.calls[0]
        assert arn == POLICY and firing.state == "ALARM"
        assert firing.values == [50.0, 51.0, 52.0]
        assert firing.threshold == 5.0 and firing.comparison_operator == "GreaterThanThreshold"
        for k in range(1, 4):
            put(app, 60.0, now + 60 * (k - 1))
            await svc.evaluate_all(now + 60 * k)
        assert len(fake.calls) == 4
        assert [f.timestamp for _, f in fake.calls] == [now + 60 * k for k in range(4)]
        # back under the threshold: OK has no actions, nothing more runs
        for k in range(4, 8):
            put(app, 1.0, now + 60 * (k - 1))
        await svc.evaluate_all(now + 60 * 7)
        assert state(app) == "OK" and len(fake.calls) == 4
        assert len(history(app, "Action")) == 4

    asyncio.run(go())


def test_disabled_actions_do_not_run_and_a_missing_service_is_a_failed_action() -> None:
    async def go() -> None:
        app = make_app()
        svc = cw(app)
        await app.clock.advance(600)  # type: ignore[attr-defined]
        now = app.clock.now()
        put(app, 9.0, now - 60)
        alarm(app, 1, 1, AlarmActions=[POLICY], ActionsEnabled=False)
        await svc.evaluate_all(now)
        assert state(app) == "ALARM" and history(app, "Action") == []
        svc.enable_alarm_actions(CTX, {"AlarmNames": ["a"]})
        await svc.evaluate_all(now + 60)  # still ALARM: the Auto Scaling action repeats
        acts = history(app, "Action")
        assert len(acts) == 1
        assert acts[0]["HistorySummary"].startswith(f"Failed to execute action {POLICY}.")
        assert json.loads(acts[0]["HistoryData"])["actionState"] == "Failed"

    asyncio.run(go())


def test_reason_text_and_data_for_m_of_n() -> None:
    async def go() -> None:
        app = make_app()
        svc = cw(app)
        await app.clock.advance(3600)  # type: ignore[attr-defined]
        now = app.clock.now()
        for k, v in enumerate([1.0, 7.0, 2.0, 8.0, 9.0]):
            put(app, v, now - 60 * (5 - k))
        alarm(app, 2, 3)
        await svc.evaluate_all(now)
        doc = alarm_doc(app)
        assert doc["StateValue"] == "ALARM"
        assert doc["StateReason"] == (
            "Threshold Crossed: 2 out of the last 3 datapoints [9.0 (15/01/27 08:59:00), "
            "8.0 (15/01/27 08:58:00)] were greater than the threshold (5.0) (minimum 2 "
            "datapoints for OK -> ALARM transition).")
        data = json.loads(doc["StateReasonData"])
        assert data["version"] == "1.0" and data["statistic"] == "Maximum"
        assert data["period"] == 60 and data["threshold"] == 5.0
        assert data["recentDatapoints"] == [1.0, 7.0, 2.0, 8.0, 9.0]
        assert [d["value"] for d in data["evaluatedDatapoints"]] == [9.0, 8.0, 2.0]
        assert data["evaluatedDatapoints"][0]["timestamp"] == "2027-01-15T08:59:00.000+0000"
        updates = history(app, "StateUpdate")
        assert updates[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"

    asyncio.run(go())


def test_evaluation_runs_on_the_clock_each_minute() -> None:
    async def go() -> None:
        app = make_app()
        await app.start()
        try:
            now = app.clock.now()
            put(app, 9.0, now)
            alarm(app, 1, 1)
            await app.clock.advance(59)  # type: ignore[attr-defined]
            assert state(app) == "INSUFFICIENT_DATA"
            await app.clock.advance(1)  # type: ignore[attr-defined]
            assert state(app) == "ALARM"
            # the datapoint stays in the evaluation range (N + 2 = 3 periods) until then
            await app.clock.advance(120)  # type: ignore[attr-defined]
            assert state(app) == "ALARM"
            await app.clock.advance(60)  # type: ignore[attr-defined]
            assert state(app) == "INSUFFICIENT_DATA"
        finally:
            await app.stop()

    asyncio.run(go())


def test_alarms_and_datapoints_survive_a_restart(tmp_path: Any) -> None:
    from cargobay.store.sqlite import SqliteStore

    async def go() -> None:
        path = str(tmp_path / "cw.db")
        app = make_app(store=SqliteStore(path))
        now = app.clock.now()
        put(app, 9.0, now - 30)
        alarm(app, 1, 1)
        app.store.close()
        again = make_app(store=SqliteStore(path))
        assert state(again) == "INSUFFICIENT_DATA"
        await again.clock.advance(30)  # type: ignore[attr-defined]
        await cw(again).evaluate_all(now + 30)
        assert state(again) == "ALARM"
        stats = cw(again).get_metric_statistics(CTX, {
            "Namespace": "Test", "MetricName": "Load", "StartTime": now - 600,
            "EndTime": now + 60, "Period": 60, "Statistics": ["Sum"]})
        assert [d["Sum"] for d in stats["Datapoints"]] == [9.0]

    asyncio.run(go())


def test_metric_math_alarm_is_evaluated() -> None:
    async def go() -> None:
        app = make_app()
        svc = cw(app)
        await app.clock.advance(600)  # type: ignore[attr-defined]
        now = app.clock.now()
        for k in range(2):
            put(app, 100.0, now - 60 * (k + 1), name="Requests")
            put(app, 10.0 * (k + 1), now - 60 * (k + 1), name="Errors")
        svc.put_metric_alarm(CTX, {
            "AlarmName": "a", "EvaluationPeriods": 2, "Threshold": 5.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Metrics": [
                {"Id": "e", "ReturnData": False, "MetricStat": {
                    "Metric": {"Namespace": "Test", "MetricName": "Errors"},
                    "Period": 60, "Stat": "Sum"}},
                {"Id": "r", "ReturnData": False, "MetricStat": {
                    "Metric": {"Namespace": "Test", "MetricName": "Requests"},
                    "Period": 60, "Stat": "Sum"}},
                {"Id": "rate", "Expression": "100 * e / r"}]})
        await svc.evaluate_all(now)
        assert state(app) == "ALARM"
        assert json.loads(alarm_doc(app)["StateReasonData"])["recentDatapoints"] == [
            20.0, 10.0]
        put(app, 0.0, now, name="Errors")
        put(app, 100.0, now, name="Requests")
        await svc.evaluate_all(now + 60)
        assert state(app) == "OK"

    asyncio.run(go())


def test_high_resolution_alarm_is_evaluated_every_ten_seconds() -> None:
    async def go() -> None:
        app = make_app()
        await app.start()
        try:
            now = app.clock.now()
            cw(app).put_metric_data(CTX, {"Namespace": "Test", "MetricData": [
                {"MetricName": "Load", "Value": 9.0, "StorageResolution": 1,
                 "Timestamp": now + 2}]})
            alarm(app, 1, 1, Period=10)
            await app.clock.advance(10)  # type: ignore[attr-defined]
            assert state(app) == "ALARM"
            assert "Period" in alarm_doc(app) and alarm_doc(app)["Period"] == 10
            await app.clock.advance(30)  # type: ignore[attr-defined]
            assert state(app) == "INSUFFICIENT_DATA"  # out of the 3-period range
        finally:
            await app.stop()

    asyncio.run(go())


def test_low_sample_count_percentile_ignore_keeps_the_state() -> None:
    """User Guide, "Percentile-based alarms and low data samples": p90 needs 10 / 0.1 =
    100 samples in the evaluated periods; with fewer, ``ignore`` keeps the state."""

    async def go() -> None:
        app = make_app()
        svc = cw(app)
        await app.clock.advance(600)  # type: ignore[attr-defined]
        now = app.clock.now()
        svc.put_metric_data(CTX, {"Namespace": "Test", "MetricData": [
            {"MetricName": "Load", "Values": [9.0] * 99, "Timestamp": now - 60}]})
        alarm(app, 1, 1, Statistic=None, ExtendedStatistic="p90",
              EvaluateLowSampleCountPercentile="ignore")
        await svc.evaluate_all(now)
        assert state(app) == "INSUFFICIENT_DATA"
        svc.put_metric_data(CTX, {"Namespace": "Test", "MetricData": [
            {"MetricName": "Load", "Values": [9.0], "Timestamp": now - 60}]})
        await svc.evaluate_all(now)
        assert state(app) == "ALARM"

    asyncio.run(go())
