"""SQS messages through boto3 and the AWS CLI on the real server (real clock): send and
receive with attributes and the MD5 digests SQS computes, system attributes, batches with
per-entry failures, receipt handles, visibility changes, long polling woken by a send,
and every refusal with its code."""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


@pytest.fixture
def queue(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName="work")["QueueUrl"])


def expected_md5(attrs: dict[str, dict[str, Any]]) -> str:
    """MD5 of message attributes, written from the SQS Developer Guide independently of
    the server's code: per attribute in name order, length-prefixed name and type, a
    transport byte (1 string, 2 binary) and the length-prefixed value."""
    buf = b""
    for name in sorted(attrs):
        a = attrs[name]
        for text in (name, a["DataType"]):
            raw = text.encode()
            buf += struct.pack(">I", len(raw)) + raw
        if "BinaryValue" in a:
            buf += b"\x02" + struct.pack(">I", len(a["BinaryValue"])) + a["BinaryValue"]
        else:
            raw = a["StringValue"].encode()
            buf += b"\x01" + struct.pack(">I", len(raw)) + raw
    return hashlib.md5(buf).hexdigest()


ATTRS = {
    "city": {"DataType": "String", "StringValue": "Zürich"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffdata"},
    "tagged": {"DataType": "String.custom", "StringValue": "v"},
}


def test_send_and_receive_with_attributes_and_digests(sqs: Any, queue: str) -> None:
    body = "héllo wörld"
    sent = sqs.send_message(QueueUrl=queue, MessageBody=body, MessageAttributes=ATTRS,
                            MessageSystemAttributes={"AWSTraceHeader": {
                                "DataType": "String",
                                "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})
    assert sent["MD5OfMessageBody"] == hashlib.md5(body.encode()).hexdigest()
    assert sent["MD5OfMessageAttributes"] == expected_md5(ATTRS)
    assert sent["MD5OfMessageSystemAttributes"] == expected_md5({"AWSTraceHeader": {
        "DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})
    assert "SequenceNumber" not in sent
    got = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"],
                              MessageSystemAttributeNames=["All"])["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["MessageId"] == sent["MessageId"]
    assert m["Body"] == body and m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MessageAttributes"] == ATTRS
    assert m["MD5OfMessageAttributes"] == expected_md5(ATTRS)
    a = m["Attributes"]
    assert a["ApproximateReceiveCount"] == "1"
    assert a["AWSTraceHeader"] == "Root=1-5759e988-bd862e3fe1be46a994272793"
    assert a["SenderId"] == "test"
    now_ms = time.time() * 1000
    assert abs(int(a["SentTimestamp"]) - now_ms) < 60_000
    assert int(a["ApproximateFirstReceiveTimestamp"]) >= int(a["SentTimestamp"])
    assert "SequenceNumber" not in a and "MessageGroupId" not in a


def test_attribute_selection_and_its_digest(sqs: Any, queue: str) -> None:
    attrs = {
        "app.name": {"DataType": "String", "StringValue": "x"},
        "app.version": {"DataType": "Number", "StringValue": "3"},
        "other": {"DataType": "String", "StringValue": "y"},
    }
    sqs.send_message(QueueUrl=queue, MessageBody="b", MessageAttributes=attrs)
    m = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0,
                            MessageAttributeNames=["app.*"])["Messages"][0]
    picked = {k: attrs[k] for k in ("app.name", "app.version")}
    assert m["MessageAttributes"] == picked
    assert m["MD5OfMessageAttributes"] == expected_md5(picked)
    m = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0,
                            MessageAttributeNames=["other", "absent"],
                            MessageSystemAttributeNames=["ApproximateReceiveCount"])[
                                "Messages"][0]
    assert m["MessageAttributes"] == {"other": attrs["other"]}
    assert m["Attributes"] == {"ApproximateReceiveCount": "2"}
    m = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]
    assert "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m
    assert "Attributes" not in m
    m = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=[".*"])["Messages"][0]
    assert m["MessageAttributes"] == attrs


def test_cli_send_and_receive_digests(url: str, sqs: Any, queue: str) -> None:
    out = aws_cli(url, "sqs", "send-message", "--queue-url", queue, "--message-body", "from cli",
                  "--message-attributes",
                  json.dumps({"n": {"DataType": "Number", "StringValue": "7"}}))
    sent = json.loads(out.stdout)
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"from cli").hexdigest()
    assert sent["MD5OfMessageAttributes"] == expected_md5(
        {"n": {"DataType": "Number", "StringValue": "7"}})
    out = aws_cli(url, "sqs", "receive-message", "--queue-url", queue,
                  "--message-attribute-names", "All", "--attribute-names", "All")
    got = json.loads(out.stdout)["Messages"][0]
    assert got["Body"] == "from cli" and got["MessageId"] == sent["MessageId"]
    assert got["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    aws_cli(url, "sqs", "delete-message", "--queue-url", queue,
            "--receipt-handle", got["ReceiptHandle"])
    bad = aws_cli(url, "sqs", "get-queue-url", "--queue-name", "nope", check=False)
    assert bad.returncode != 0 and "AWS.SimpleQueueService.NonExistentQueue" in bad.stderr


def test_receive_count_and_batch_size(sqs: Any, queue: str) -> None:
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": f"e{i}", "MessageBody": f"m{i}"} for i in range(10)])
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": f"e{i}", "MessageBody": f"m{i + 10}"} for i in range(5)])
    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(first) == 10
    second = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(second) == 5
    assert {m["Body"] for m in first + second} == {f"m{i}" for i in range(15)}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "15"
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_delete_by_receipt_handle(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="once")
    m = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])  # again: fine
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    msg = error(lambda: sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5),
        "InvalidParameterValue")
    assert msg.endswith("Reason: Message does not exist or is not available for visibility "
                        "timeout change.")


def test_invalid_and_foreign_receipt_handles(sqs: Any, queue: str) -> None:
    other = sqs.create_queue(QueueName="other")["QueueUrl"]
    sqs.send_message(QueueUrl=other, MessageBody="theirs")
    foreign = sqs.receive_message(QueueUrl=other)["Messages"][0]["ReceiptHandle"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=queue, ReceiptHandle="garbage")
    msg = error(lambda: sqs.delete_message(QueueUrl=queue, ReceiptHandle=foreign),
                "ReceiptHandleIsInvalid")
    assert "not valid for this queue" in msg
    error(lambda: sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle="garbage",
                                                VisibilityTimeout=1), "ReceiptHandleIsInvalid")


def test_change_visibility_to_zero_makes_a_message_receivable(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="retry me")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=600)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"],
                                  VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["ReceiptHandle"] != first["ReceiptHandle"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    # the first handle is stale now: a standard queue accepts the delete but keeps the message
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    error(lambda: sqs.change_message_visibility(QueueUrl=queue,
                                                ReceiptHandle=first["ReceiptHandle"],
                                                VisibilityTimeout=5), "InvalidParameterValue")
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=again["ReceiptHandle"])
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_visibility_limits(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="x")
    h = sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]
    error(lambda: sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=h,
                                                VisibilityTimeout=43201), "InvalidParameterValue")
    sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=h, VisibilityTimeout=43000)
    error(lambda: sqs.receive_message(QueueUrl=queue, VisibilityTimeout=43201),
          "InvalidParameterValue")


def test_batch_entry_failures_do_not_stop_the_others(sqs: Any, queue: str) -> None:
    got = sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": "ok-1", "MessageBody": "fine"},
        {"Id": "bad-chars", "MessageBody": "\u0001"},
        {"Id": "bad-delay", "MessageBody": "x", "DelaySeconds": 901},
        {"Id": "bad-attr", "MessageBody": "x", "MessageAttributes": {
            "n": {"DataType": "Number", "StringValue": "not a number"}}},
        {"Id": "ok-2", "MessageBody": "also fine", "DelaySeconds": 0},
    ])
    assert [s["Id"] for s in got["Successful"]] == ["ok-1", "ok-2"]
    failed = {f["Id"]: f for f in got["Failed"]}
    assert failed["bad-chars"]["Code"] == "InvalidMessageContents"
    assert failed["bad-delay"]["Code"] == "InvalidParameterValue"
    assert failed["bad-attr"]["Code"] == "InvalidParameterValue"
    assert all(f["SenderFault"] for f in failed.values())
    msgs = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    handles = [m["ReceiptHandle"] for m in msgs]
    assert sorted(m["Body"] for m in msgs) == ["also fine", "fine"]
    deleted = sqs.delete_message_batch(QueueUrl=queue, Entries=[
        {"Id": "a", "ReceiptHandle": handles[0]},
        {"Id": "b", "ReceiptHandle": "garbage"},
    ])
    assert deleted["Successful"] == [{"Id": "a"}]
    assert deleted["Failed"][0]["Id"] == "b"
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    changed = sqs.change_message_visibility_batch(QueueUrl=queue, Entries=[
        {"Id": "c", "ReceiptHandle": handles[1], "VisibilityTimeout": 0},
        {"Id": "d", "ReceiptHandle": handles[0], "VisibilityTimeout": 10},
        {"Id": "e", "ReceiptHandle": "garbage", "VisibilityTimeout": 10},
    ])
    assert changed["Successful"] == [{"Id": "c"}]
    assert {f["Id"]: f["Code"] for f in changed["Failed"]} == {
        "d": "InvalidParameterValue", "e": "ReceiptHandleIsInvalid"}
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["ReceiptHandle"]


@pytest.mark.parametrize("op", ["send", "delete", "change"])
def test_batch_request_refusals(sqs: Any, queue: str, op: str) -> None:
    def call(entries: list[dict[str, Any]]) -> Any:
        if op == "send":
            return sqs.send_message_batch(QueueUrl=queue, Entries=[
                {"MessageBody": "x", **e} for e in entries])
        if op == "delete":
            return sqs.delete_message_batch(QueueUrl=queue, Entries=[
                {"ReceiptHandle": "h", **e} for e in entries])
        return sqs.change_message_visibility_batch(QueueUrl=queue, Entries=[
            {"ReceiptHandle": "h", "VisibilityTimeout": 1, **e} for e in entries])

    with pytest.raises(sqs.exceptions.EmptyBatchRequest) as e1:
        call([])
    assert e1.value.response["Error"]["Code"] == "AWS.SimpleQueueService.EmptyBatchRequest"
    error(lambda: call([{"Id": str(i)} for i in range(11)]),
          "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
    msg = error(lambda: call([{"Id": "a"}, {"Id": "b"}, {"Id": "a"}]),
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
    assert msg == "Id a repeated."
    error(lambda: call([{"Id": "has space"}]), "AWS.SimpleQueueService.InvalidBatchEntryId")
    error(lambda: call([{"Id": "x" * 81}]), "AWS.SimpleQueueService.InvalidBatchEntryId")
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest):
        call([{"Id": str(i)} for i in range(11)])
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct):
        call([{"Id": "a"}, {"Id": "a"}])
    with pytest.raises(sqs.exceptions.InvalidBatchEntryId):
        call([{"Id": "!"}])


def test_size_limits(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})[
        "QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="x" * 1024)
    msg = error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x" * 1025),
                "InvalidParameterValue")
    assert msg == ("One or more parameters are invalid. Reason: Message must be shorter than "
                   "1024 bytes.")
    # attribute names, types and values count too
    error(lambda: sqs.send_message(QueueUrl=q, MessageBody="x" * 1000, MessageAttributes={
        "name": {"DataType": "String", "StringValue": "y" * 20}}), "InvalidParameterValue")
    big = sqs.create_queue(QueueName="big")["QueueUrl"]
    sqs.send_message(QueueUrl=big, MessageBody="x" * 1_048_576)
    error(lambda: sqs.send_message(QueueUrl=big, MessageBody="x" * 1_048_577),
          "InvalidParameterValue")
    with pytest.raises(sqs.exceptions.BatchRequestTooLong) as info:
        sqs.send_message_batch(QueueUrl=big, Entries=[
            {"Id": str(i), "MessageBody": "x" * 300_000} for i in range(4)])
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.BatchRequestTooLong"


def test_message_refusals(sqs: Any, queue: str) -> None:
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=queue, MessageBody="bad \u0000 char")
    error(lambda: sqs.send_message(QueueUrl=queue, MessageBody="\ufffe"), "InvalidMessageContents")
    error(lambda: sqs.send_message(QueueUrl=queue, MessageBody=""), "MissingParameter")
    error(lambda: sqs.send_message(QueueUrl=queue, MessageBody="x", DelaySeconds=901),
          "InvalidParameterValue")
    error(lambda: sqs.send_message(QueueUrl=queue, MessageBody="x",
                                   MessageDeduplicationId="d"), "InvalidParameterValue")
    bad_attrs: list[dict[str, Any]] = [
        {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
        {"AWS.reserved": {"DataType": "String", "StringValue": "v"}},
        {"amazon.x": {"DataType": "String", "StringValue": "v"}},
        {".lead": {"DataType": "String", "StringValue": "v"}},
        {"trail.": {"DataType": "String", "StringValue": "v"}},
        {"a..b": {"DataType": "String", "StringValue": "v"}},
        {"sp ace": {"DataType": "String", "StringValue": "v"}},
        {"t": {"DataType": "Text", "StringValue": "v"}},
        {"e": {"DataType": "String", "StringValue": ""}},
        {"n": {"DataType": "Number", "StringValue": "1e"}},
        {"b": {"DataType": "Binary", "StringValue": "not binary"}},
    ]
    for attrs in bad_attrs:
        error(lambda a=attrs: sqs.send_message(QueueUrl=queue, MessageBody="x",
                                               MessageAttributes=a), "InvalidParameterValue")
    error(lambda: sqs.send_message(QueueUrl=queue, MessageBody="x", MessageSystemAttributes={
        "AWSTraceHeader": {"DataType": "Number", "StringValue": "1"}}), "InvalidParameterValue")
    for kw in ({"MaxNumberOfMessages": 0}, {"MaxNumberOfMessages": 11},
               {"WaitTimeSeconds": 21}, {"WaitTimeSeconds": -1}, {"VisibilityTimeout": -1}):
        error(lambda k=kw: sqs.receive_message(QueueUrl=queue, **k), "InvalidParameterValue")
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"


def test_delay_hides_a_message_until_due(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="later", Attributes={"DelaySeconds": "900"})["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="queue delay")
    sqs.send_message(QueueUrl=q, MessageBody="no delay", DelaySeconds=0)
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["no delay"]
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"


def test_long_poll_returns_as_soon_as_a_message_is_sent(sqs: Any, queue: str, url: str) -> None:
    """ReceiveMessage with WaitTimeSeconds answers when a message arrives, not at the end
    of the wait (SQS Developer Guide, "Amazon SQS short and long polling")."""
    sender = client("sqs", url)
    sent_at: list[float] = []

    def send_later() -> None:
        time.sleep(0.5)
        sent_at.append(time.monotonic())
        sender.send_message(QueueUrl=queue, MessageBody="wake up")

    t = threading.Thread(target=send_later)
    start = time.monotonic()
    t.start()
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)
    done = time.monotonic()
    t.join()
    assert got["Messages"][0]["Body"] == "wake up"
    assert done - sent_at[0] < 0.5
    assert done - start < 3


def test_long_poll_uses_the_queue_default_and_ends_empty(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="patient", Attributes={
        "ReceiveMessageWaitTimeSeconds": "1"})["QueueUrl"]
    start = time.monotonic()
    got = sqs.receive_message(QueueUrl=q)
    waited = time.monotonic() - start
    assert "Messages" not in got
    assert 0.9 <= waited < 3
    start = time.monotonic()
    sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0)
    assert time.monotonic() - start < 0.5


def test_several_waiting_receivers_share_a_batch(sqs: Any, queue: str, url: str) -> None:
    results: list[int] = []

    def wait() -> None:
        r = client("sqs", url).receive_message(QueueUrl=queue, WaitTimeSeconds=2,
                                               MaxNumberOfMessages=10)
        results.append(len(r.get("Messages", [])))

    threads = [threading.Thread(target=wait) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    sqs.send_message_batch(QueueUrl=queue, Entries=[
        {"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    for t in threads:
        t.join(timeout=10)
    assert sum(results) == 3  # each message delivered once
