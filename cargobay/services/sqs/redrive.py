"""Dead-letter queues: the RedrivePolicy checks and moving messages to the DLQ.

SQS Developer Guide, "Using dead-letter queues": when a message's receive count exceeds
the source queue's maxReceiveCount, SQS moves it to the dead-letter queue instead of
delivering it again.  The DLQ must be of the same type (standard or FIFO), in the same
account and region, and its RedriveAllowPolicy must let the source queue use it.  A
moved message keeps its MessageId, body, attributes and receive count; on a standard
DLQ its enqueue time (SentTimestamp, retention) is unchanged, on a FIFO DLQ it is reset.
"""

from __future__ import annotations

from typing import Any

from cargobay.services.sqs.attributes import QueueConfig
from cargobay.services.sqs.base import SqsBase
from cargobay.services.sqs.errors import invalid_value
from cargobay.services.sqs.message import VISIBLE, Msg
from cargobay.services.sqs.names import QueueRef, ref_from_arn
from cargobay.services.sqs.queue_state import QueueState
from cargobay.services.sqs.queue_store import assign_chunks


def allows(dlq_config: QueueConfig, source_arn: str) -> bool:
    """Whether a queue's RedriveAllowPolicy lets ``source_arn`` use it as its DLQ."""
    policy: dict[str, Any] | None = dlq_config.redrive_allow
    if policy is None:
        return True
    perm = policy.get("redrivePermission")
    if perm == "denyAll":
        return False
    if perm == "byQueue":
        return source_arn in (policy.get("sourceQueueArns") or [])
    return True


class RedriveOps(SqsBase):
    def check_redrive(self, source: QueueRef, fifo: bool, config: QueueConfig, raw: str) -> None:
        """A RedrivePolicy being set on ``source`` (InvalidParameterValue if unusable)."""
        redrive = config.redrive
        if redrive is None:
            return
        ref = ref_from_arn(redrive.dlq_arn)
        dlq = None
        if ref is not None and ref.account == source.account and ref.region == source.region:
            dlq = self.load(ref)
        if dlq is None:
            raise invalid_value("RedrivePolicy", raw, "Dead letter target does not exist.")
        if dlq.fifo != fifo:
            raise invalid_value(
                "RedrivePolicy", raw, "Dead-letter queue must be same type of queue as the source."
            )
        if not allows(dlq.config, source.arn):
            raise invalid_value(
                "RedrivePolicy", raw,
                f"Queue {dlq.ref.arn} does not allow {source.arn} to use it as a dead-letter "
                "queue (RedriveAllowPolicy).",
            )

    def dead_letter_target(self, st: QueueState) -> tuple[QueueState, int] | None:
        """The DLQ messages of ``st`` move to, and after how many receives."""
        redrive = st.config.redrive
        if redrive is None:
            return None
        ref = ref_from_arn(redrive.dlq_arn)
        if ref is None:
            return None
        dlq = self.load(ref)
        if dlq is None or dlq is st or dlq.fifo != st.fifo or not allows(dlq.config, st.ref.arn):
            return None
        return dlq, redrive.max_receives

    def move_in(
        self, dest: QueueState, msgs: list[Msg], now: float, *, source_arn: str | None,
        keep_receives: bool,
    ) -> list[Msg]:
        """New copies of ``msgs`` in ``dest``, visible now (the caller persists them)."""
        out: list[Msg] = []
        for m in msgs:
            copy = Msg(
                seq=dest.next_seq(now), mid=m.mid, body=m.body, md5_body=m.md5_body,
                sent=m.sent if not dest.fifo else now, sender=m.sender, attrs=m.attrs,
                md5_attrs=m.md5_attrs, sys_attrs=m.sys_attrs, md5_sys=m.md5_sys,
                group=m.group, dedup=m.dedup, visible_at=now, state=VISIBLE,
                dlq_source=source_arn,
            )
            if keep_receives:
                copy.receives = m.receives
                copy.first_receive = m.first_receive
            if not dest.fifo and source_arn is None:
                copy.sent = now
            out.append(copy)
        assign_chunks(out)
        for copy in out:
            dest.add(copy)
        return out

    def move_to_dlq(self, st: QueueState, dlq: QueueState, dead: list[Msg], now: float) -> None:
        """Move messages that exceeded maxReceiveCount (already out of ``st``)."""
        copies = self.move_in(dlq, dead, now, source_arn=st.ref.arn, keep_receives=True)
        with self.store.batch():
            self.persist(st, dead)
            self.persist(dlq, copies, new=True)
        dlq.wake()
