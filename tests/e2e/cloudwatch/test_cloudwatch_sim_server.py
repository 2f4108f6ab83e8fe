"""The whole chain through a real HTTP server whose clock is a SimClock: boto3 puts
datapoints, the clock moves a minute, the server's own evaluator loop changes the
alarm's state and its SNS action reaches an SQS queue that boto3 reads."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.server import AsgiApp
from cargobay.store.memory import MemoryStore
from tests.support import client, free_port, wait_healthy


class SimServer:
    def __init__(self) -> None:
        start = time.time()
        self.clock = SimClock(start=start - start % 60)
        self.app = App(Config(), clock=self.clock, store=MemoryStore())
        self.loop = asyncio.new_event_loop()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(
            AsgiApp(self.app), host="127.0.0.1", port=port, lifespan="on",
            log_level="warning", access_log=False))
        self.thread = threading.Thread(
            target=self.loop.run_until_complete, args=(self.server.serve(),), daemon=True)

    def advance(self, seconds: float) -> None:
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), self.loop).result(30)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    s = SimServer()
    s.thread.start()
    try:
        wait_healthy(s.url)
        yield s
    finally:
        s.server.should_exit = True
        s.thread.join(timeout=10)


def test_evaluator_on_the_server_clock_notifies_sns_to_sqs(sim: SimServer) -> None:
    cw, sns, sqs = (client(s, sim.url) for s in ("cloudwatch", "sns", "sqs"))
    q = sqs.create_queue(QueueName="alarms")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn,
                  Attributes={"RawMessageDelivery": "true"})
    cw.put_metric_alarm(AlarmName="busy", MetricName="Depth", Namespace="Sim",
                        Statistic="Maximum", Period=60, EvaluationPeriods=2,
                        DatapointsToAlarm=2, Threshold=100.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        AlarmActions=[topic], OKActions=[topic])
    t0 = sim.clock.now()

    def put(value: float, at: float) -> None:
        cw.put_metric_data(Namespace="Sim", MetricData=[
            {"MetricName": "Depth", "Value": value,
             "Timestamp": datetime.fromtimestamp(at, tz=UTC)}])

    def alarm() -> dict[str, Any]:
        out: dict[str, Any] = cw.describe_alarms(AlarmNames=["busy"])["MetricAlarms"][0]
        return out

    put(150.0, t0 + 5)
    sim.advance(60)
    assert alarm()["StateValue"] == "INSUFFICIENT_DATA"  # 1 of the 2 needed, "missing"
    put(180.0, t0 + 65)
    sim.advance(60)
    a = alarm()
    assert a["StateValue"] == "ALARM"
    assert a["StateReason"].startswith(
        "Threshold Crossed: 2 out of the last 2 datapoints [180.0 (")
    [msg] = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"]
    body = json.loads(msg["Body"])
    assert body["NewStateValue"] == "ALARM" and body["OldStateValue"] == "INSUFFICIENT_DATA"
    sqs.delete_message(QueueUrl=q, ReceiptHandle=msg["ReceiptHandle"])
    put(10.0, t0 + 125)
    sim.advance(60)
    assert alarm()["StateValue"] == "OK"
    [msg] = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)["Messages"]
    assert json.loads(msg["Body"])["NewStateValue"] == "OK"
    kinds = [h["HistoryItemType"] for h in
             cw.describe_alarm_history(AlarmName="busy")["AlarmHistoryItems"]]
    assert kinds.count("StateUpdate") == 2 and kinds.count("Action") == 2
