"""No acknowledged SQS write is lost when the server dies (kill -9) and restarts on the
same data directory: every acknowledged send is there, deletes stay deleted, a received
but undeleted message comes back after its visibility timeout, receipt handles, FIFO
order and deduplication IDs survive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from tests.support import ServerProcess, client


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[str]:
    yield str(tmp_path / "data")


def drain(sqs: Any, q: str, wait: int = 0, rounds: int = 200) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for _ in range(rounds):
        got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                                  VisibilityTimeout=300).get("Messages", [])
        if not got:
            break
        out += got
    return out


def test_every_acknowledged_send_survives_kill_9(data_dir: str) -> None:
    srv = ServerProcess(data_dir=data_dir).start()
    sqs = client("sqs", srv.url)
    q = sqs.create_queue(QueueName="durable")["QueueUrl"]
    acked: list[str] = []
    stop = threading.Event()

    def send() -> None:
        s = client("sqs", srv.url)
        i = 0
        while not stop.is_set() and i < 5000:
            try:
                r = s.send_message_batch(QueueUrl=q, Entries=[
                    {"Id": str(j), "MessageBody": f"m{i}-{j}"} for j in range(5)])
            except (BotoCoreError, ClientError):
                return  # the server died mid-request: not acknowledged
            acked.extend(e["MessageId"] for e in r["Successful"])
            i += 1

    t = threading.Thread(target=send)
    t.start()
    deadline = time.monotonic() + 20
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    srv.kill9()
    stop.set()
    t.join(timeout=20)
    assert len(acked) >= 300
    srv = ServerProcess(data_dir=data_dir).start()
    try:
        sqs = client("sqs", srv.url)
        q = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
        got = {m["MessageId"] for m in drain(sqs, q)}
        assert set(acked) <= got
    finally:
        srv.stop()


def test_visibility_deletes_handles_and_fifo_state_survive(data_dir: str) -> None:
    srv = ServerProcess(data_dir=data_dir).start()
    sqs = client("sqs", srv.url)
    q = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    sqs.send_message_batch(QueueUrl=q, Entries=[
        {"Id": str(i), "MessageBody": f"job-{i}", "MessageAttributes": {
            "n": {"DataType": "Number", "StringValue": str(i)}}} for i in range(6)])
    taken = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=4)["Messages"]
    assert len(taken) == 4
    sqs.delete_message(QueueUrl=q, ReceiptHandle=taken[0]["ReceiptHandle"])
    keep_handle = taken[1]["ReceiptHandle"]
    f = sqs.create_queue(QueueName="order.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    first = sqs.send_message(QueueUrl=f, MessageBody="f0", MessageGroupId="g")
    sqs.send_message(QueueUrl=f, MessageBody="f1", MessageGroupId="g")
    srv.kill9()

    srv = ServerProcess(data_dir=data_dir).start()
    try:
        sqs = client("sqs", srv.url)
        q = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
        assert attrs["VisibilityTimeout"] == "2"
        total = int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"])
        assert total == 5  # one was deleted before the kill
        # a handle from before the restart still deletes
        sqs.delete_message(QueueUrl=q, ReceiptHandle=keep_handle)
        back: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while len(back) < 4 and time.monotonic() < deadline:
            back += sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=5,
                                        VisibilityTimeout=300,
                                        MessageAttributeNames=["All"],
                                        MessageSystemAttributeNames=["All"]).get("Messages", [])
        bodies = sorted(m["Body"] for m in back)
        gone = {taken[0]["Body"], taken[1]["Body"]}
        assert bodies == sorted(f"job-{i}" for i in range(6) if f"job-{i}" not in gone)
        counts = {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in back}
        for m in taken[2:]:
            assert counts[m["Body"]] == "2"  # received before the kill, and again now
        assert all(m["MessageAttributes"]["n"]["DataType"] == "Number" for m in back)
        f = sqs.get_queue_url(QueueName="order.fifo")["QueueUrl"]
        dup = sqs.send_message(QueueUrl=f, MessageBody="f0", MessageGroupId="g")
        assert dup["MessageId"] == first["MessageId"]
        got = sqs.receive_message(QueueUrl=f, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in got] == ["f0", "f1"]
    finally:
        srv.stop()
