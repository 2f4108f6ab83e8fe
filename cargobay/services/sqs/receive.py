"""ReceiveMessage, with long polling.

ReceiveMessage API reference: MaxNumberOfMessages 1–10 (default 1), VisibilityTimeout
0–43,200 (default: the queue's), WaitTimeSeconds 0–20 (default: the queue's
ReceiveMessageWaitTimeSeconds).  A long poll answers as soon as a message is available:
a waiting receive sleeps on the app clock, raced against the queue's wake-up event that
every send sets, and re-checks when the next delayed or in-flight message is due.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cargobay.clock import wait_event
from cargobay.protocol.base import RequestContext
from cargobay.services.sqs.errors import OverLimit, invalid_value
from cargobay.services.sqs.fifo import check_token
from cargobay.services.sqs.md5 import md5_of_attributes
from cargobay.services.sqs.message import Msg
from cargobay.services.sqs.queue_state import MAX_INFLIGHT, QueueState
from cargobay.services.sqs.redrive import RedriveOps

MAX_WAIT = 20
MAX_VISIBILITY = 43_200
#: bound on long-poll rounds (each waits for a send or a due message)
MAX_ROUNDS = 100_000

SYSTEM_ATTRIBUTES = (
    "SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
    "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def receipt_handle(st: QueueState, m: Msg) -> str:
    raw = f"{st.qid} {m.seq} {m.token}".encode("ascii")
    return base64.b64encode(raw).decode("ascii")


def read_handle(handle: str) -> tuple[str, int, str] | None:
    """(queue id, seq, token) from a receipt handle; None if it is not one of ours."""
    try:
        parts = base64.b64decode(handle.encode("ascii"), validate=True).decode("ascii").split(" ")
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


class ReceiveOps(RedriveOps):
    async def receive_message(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        n = req.get("MaxNumberOfMessages")
        if n is None:
            n = 1
        elif not 1 <= n <= 10:
            raise invalid_value(
                "MaxNumberOfMessages", n, "Must be between 1 and 10, if provided."
            )
        visibility = req.get("VisibilityTimeout")
        if visibility is not None and not 0 <= visibility <= MAX_VISIBILITY:
            raise invalid_value(
                "VisibilityTimeout", visibility,
                f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided.",
            )
        wait = req.get("WaitTimeSeconds")
        if wait is not None and not 0 <= wait <= MAX_WAIT:
            raise invalid_value(
                "WaitTimeSeconds", wait, f"Must be >= 0 and <= {MAX_WAIT}, if provided."
            )
        attempt = req.get("ReceiveRequestAttemptId")
        if attempt is not None:
            check_token("ReceiveRequestAttemptId", attempt)
        if wait is None:
            wait = st.config.wait
        got = self._receive_now(st, n, visibility, attempt if st.fifo else None)
        deadline = self.clock.monotonic() + wait
        rounds = 0
        while not got and rounds < MAX_ROUNDS:
            rounds += 1
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                break
            due = st.next_timer()
            pause = remaining if due is None else min(remaining, due - self.clock.now())
            if pause > 0:
                await self._pause(st, pause)
            if st.deleted:
                return {}
            self.tick(st)
            got = self._receive_now(st, n, visibility, attempt if st.fifo else None)
        if not got:
            return {}
        return {"Messages": [self._render(st, m, req) for m in got]}

    async def _pause(self, st: QueueState, seconds: float) -> None:
        """Sleep on the app clock until ``seconds`` pass or the queue is woken."""
        event = st.waiter()
        await wait_event(self.clock, event, seconds)

    def _receive_now(
        self, st: QueueState, n: int, visibility: int | None, attempt: str | None
    ) -> list[Msg]:
        now = self.clock.now()
        vt = st.config.visibility if visibility is None else visibility
        if attempt is not None:
            again = st.replay_attempt(attempt, now)
            if again is not None:
                for m in again:
                    st.set_deadline(m, now + vt)
                self._persist_received(st, again)
                return again
        if not st.fifo and st.n_inflight >= MAX_INFLIGHT:
            raise OverLimit(
                f"The maximum number of in flight messages ({MAX_INFLIGHT}) is reached."
            )
        target = self.dead_letter_target(st)
        got, dead = st.take(n, now, vt, target[1] if target else None)
        if dead and target is not None:
            self.move_to_dlq(st, target[0], dead, now)
        if got:
            self._persist_received(st, got)
            if attempt is not None:
                st.remember_attempt(attempt, now, got)
        return got

    def _persist_received(self, st: QueueState, got: list[Msg]) -> None:
        with self.store.batch():
            self.persist(st, got)

    def _render(self, st: QueueState, m: Msg, req: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "MessageId": m.mid,
            "ReceiptHandle": receipt_handle(st, m),
            "MD5OfBody": m.md5_body,
            "Body": m.body,
        }
        names = set(req.get("AttributeNames") or ()) | set(
            req.get("MessageSystemAttributeNames") or ()
        )
        if names:
            system = system_attributes(st, m)
            if "All" not in names:
                system = {k: v for k, v in system.items() if k in names}
            if system:
                out["Attributes"] = system
        wanted = req.get("MessageAttributeNames")
        if wanted and m.attrs:
            picked = select_attributes(m.attrs, wanted)
            if picked:
                out["MessageAttributes"] = picked
                out["MD5OfMessageAttributes"] = (
                    m.md5_attrs if len(picked) == len(m.attrs) else md5_of_attributes(picked)
                )
        return out


def system_attributes(st: QueueState, m: Msg) -> dict[str, str]:
    out = {
        "SenderId": m.sender,
        "SentTimestamp": str(int(m.sent * 1000)),
        "ApproximateReceiveCount": str(m.receives),
    }
    if m.first_receive is not None:
        out["ApproximateFirstReceiveTimestamp"] = str(int(m.first_receive * 1000))
    if st.fifo:
        out["SequenceNumber"] = m.sequence_number
        if m.dedup is not None:
            out["MessageDeduplicationId"] = m.dedup
    if m.group is not None:
        out["MessageGroupId"] = m.group
    if m.sys_attrs and "AWSTraceHeader" in m.sys_attrs:
        out["AWSTraceHeader"] = m.sys_attrs["AWSTraceHeader"]["StringValue"]
    if m.dlq_source:
        out["DeadLetterQueueSourceArn"] = m.dlq_source
    return out


def select_attributes(attrs: dict[str, dict[str, Any]], wanted: list[str]) -> dict[str, Any]:
    """MessageAttributeNames: ``All`` or ``.*`` for all, ``prefix.*``, or exact names."""
    if "All" in wanted or ".*" in wanted:
        return attrs
    prefixes = tuple(w[:-1] for w in wanted if w.endswith(".*"))
    exact = set(wanted)
    return {
        name: value for name, value in attrs.items()
        if name in exact or (prefixes and name.startswith(prefixes))
    }
