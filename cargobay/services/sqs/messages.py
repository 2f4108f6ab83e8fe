"""SendMessage and SendMessageBatch.

A send is acknowledged only after the message is in the store (one store batch per
request), so an acknowledged message survives kill -9.  Waiting long polls are woken.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.sqs import message_checks as mc
from cargobay.services.sqs import queue_store as qs
from cargobay.services.sqs.base import SqsBase
from cargobay.services.sqs.batch import check_entries, failure, result
from cargobay.services.sqs.errors import BatchRequestTooLong, MissingParameter, invalid_value
from cargobay.services.sqs.fifo import DEDUP_WINDOW, Dedup, check_token, content_dedup_id
from cargobay.services.sqs.md5 import md5_of_attributes, md5_of_body
from cargobay.services.sqs.message import DELAYED, VISIBLE, Msg
from cargobay.services.sqs.queue_state import QueueState

MAX_BATCH_BYTES = 1_048_576


def message_id() -> str:
    """A random (version 4) UUID, as SQS MessageIds are."""
    h = bytearray(os.urandom(16))
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


@dataclass
class Outcome:
    """A send's answer; ``msg`` is None for a FIFO duplicate (accepted, not enqueued)."""

    answer: dict[str, Any]
    msg: Msg | None
    dedup_key: str | None = None


class SendOps(SqsBase):
    def send_message(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        now = self.clock.now()
        out = self._prepare(ctx, st, req, now, {})
        self._commit(st, [out], now)
        return out.answer

    def send_message_batch(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        entries: list[dict[str, Any]] = req["Entries"]
        check_entries(entries, "SendMessageBatchRequestEntry")
        total = sum(len(e["MessageBody"].encode("utf-8")) for e in entries)
        if total > MAX_BATCH_BYTES:
            raise BatchRequestTooLong(
                f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. "
                f"You have sent {total} bytes."
            )
        now = self.clock.now()
        done: list[Outcome] = []
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        in_batch: dict[str, tuple[str, str]] = {}
        for entry in entries:
            try:
                out = self._prepare(ctx, st, entry, now, in_batch)
            except AwsError as err:
                failed.append(failure(entry["Id"], err))
                continue
            done.append(out)
            ok.append({"Id": entry["Id"], **out.answer})
        self._commit(st, done, now)
        return result(ok, failed)

    def _prepare(
        self, ctx: RequestContext, st: QueueState, req: dict[str, Any], now: float,
        in_batch: dict[str, tuple[str, str]],
    ) -> Outcome:
        """Check one message and build it (nothing changes until :meth:`_commit`)."""
        body: str = req["MessageBody"]
        cfg = st.config
        mc.check_body(body)
        delay = req.get("DelaySeconds")
        mc.check_delay(delay, st.fifo)
        attrs, attr_size = mc.check_attributes(req.get("MessageAttributes") or {})
        sys_attrs = mc.check_system_attributes(req.get("MessageSystemAttributes") or {})
        mc.check_size(body, attr_size, cfg.max_size)
        group: str | None = req.get("MessageGroupId")
        dedup: str | None = req.get("MessageDeduplicationId")
        if group is not None:
            check_token("MessageGroupId", group)
        key = None
        if st.fifo:
            if group is None:
                raise MissingParameter("The request must contain the parameter MessageGroupId.")
            if dedup is not None:
                check_token("MessageDeduplicationId", dedup)
            elif cfg.content_dedup:
                dedup = content_dedup_id(body)
            else:
                raise invalid_value(
                    "MessageDeduplicationId", None,
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly",
                )
            key = Dedup.key(dedup, group, cfg.dedup_by_group)
            seen = in_batch.get(key) or st.dedup.seen(key, now)
            if seen is not None:
                return Outcome(self._answer(body, attrs, sys_attrs, seen[0], seen[1]), None)
        elif dedup is not None:
            raise invalid_value(
                "MessageDeduplicationId", dedup,
                "The request include parameter that is not valid for this queue type.",
            )
        if delay is None:
            delay = cfg.delay
        m = Msg(
            seq=st.next_seq(now), mid=message_id(), body=body, md5_body=md5_of_body(body),
            sent=now, sender=ctx.access_key_id or ctx.account_id,
            attrs=attrs or None, md5_attrs=md5_of_attributes(attrs),
            sys_attrs=sys_attrs or None, md5_sys=md5_of_attributes(sys_attrs),
            group=group, dedup=dedup,
        )
        if delay > 0:
            m.state = DELAYED
            m.visible_at = now + delay
        else:
            m.state = VISIBLE
            m.visible_at = now
        seqno = m.sequence_number if st.fifo else None
        if key is not None:
            in_batch[key] = (m.mid, seqno or "")
        answer = {
            "MessageId": m.mid, "MD5OfMessageBody": m.md5_body,
            "MD5OfMessageAttributes": m.md5_attrs, "MD5OfMessageSystemAttributes": m.md5_sys,
            "SequenceNumber": seqno,
        }
        return Outcome(answer, m, key)

    @staticmethod
    def _answer(
        body: str, attrs: dict[str, Any], sys_attrs: dict[str, Any], mid: str, seqno: str
    ) -> dict[str, Any]:
        return {
            "MessageId": mid, "MD5OfMessageBody": md5_of_body(body),
            "MD5OfMessageAttributes": md5_of_attributes(attrs),
            "MD5OfMessageSystemAttributes": md5_of_attributes(sys_attrs),
            "SequenceNumber": seqno or None,
        }

    def _commit(self, st: QueueState, outs: list[Outcome], now: float) -> None:
        """Index the new messages, store them (and dedup IDs), then wake receivers.

        If the store refuses the write, the messages are taken out again: an error
        answer means nothing was sent."""
        new: list[Msg] = [o.msg for o in outs if o.msg is not None]
        if not new:
            return
        qs.assign_chunks(new)
        expires = now + DEDUP_WINDOW
        for m in new:
            st.add(m)
        try:
            with self.store.batch():
                self.persist(st, new, new=True)
                for o in outs:
                    if o.msg is not None and o.dedup_key is not None:
                        self.store.put(qs.DEDUP, qs.dedup_key(st.ref, o.dedup_key), {
                            "x": expires, "i": o.msg.mid, "n": o.msg.sequence_number})
        except BaseException:
            for m in new:
                st.remove(m)
            raise
        for o in outs:
            if o.msg is not None and o.dedup_key is not None:
                st.dedup.remember(o.dedup_key, expires, o.msg.mid, o.msg.sequence_number)
        st.wake()
