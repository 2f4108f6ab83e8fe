"""What the store holds is what memory holds: after any sequence of sends, receives,
deletes, visibility changes, redrives, expiries and clock moves, a server started on the
same store rebuilds every queue exactly (messages, states, receive counts, handles,
deadlines, FIFO groups and deduplication IDs)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.services.sqs.names import QueueRef
from cargobay.services.sqs.queue_state import QueueState
from cargobay.store import MemoryStore

CTX = RequestContext("sqs", "op", "us-east-1", "000000000000", "req", "json")
DLQ_ARN = "arn:aws:sqs:us-east-1:000000000000:dlq"


def snapshot(st: QueueState) -> dict[str, Any]:
    return {
        "msgs": {
            seq: (m.mid, m.body, m.state, m.receives, m.first_receive, m.visible_at, m.token,
                  m.group, m.dedup, m.dlq_source, m.sent, m.attrs)
            for seq, m in st.msgs.items()
        },
        "counts": st.depths(),
        "ready": list(st.ready),
        "groups": {g: list(x.seqs) for g, x in st.groups.items()},
        "dedup": dict(st.dedup.entries),
    }


ops = st.lists(st.one_of(
    st.tuples(st.just("send"), st.integers(1, 10), st.sampled_from([0, 0, 3])),
    st.tuples(st.just("receive"), st.integers(1, 10), st.sampled_from([0, 2, 30])),
    st.tuples(st.just("delete"), st.integers(0, 9), st.just(0)),
    st.tuples(st.just("change"), st.integers(0, 9), st.sampled_from([0, 5])),
    st.tuples(st.just("wait"), st.sampled_from([1, 3, 40]), st.just(0)),
), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops, fifo=st.booleans())
def test_a_restart_rebuilds_every_queue_exactly(ops: list[tuple[str, int, int]],
                                                fifo: bool) -> None:
    asyncio.run(_run(ops, fifo))


async def _run(ops: list[tuple[str, int, int]], fifo: bool) -> None:
    store = MemoryStore()
    clock = SimClock()
    app = App(Config(data_dir=None), store=store, clock=clock)
    sqs: Any = app.services["sqs"]
    name = "q.fifo" if fifo else "q"
    sqs.create_queue(CTX, {"QueueName": "dlq.fifo" if fifo else "dlq",
                           "Attributes": {"FifoQueue": "true"} if fifo else {}})
    attrs = {"MessageRetentionPeriod": "60", "RedrivePolicy": json.dumps({
        "deadLetterTargetArn": DLQ_ARN + (".fifo" if fifo else ""), "maxReceiveCount": 2})}
    if fifo:
        attrs.update(FifoQueue="true", ContentBasedDeduplication="true")
    url = sqs.create_queue(CTX, {"QueueName": name, "Attributes": attrs})["QueueUrl"]
    handles: list[str] = []
    n = 0
    for op, a, b in ops:
        if op == "send":
            entries = []
            for i in range(a):
                n += 1
                e: dict[str, Any] = {"Id": str(i), "MessageBody": f"m{n % 7}-{n}",
                                     "MessageAttributes": {"k": {"DataType": "Binary",
                                                                 "BinaryValue": b"\x01"}}}
                if fifo:
                    e["MessageGroupId"] = f"g{n % 3}"
                elif b:
                    e["DelaySeconds"] = b
                entries.append(e)
            sqs.send_message_batch(CTX, {"QueueUrl": url, "Entries": entries})
        elif op == "receive":
            got = await sqs.receive_message(CTX, {"QueueUrl": url, "MaxNumberOfMessages": a,
                                                  "VisibilityTimeout": b})
            handles += [m["ReceiptHandle"] for m in got.get("Messages", [])]
        elif op == "delete" and handles:
            sqs.delete_message_batch(CTX, {"QueueUrl": url, "Entries": [
                {"Id": "x", "ReceiptHandle": handles[a % len(handles)]}]})
        elif op == "change" and handles:
            sqs.change_message_visibility_batch(CTX, {"QueueUrl": url, "Entries": [
                {"Id": "x", "ReceiptHandle": handles[a % len(handles)],
                 "VisibilityTimeout": b}]})
        elif op == "wait":
            await clock.advance(a)
    before = {}
    for qname in (name, "dlq.fifo" if fifo else "dlq"):
        st_ = sqs.load(QueueRef("000000000000", "us-east-1", qname))
        assert st_ is not None
        before[qname] = snapshot(st_)
    again: Any = App(Config(data_dir=None), store=store, clock=clock).services["sqs"]
    for qname, snap in before.items():
        st_ = again.load(QueueRef("000000000000", "us-east-1", qname))
        assert st_ is not None
        assert snapshot(st_) == snap
