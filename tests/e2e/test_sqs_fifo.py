"""FIFO queues through boto3 (SQS Developer Guide, "FIFO queue logic" and "Exactly-once
processing"): order within a message group, a group with a message in flight delivers
nothing else, other groups still flow; deduplication by ID and by content within the
window, scoped per group when DeduplicationScope is messageGroup; sequence numbers;
ReceiveRequestAttemptId retries; the FIFO-only refusals."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.support import client
from tests.support import expect_error as error


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


def fifo(sqs: Any, name: str = "jobs.fifo", **attrs: str) -> str:
    return str(sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", **attrs})[
        "QueueUrl"])


def bodies(msgs: list[dict[str, Any]]) -> list[str]:
    return [m["Body"] for m in msgs]


def test_order_within_a_group_and_sequence_numbers(sqs: Any) -> None:
    q = fifo(sqs, ContentBasedDeduplication="true")
    seqs = []
    for i in range(5):
        r = sqs.send_message(QueueUrl=q, MessageBody=f"m{i}", MessageGroupId="g")
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert all(len(str(s)) == 20 for s in seqs)
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                              MessageSystemAttributeNames=["All"])["Messages"]
    assert bodies(got) == [f"m{i}" for i in range(5)]
    a = got[0]["Attributes"]
    assert a["MessageGroupId"] == "g"
    assert a["SequenceNumber"] == str(seqs[0])
    assert a["MessageDeduplicationId"] == hashlib.sha256(b"m0").hexdigest()


def test_a_group_in_flight_blocks_only_itself(sqs: Any) -> None:
    q = fifo(sqs, ContentBasedDeduplication="true")
    for body, group in (("a1", "A"), ("a2", "A"), ("b1", "B"), ("a3", "A"), ("b2", "B")):
        sqs.send_message(QueueUrl=q, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=2)["Messages"]
    assert bodies(first) == ["a1", "a2"]
    second = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert bodies(second) == ["b1", "b2"]  # group A is blocked while a1, a2 are in flight
    assert "Messages" not in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=q, ReceiptHandle=first[0]["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=q)  # a2 still in flight
    sqs.delete_message(QueueUrl=q, ReceiptHandle=first[1]["ReceiptHandle"])
    assert bodies(sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]) == ["a3"]


def test_a_returned_message_is_delivered_again_first(sqs: Any) -> None:
    q = fifo(sqs, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=q, MessageBody=f"m{i}", MessageGroupId="g")
    m0 = sqs.receive_message(QueueUrl=q)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=m0["ReceiptHandle"],
                                  VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                                MessageSystemAttributeNames=["ApproximateReceiveCount"])[
        "Messages"]
    assert bodies(again) == ["m0", "m1", "m2"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    # the first handle expired: FIFO queues say so
    msg = error(lambda: sqs.delete_message(QueueUrl=q, ReceiptHandle=m0["ReceiptHandle"]),
                "InvalidParameterValue")
    assert msg.endswith("Reason: The receipt handle has expired.")


def test_deduplication_by_id_and_by_content(sqs: Any) -> None:
    q = fifo(sqs)
    one = sqs.send_message(QueueUrl=q, MessageBody="x", MessageGroupId="g",
                           MessageDeduplicationId="d1")
    dup = sqs.send_message(QueueUrl=q, MessageBody="different body", MessageGroupId="g",
                           MessageDeduplicationId="d1")
    assert dup["MessageId"] == one["MessageId"]
    assert dup["SequenceNumber"] == one["SequenceNumber"]
    c = fifo(sqs, "content.fifo", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=c, MessageBody="same", MessageGroupId="g1")
    b = sqs.send_message(QueueUrl=c, MessageBody="same", MessageGroupId="g2")
    assert a["MessageId"] == b["MessageId"]  # scope is the queue
    explicit = sqs.send_message(QueueUrl=c, MessageBody="other", MessageGroupId="g1",
                                MessageDeduplicationId=hashlib.sha256(b"same").hexdigest())
    assert explicit["MessageId"] == a["MessageId"]
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert bodies(got) == ["x"]
    got = sqs.receive_message(QueueUrl=c, MaxNumberOfMessages=10)["Messages"]
    assert bodies(got) == ["same"]
    # deleting does not reopen the window
    sqs.delete_message(QueueUrl=c, ReceiptHandle=got[0]["ReceiptHandle"])
    sqs.send_message(QueueUrl=c, MessageBody="same", MessageGroupId="g1")
    assert "Messages" not in sqs.receive_message(QueueUrl=c)


def test_deduplication_scoped_to_the_group(sqs: Any) -> None:
    q = fifo(sqs, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    a = sqs.send_message(QueueUrl=q, MessageBody="a", MessageGroupId="g1",
                         MessageDeduplicationId="same")
    b = sqs.send_message(QueueUrl=q, MessageBody="b", MessageGroupId="g2",
                         MessageDeduplicationId="same")
    c = sqs.send_message(QueueUrl=q, MessageBody="c", MessageGroupId="g1",
                         MessageDeduplicationId="same")
    assert a["MessageId"] != b["MessageId"]
    assert c["MessageId"] == a["MessageId"]
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert sorted(bodies(got)) == ["a", "b"]


def test_duplicates_within_one_batch(sqs: Any) -> None:
    q = fifo(sqs, ContentBasedDeduplication="true")
    r = sqs.send_message_batch(QueueUrl=q, Entries=[
        {"Id": "1", "MessageBody": "x", "MessageGroupId": "g"},
        {"Id": "2", "MessageBody": "x", "MessageGroupId": "g"},
        {"Id": "3", "MessageBody": "y", "MessageGroupId": "g"},
    ])
    ids = {s["Id"]: s["MessageId"] for s in r["Successful"]}
    assert ids["1"] == ids["2"] != ids["3"]
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert bodies(got) == ["x", "y"]


def test_receive_request_attempt_id_replays_the_same_messages(sqs: Any) -> None:
    q = fifo(sqs, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=q, MessageBody=f"m{i}", MessageGroupId=f"g{i}")
    first = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=2,
                                ReceiveRequestAttemptId="try-1")["Messages"]
    again = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=2,
                                ReceiveRequestAttemptId="try-1")["Messages"]
    assert [m["ReceiptHandle"] for m in again] == [m["ReceiptHandle"] for m in first]
    other = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10,
                                ReceiveRequestAttemptId="try-2")["Messages"]
    assert bodies(other) == ["m2"]
    sqs.delete_message(QueueUrl=q, ReceiptHandle=first[0]["ReceiptHandle"])
    # one of them changed: the attempt is no longer replayed
    assert "Messages" not in sqs.receive_message(QueueUrl=q, ReceiveRequestAttemptId="try-1")
    error(lambda: sqs.receive_message(QueueUrl=q, ReceiveRequestAttemptId="bad id"),
          "InvalidParameterValue")


def test_fifo_refusals(sqs: Any) -> None:
    q = fifo(sqs)
    msg = error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x",
                                         MessageDeduplicationId="d"), "MissingParameter")
    assert msg == "The request must contain the parameter MessageGroupId."
    msg = error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x", MessageGroupId="g"),
                "InvalidParameterValue")
    assert "ContentBasedDeduplication" in msg
    error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x", MessageGroupId="g",
                                   MessageDeduplicationId="d", DelaySeconds=5),
          "InvalidParameterValue")
    error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x", MessageGroupId="g" * 129,
                                   MessageDeduplicationId="d"), "InvalidParameterValue")
    error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x", MessageGroupId="g",
                                   MessageDeduplicationId="with space"), "InvalidParameterValue")
    r = sqs.send_message_batch(QueueUrl=q, Entries=[
        {"Id": "ok", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1"},
        {"Id": "nogroup", "MessageBody": "x", "MessageDeduplicationId": "2"},
    ])
    assert [s["Id"] for s in r["Successful"]] == ["ok"]
    assert r["Failed"][0]["Code"] == "MissingParameter"


def test_standard_queues_keep_a_message_group_id(sqs: Any) -> None:
    """Standard queues accept MessageGroupId (fair queues) and return it."""
    q = sqs.create_queue(QueueName="fair")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="x", MessageGroupId="tenant-1")
    m = sqs.receive_message(QueueUrl=q, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert m["Attributes"]["MessageGroupId"] == "tenant-1"
    assert "SequenceNumber" not in m["Attributes"]
