"""SQS behaviour that depends on time, on a simulated clock (an in-process server on a
SimClock; the test moves the clock instead of sleeping): visibility timeouts and their
changes, delays, retention, the FIFO deduplication window, the PurgeQueue minute,
redrive to a dead-letter queue after maxReceiveCount, message move tasks, and long
polls that end when the clock passes their wait or a delayed message comes due."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from tests.support import client, post, threaded_server
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
START = 1_700_000_000.0


def arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class Sim:
    """The in-process server and its clock."""

    def __init__(self, app: App, url: str) -> None:
        self.app = app
        self.url = url
        self.clock: SimClock = app.clock  # type: ignore[assignment]
        self.sqs = client("sqs", url)
        self.pool = ThreadPoolExecutor(4)

    def advance(self, seconds: float) -> None:
        loop = self.app.services["sqs"].loop  # type: ignore[attr-defined]
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), loop).result(60)

    def in_background(self, fn: Any, *args: Any, **kw: Any) -> Future[Any]:
        """Run a (long-poll) call in a thread; returns once it is waiting on the clock."""
        before = self.clock.pending()
        fut = self.pool.submit(fn, *args, **kw)
        deadline = time.monotonic() + 10
        while self.clock.pending() <= before and time.monotonic() < deadline:
            assert not fut.done(), fut.result()
            time.sleep(0.01)
        return fut

    def counts(self, q: str) -> tuple[int, int, int]:
        a = self.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
        return (int(a["ApproximateNumberOfMessages"]),
                int(a["ApproximateNumberOfMessagesNotVisible"]),
                int(a["ApproximateNumberOfMessagesDelayed"]))


@pytest.fixture(scope="module")
def server() -> Iterator[Sim]:
    config = Config(data_dir=None)
    # requests are signed with the wall clock; the simulated one is days away from it
    config.auth_mode = "off"
    app = App(config, clock=SimClock(START))
    with threaded_server(app) as url:
        sim = Sim(app, url)
        yield sim
        sim.pool.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def sim(server: Sim) -> Sim:
    assert post(server.url + "/_cargobay/reset") == 200
    return server


def test_a_received_message_comes_back_after_its_visibility_timeout(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="vt", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="work")
    first = sqs.receive_message(QueueUrl=q)["Messages"][0]
    assert sim.counts(q) == (0, 1, 0)
    sim.advance(29.9)
    assert "Messages" not in sqs.receive_message(QueueUrl=q)
    sim.advance(0.1)
    assert sim.counts(q) == (1, 0, 0)
    again = sqs.receive_message(QueueUrl=q, VisibilityTimeout=5,
                                MessageSystemAttributeNames=["All"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    a = again["Attributes"]
    assert a["ApproximateReceiveCount"] == "2"
    assert a["ApproximateFirstReceiveTimestamp"] == str(int(START * 1000))
    sim.advance(5)
    assert sim.counts(q) == (1, 0, 0)
    # the newest handle still deletes on a standard queue after its timeout passed
    sqs.delete_message(QueueUrl=q, ReceiptHandle=again["ReceiptHandle"])
    assert sim.counts(q) == (0, 0, 0)


def test_change_message_visibility_counts_from_the_change(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="cmv")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="slow job")
    h = sqs.receive_message(QueueUrl=q, VisibilityTimeout=10)["Messages"][0]["ReceiptHandle"]
    sim.advance(5)
    sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=h, VisibilityTimeout=20)
    sim.advance(19)
    assert "Messages" not in sqs.receive_message(QueueUrl=q)
    sim.advance(1)
    got = sqs.receive_message(QueueUrl=q, VisibilityTimeout=7200)["Messages"][0]
    # 12 hours in total from the receive is the ceiling
    sim.advance(10)
    error(lambda: sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=got["ReceiptHandle"],
                                                VisibilityTimeout=43200 - 10 + 1),
          "InvalidParameterValue")
    sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=got["ReceiptHandle"],
                                  VisibilityTimeout=43200 - 10)
    sqs.delete_message(QueueUrl=q, ReceiptHandle=got["ReceiptHandle"])
    # once a message is visible again, changing its visibility is a no-op (standard queue)
    sqs.send_message(QueueUrl=q, MessageBody="short")
    h = sqs.receive_message(QueueUrl=q, VisibilityTimeout=5)["Messages"][0]["ReceiptHandle"]
    sim.advance(5)
    sqs.change_message_visibility(QueueUrl=q, ReceiptHandle=h, VisibilityTimeout=100)
    assert sim.counts(q) == (1, 0, 0)


def test_delays_per_queue_and_per_message(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="delay", Attributes={"DelaySeconds": "60"})["QueueUrl"]
    sent_at = sim.clock.now()
    sqs.send_message(QueueUrl=q, MessageBody="queue default")
    sqs.send_message(QueueUrl=q, MessageBody="own delay", DelaySeconds=10)
    assert sim.counts(q) == (0, 0, 2)
    sim.advance(10)
    got = sqs.receive_message(QueueUrl=q, VisibilityTimeout=600)["Messages"]
    assert [m["Body"] for m in got] == ["own delay"]
    assert sim.counts(q) == (0, 1, 1)
    sim.advance(49.5)
    assert "Messages" not in sqs.receive_message(QueueUrl=q)
    sim.advance(0.5)
    got = sqs.receive_message(QueueUrl=q, MessageSystemAttributeNames=["SentTimestamp"])
    assert got["Messages"][0]["Body"] == "queue default"
    assert got["Messages"][0]["Attributes"]["SentTimestamp"] == str(int(sent_at * 1000))


def test_retention_deletes_old_messages_even_in_flight(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="short", Attributes={"MessageRetentionPeriod": "60"})[
        "QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="old")
    sqs.receive_message(QueueUrl=q, VisibilityTimeout=600)
    sim.advance(30)
    sqs.send_message(QueueUrl=q, MessageBody="young")
    sim.advance(30)
    assert sim.counts(q) == (1, 0, 0)
    assert sqs.receive_message(QueueUrl=q)["Messages"][0]["Body"] == "young"
    # a shorter period applies to the messages already there
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"MessageRetentionPeriod": "60"})
    sim.advance(30)
    assert sim.counts(q) == (0, 0, 0)


def test_fifo_deduplication_window_is_five_minutes(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="d.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    first = sqs.send_message(QueueUrl=q, MessageBody="pay", MessageGroupId="g")
    sim.advance(299)
    assert sqs.send_message(QueueUrl=q, MessageBody="pay", MessageGroupId="g")[
        "MessageId"] == first["MessageId"]
    sim.advance(1)
    later = sqs.send_message(QueueUrl=q, MessageBody="pay", MessageGroupId="g")
    assert later["MessageId"] != first["MessageId"]
    assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])
    assert sim.counts(q) == (2, 0, 0)


def test_fifo_group_unblocks_when_the_visibility_timeout_passes(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="g.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "20"})[
        "QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=q, MessageBody=f"m{i}", MessageGroupId="g")
    m0 = sqs.receive_message(QueueUrl=q)["Messages"][0]
    assert m0["Body"] == "m0"
    sim.advance(19)
    assert "Messages" not in sqs.receive_message(QueueUrl=q)
    sim.advance(1)
    # the expired handle cannot delete on a FIFO queue
    error(lambda: sqs.delete_message(QueueUrl=q, ReceiptHandle=m0["ReceiptHandle"]),
          "InvalidParameterValue")
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["m0", "m1", "m2"]


def test_purge_once_a_minute(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="p")["QueueUrl"]
    sqs.purge_queue(QueueUrl=q)
    sim.advance(59)
    error(lambda: sqs.purge_queue(QueueUrl=q), "AWS.SimpleQueueService.PurgeQueueInProgress")
    sim.advance(1)
    sqs.send_message(QueueUrl=q, MessageBody="m")
    sqs.purge_queue(QueueUrl=q)
    assert sim.counts(q) == (0, 0, 0)


def test_redrive_to_the_dead_letter_queue_after_max_receives(sim: Sim) -> None:
    """When a message's receive count exceeds maxReceiveCount it moves to the DLQ; it
    keeps its MessageId, body, attributes, receive count and enqueue time (SQS Developer
    Guide, "Using dead-letter queues")."""
    sqs = sim.sqs
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    src = sqs.create_queue(QueueName="src", Attributes={
        "VisibilityTimeout": "10",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 2}),
    })["QueueUrl"]
    attrs = {"k": {"DataType": "String", "StringValue": "v"}}
    sent = sqs.send_message(QueueUrl=src, MessageBody="poison", MessageAttributes=attrs)
    sent_at = sim.clock.now()
    for _ in range(2):
        assert sqs.receive_message(QueueUrl=src)["Messages"][0]["Body"] == "poison"
        sim.advance(10)
    assert sim.counts(src) == (1, 0, 0)
    assert "Messages" not in sqs.receive_message(QueueUrl=src)  # third receive: moved
    assert sim.counts(src) == (0, 0, 0)
    assert sim.counts(dlq) == (1, 0, 0)
    m = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"],
                            MessageSystemAttributeNames=["All"])["Messages"][0]
    assert m["MessageId"] == sent["MessageId"] and m["Body"] == "poison"
    assert m["MessageAttributes"] == attrs
    assert m["Attributes"]["DeadLetterQueueSourceArn"] == arn("src")
    assert m["Attributes"]["ApproximateReceiveCount"] == "3"
    assert m["Attributes"]["SentTimestamp"] == str(int(sent_at * 1000))


def test_redrive_on_fifo_queues_keeps_group_order(sim: Sim) -> None:
    sqs = sim.sqs
    sqs.create_queue(QueueName="dead.fifo", Attributes={"FifoQueue": "true"})
    src = sqs.create_queue(QueueName="live.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "5",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("dead.fifo"),
                                     "maxReceiveCount": 1}),
    })["QueueUrl"]
    for i in range(2):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}", MessageGroupId="g")
    assert len(sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)["Messages"]) == 2
    sim.advance(5)
    assert "Messages" not in sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    dead = sqs.get_queue_url(QueueName="dead.fifo")["QueueUrl"]
    got = sqs.receive_message(QueueUrl=dead, MaxNumberOfMessages=10,
                              MessageSystemAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["m0", "m1"]
    assert got[0]["Attributes"]["MessageGroupId"] == "g"


def test_message_move_task_redrives_the_dlq_back(sim: Sim) -> None:
    sqs = sim.sqs
    dlq = sqs.create_queue(QueueName="back-dlq")["QueueUrl"]
    src = sqs.create_queue(QueueName="back-src", Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("back-dlq"),
                                     "maxReceiveCount": 1}),
    })["QueueUrl"]
    sqs.send_message_batch(QueueUrl=src, Entries=[
        {"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    sim.advance(1)
    sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10)
    assert sim.counts(dlq) == (3, 0, 0)
    error(lambda: sqs.start_message_move_task(SourceArn=arn("back-src")),
          "InvalidParameterValue")
    error(lambda: sqs.start_message_move_task(SourceArn=arn("missing")),
          "ResourceNotFoundException")
    handle = sqs.start_message_move_task(SourceArn=arn("back-dlq"),
                                         MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
    error(lambda: sqs.start_message_move_task(SourceArn=arn("back-dlq")),
          "InvalidParameterValue")
    listed = sqs.list_message_move_tasks(SourceArn=arn("back-dlq"))["Results"][0]
    assert listed["Status"] == "RUNNING" and listed["TaskHandle"] == handle
    assert listed["ApproximateNumberOfMessagesToMove"] == 3
    sim.advance(1)
    assert sim.counts(src)[0] == 2
    sim.advance(1)
    assert sim.counts(src) == (3, 0, 0) and sim.counts(dlq) == (0, 0, 0)
    listed = sqs.list_message_move_tasks(SourceArn=arn("back-dlq"))["Results"][0]
    assert listed["Status"] == "COMPLETED"
    assert listed["ApproximateNumberOfMessagesMoved"] == 3
    assert "TaskHandle" not in listed
    error(lambda: sqs.cancel_message_move_task(TaskHandle=handle), "InvalidParameterValue")
    error(lambda: sqs.cancel_message_move_task(TaskHandle="nope"), "ResourceNotFoundException")


def test_long_poll_waits_on_the_clock_and_ends_empty(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="lp")["QueueUrl"]
    fut = sim.in_background(sqs.receive_message, QueueUrl=q, WaitTimeSeconds=20)
    sim.advance(19)
    time.sleep(0.05)
    assert not fut.done()
    sim.advance(1)
    assert "Messages" not in fut.result(timeout=10)


def test_long_poll_answers_when_a_delayed_message_comes_due(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="lp2")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="soon", DelaySeconds=8)
    fut = sim.in_background(sqs.receive_message, QueueUrl=q, WaitTimeSeconds=20)
    sim.advance(8)
    assert fut.result(timeout=10)["Messages"][0]["Body"] == "soon"


def test_long_poll_answers_when_an_in_flight_message_returns(sim: Sim) -> None:
    sqs = sim.sqs
    q = sqs.create_queue(QueueName="lp3")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="again")
    sqs.receive_message(QueueUrl=q, VisibilityTimeout=5)
    fut = sim.in_background(sqs.receive_message, QueueUrl=q, WaitTimeSeconds=20)
    sim.advance(5)
    assert fut.result(timeout=10)["Messages"][0]["Body"] == "again"
