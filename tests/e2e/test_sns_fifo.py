"""FIFO topics to FIFO queues ("Message ordering and grouping", "Message
deduplication"): order within a message group, the group and deduplication IDs passed to
the queue, content-based deduplication, duplicates inside five minutes not delivered
again, sequence numbers."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.support import client


@pytest.fixture
def sns(url: str) -> Any:
    return client("sns", url)


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


def fifo_queue(sqs: Any, name: str) -> tuple[str, str]:
    q = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]
    return str(q), str(a["QueueArn"])


def receive_all(sqs: Any, q: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    for _ in range(30):
        r = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                                MessageSystemAttributeNames=["All"]).get("Messages", [])
        if not r:
            break
        got += r
        sqs.delete_message_batch(QueueUrl=q, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(r)])
    return got


def test_fifo_topic_to_fifo_queue_keeps_order_per_group(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    q, qa = fifo_queue(sqs, "orders.fifo")
    raw_q, raw_qa = fifo_queue(sqs, "raw.fifo")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa)
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=raw_qa,
                  Attributes={"RawMessageDelivery": "true"})
    seqs = []
    for i in range(12):
        group = "a" if i % 3 else "b"
        r = sns.publish(TopicArn=t, Message=f"{group}{i}", MessageGroupId=group,
                        MessageDeduplicationId=f"d{i}")
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 12
    got = receive_all(sqs, q)
    envs = [json.loads(m["Body"]) for m in got]
    for group in ("a", "b"):
        sent = [f"{group}{i}" for i in range(12) if (group == "a") == bool(i % 3)]
        mine = [(e, m) for e, m in zip(envs, got, strict=True) if e["Message"][0] == group]
        assert [e["Message"] for e, _ in mine] == sent
        assert all(m["Attributes"]["MessageGroupId"] == group for _, m in mine)
    assert all(e["SequenceNumber"] and e["Type"] == "Notification" for e in envs)
    by_msg = {json.loads(m["Body"])["Message"]: m for m in got}
    assert by_msg["a1"]["Attributes"]["MessageDeduplicationId"] == "d1"
    raw = receive_all(sqs, raw_q)
    assert sorted(m["Body"] for m in raw) == sorted(e["Message"] for e in envs)


def test_fifo_deduplication(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="dedup.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    q, qa = fifo_queue(sqs, "dedup.fifo")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa,
                  Attributes={"RawMessageDelivery": "true"})
    first = sns.publish(TopicArn=t, Message="same", MessageGroupId="g")
    again = sns.publish(TopicArn=t, Message="same", MessageGroupId="g")
    assert again == {**again, "MessageId": first["MessageId"],
                     "SequenceNumber": first["SequenceNumber"]}
    explicit = sns.publish(TopicArn=t, Message="same", MessageGroupId="g",
                           MessageDeduplicationId="other")
    assert explicit["MessageId"] != first["MessageId"]
    got = receive_all(sqs, q)
    assert [m["Body"] for m in got] == ["same", "same"]
    ids = [m["Attributes"]["MessageDeduplicationId"] for m in got]
    assert ids == [hashlib.sha256(b"same").hexdigest(), "other"]


def test_a_standard_queue_may_subscribe_to_a_fifo_topic(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="mixed.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    q = sqs.create_queue(QueueName="plain")["QueueUrl"]
    qa = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa)
    sns.publish(TopicArn=t, Message="m", MessageGroupId="g")
    [m] = sqs.receive_message(QueueUrl=q)["Messages"]
    assert json.loads(m["Body"])["Message"] == "m"
