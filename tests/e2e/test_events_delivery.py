"""EventBridge delivering events, end to end with boto3 on a real server: PutEvents to SQS
queues (the event envelope, Input, InputPath, InputTransformer, FIFO queues), bus to bus,
disabled rules, dead-letter queues with EventBridge's error attributes."""

from __future__ import annotations

import calendar
import json
import time
import uuid
from typing import Any

import pytest

from tests.support import client

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture
def events(url: str) -> Any:
    return client("events", url)


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


def queue(sqs: Any, name: str, **attrs: str) -> tuple[str, str]:
    """(url, arn) of a new queue."""
    q = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    return q, arn


def receive(sqs: Any, q: str, n: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Wait for ``n`` messages (deleting them); fewer if ``timeout`` runs out."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        out = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                  MessageAttributeNames=["All"])
        for m in out.get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    return got


def nothing_more(sqs: Any, q: str) -> bool:
    out = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1)
    return not out.get("Messages")


def put(events: Any, detail: dict[str, Any], source: str = "my.app",
        detail_type: str = "Order Placed", **extra: Any) -> str:
    out = events.put_events(Entries=[{"Source": source, "DetailType": detail_type,
                                      "Detail": json.dumps(detail), **extra}])
    assert out["FailedEntryCount"] == 0, out
    event_id: str = out["Entries"][0]["EventId"]
    return event_id


def test_matching_events_reach_the_queue_as_eventbridge_shapes_them(events: Any,
                                                                    sqs: Any) -> None:
    q, arn = queue(sqs, "orders")
    events.put_rule(Name="big-orders", EventPattern=json.dumps(
        {"source": ["my.app"], "detail": {"amount": [{"numeric": [">=", 100]}]}}))
    events.put_targets(Rule="big-orders", Targets=[{"Id": "q", "Arn": arn}])
    before = time.time()
    small = put(events, {"amount": 5})
    big = put(events, {"amount": 250, "items": ["a", "b"]},
              Resources=["arn:aws:s3:::bucket/key"])
    assert small != big
    [m] = receive(sqs, q)
    event = json.loads(m["Body"])
    assert event == {
        "version": "0",
        "id": big,
        "detail-type": "Order Placed",
        "source": "my.app",
        "account": ACCOUNT,
        "time": event["time"],
        "region": REGION,
        "resources": ["arn:aws:s3:::bucket/key"],
        "detail": {"amount": 250, "items": ["a", "b"]},
    }
    assert uuid.UUID(big)
    assert event["time"].endswith("Z") and len(event["time"]) == 20
    sent = calendar.timegm(time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before - 1 <= sent <= time.time() + 1
    assert nothing_more(sqs, q)


def test_entry_time_is_the_event_time(events: Any, sqs: Any) -> None:
    q, arn = queue(sqs, "timed")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    put(events, {}, Time=1_700_000_000)
    [m] = receive(sqs, q)
    assert json.loads(m["Body"])["time"] == "2023-11-14T22:13:20Z"


def test_every_matching_rule_and_target_gets_a_copy(events: Any, sqs: Any) -> None:
    qa, a = queue(sqs, "a")
    qb, b = queue(sqs, "b")
    events.put_rule(Name="by-source", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_rule(Name="by-type", EventPattern=json.dumps(
        {"detail-type": [{"prefix": "Order"}]}))
    events.put_rule(Name="never", EventPattern=json.dumps({"source": ["other"]}))
    events.put_targets(Rule="by-source", Targets=[{"Id": "a", "Arn": a}, {"Id": "b", "Arn": b}])
    events.put_targets(Rule="by-type", Targets=[{"Id": "a", "Arn": a}])
    events.put_targets(Rule="never", Targets=[{"Id": "b", "Arn": b}])
    event_id = put(events, {"n": 1})
    got_a = receive(sqs, qa, 2)
    got_b = receive(sqs, qb, 1)
    assert [json.loads(m["Body"])["id"] for m in got_a] == [event_id, event_id]
    assert [json.loads(m["Body"])["id"] for m in got_b] == [event_id]
    assert nothing_more(sqs, qa) and nothing_more(sqs, qb)


def test_disabled_rules_and_removed_targets_deliver_nothing(events: Any, sqs: Any) -> None:
    q, arn = queue(sqs, "quiet")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    events.disable_rule(Name="r")
    put(events, {"n": 1})
    events.enable_rule(Name="r")
    second = put(events, {"n": 2})
    events.remove_targets(Rule="r", Ids=["q"])
    put(events, {"n": 3})
    got = receive(sqs, q, 3, timeout=4)
    assert [json.loads(m["Body"])["id"] for m in got] == [second]


def test_input_inputpath_and_transformer(events: Any, sqs: Any) -> None:
    q1, a1 = queue(sqs, "constant")
    q2, a2 = queue(sqs, "path")
    q3, a3 = queue(sqs, "template")
    q4, a4 = queue(sqs, "text")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="r", Targets=[
        {"Id": "1", "Arn": a1, "Input": '{"fixed": [1, 2]}'},
        {"Id": "2", "Arn": a2, "InputPath": "$.detail.order"},
        {"Id": "3", "Arn": a3, "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.order.id", "n": "$.detail.order.count",
                              "first": "$.detail.tags[0]", "all": "$.detail.tags",
                              "missing": "$.detail.nope"},
            "InputTemplate": '{"order": "<id>", "count": <n>, "first": "<first>", '
                             '"tags": <all>, "rule": "<aws.events.rule-name>", '
                             '"none": <missing>, "quoted": "said \\"<id>\\""}'}},
        {"Id": "4", "Arn": a4, "InputTransformer": {
            "InputPathsMap": {"id": "$.detail.order.id"},
            "InputTemplate": '"order <id> placed by <aws.events.rule-arn>"'}},
    ])
    event_id = put(events, {"order": {"id": "o-1", "count": 3}, "tags": ["x", "y"]})
    assert json.loads(receive(sqs, q1)[0]["Body"]) == {"fixed": [1, 2]}
    assert json.loads(receive(sqs, q2)[0]["Body"]) == {"id": "o-1", "count": 3}
    assert json.loads(receive(sqs, q3)[0]["Body"]) == {
        "order": "o-1", "count": 3, "first": "x", "tags": ["x", "y"], "rule": "r",
        "none": None, "quoted": 'said "o-1"'}
    assert receive(sqs, q4)[0]["Body"] == (
        f'"order o-1 placed by arn:aws:events:{REGION}:{ACCOUNT}:rule/r"')
    assert event_id


def test_fifo_queue_target(events: Any, sqs: Any) -> None:
    q, arn = queue(sqs, "orders.fifo", FifoQueue="true")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn,
                                           "SqsParameters": {"MessageGroupId": "g1"}}])
    ids = [put(events, {"n": i}) for i in range(3)]
    got = receive(sqs, q, 3)
    assert [json.loads(m["Body"])["id"] for m in got] == ids


def test_bus_to_bus(events: Any, sqs: Any) -> None:
    q, arn = queue(sqs, "downstream")
    events.create_event_bus(Name="orders")
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"
    events.put_rule(Name="forward", EventPattern=json.dumps({"source": ["my.app"]}))
    events.put_targets(Rule="forward", Targets=[{"Id": "bus", "Arn": bus_arn}])
    events.put_rule(Name="collect", EventBusName="orders",
                    EventPattern=json.dumps({"detail": {"kind": ["order"]}}))
    events.put_targets(Rule="collect", EventBusName="orders", Targets=[{"Id": "q", "Arn": arn}])
    first = put(events, {"kind": "order"})
    put(events, {"kind": "refund"})
    [m] = receive(sqs, q)
    event = json.loads(m["Body"])
    assert (event["id"], event["source"], event["detail"]) == (first, "my.app",
                                                                {"kind": "order"})
    assert nothing_more(sqs, q)
    # events put on the custom bus directly are routed by its rules too
    direct = put(events, {"kind": "order"}, EventBusName="orders")
    assert json.loads(receive(sqs, q)[0]["Body"])["id"] == direct


def test_a_missing_target_goes_to_the_dead_letter_queue_at_once(events: Any, sqs: Any) -> None:
    dlq, dlq_arn = queue(sqs, "dlq")
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["my.app"]}))
    target_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:does-not-exist"
    events.put_targets(Rule="r", Targets=[{"Id": "gone", "Arn": target_arn,
                                           "DeadLetterConfig": {"Arn": dlq_arn}}])
    event_id = put(events, {"n": 1})
    [m] = receive(sqs, dlq)
    assert json.loads(m["Body"])["id"] == event_id
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r"
    assert attrs["TARGET_ARN"] == target_arn
    assert attrs["ERROR_CODE"] == "NO_RESOURCE"
    assert attrs["ERROR_MESSAGE"]
    assert attrs["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attrs


def test_many_events_many_rules(events: Any, sqs: Any) -> None:
    q, arn = queue(sqs, "bulk")
    for i in range(20):
        events.put_rule(Name=f"r{i}", EventPattern=json.dumps(
            {"source": [f"app.{i}"], "detail": {"n": [{"numeric": [">=", 0]}]}}))
        events.put_targets(Rule=f"r{i}", Targets=[{"Id": "q", "Arn": arn}])
    sent: set[str] = set()
    for batch in range(5):
        entries = [{"Source": f"app.{(batch * 10 + j) % 25}", "DetailType": "t",
                    "Detail": json.dumps({"n": j})} for j in range(10)]
        out = events.put_events(Entries=entries)
        assert out["FailedEntryCount"] == 0
        sent |= {e["EventId"] for e, entry in zip(out["Entries"], entries, strict=True)
                 if int(entry["Source"].split(".")[1]) < 20}
    got = receive(sqs, q, len(sent))
    assert {json.loads(m["Body"])["id"] for m in got} == sent
    assert len(got) == len(sent)
