"""DeleteMessage(Batch) and ChangeMessageVisibility(Batch), by receipt handle.

How SQS treats receipt handles (DeleteMessage and ChangeMessageVisibility references;
knowledge-center article "sqs-receipt-handle-error"):

- a handle that is not a receipt handle, or one of another queue →
  ReceiptHandleIsInvalid;
- DeleteMessage of a message already gone succeeds;
- a handle from an earlier receive of a message received again since: on a standard
  queue DeleteMessage succeeds but does not delete the message; on a FIFO queue, and
  for ChangeMessageVisibility, InvalidParameterValue "The receipt handle has expired";
- the latest handle after the visibility timeout passed (message not received again):
  standard queues still delete with it and ignore visibility changes; FIFO queues
  answer "The receipt handle has expired";
- ChangeMessageVisibility of a message that no longer exists: InvalidParameterValue
  "Message does not exist or is not available for visibility timeout change."; the
  total visibility of one receive cannot pass 12 hours.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.sqs.base import SqsBase
from cargobay.services.sqs.batch import check_entries, failure, result
from cargobay.services.sqs.errors import ReceiptHandleIsInvalid, invalid_value
from cargobay.services.sqs.message import INFLIGHT, Msg
from cargobay.services.sqs.queue_state import QueueState
from cargobay.services.sqs.receive import MAX_VISIBILITY, read_handle


def _expired(handle: str) -> AwsError:
    return invalid_value("ReceiptHandle", handle, "The receipt handle has expired.")


class VisibilityOps(SqsBase):
    def _message(self, st: QueueState, handle: str) -> tuple[Msg | None, bool]:
        """The message a handle names (None if gone) and whether the handle is its latest."""
        parsed = read_handle(handle)
        if parsed is None:
            raise ReceiptHandleIsInvalid(
                f'The input receipt handle "{handle}" is not a valid receipt handle.'
            )
        qid, seq, token = parsed
        if qid != st.qid:
            raise ReceiptHandleIsInvalid(
                f'The receipt handle "{handle}" is not valid for this queue.'
            )
        m = st.msgs.get(seq)
        return m, m is not None and m.token == token

    # -- delete ------------------------------------------------------------------------
    def delete_message(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        m = self._deletable(st, req["ReceiptHandle"])
        if m is not None:
            self._delete(st, [m])
        return {}

    def delete_message_batch(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        entries: list[dict[str, Any]] = req["Entries"]
        check_entries(entries, "DeleteMessageBatchRequestEntry")
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        doomed: dict[int, Msg] = {}
        for entry in entries:
            try:
                m = self._deletable(st, entry["ReceiptHandle"])
            except AwsError as err:
                failed.append(failure(entry["Id"], err))
                continue
            if m is not None:
                doomed[m.seq] = m
            ok.append({"Id": entry["Id"]})
        if doomed:
            self._delete(st, list(doomed.values()))
        return result(ok, failed)

    def _deletable(self, st: QueueState, handle: str) -> Msg | None:
        m, latest = self._message(st, handle)
        if m is None:
            return None
        if not latest:
            if st.fifo:
                raise _expired(handle)
            return None
        if st.fifo and m.state != INFLIGHT:
            raise _expired(handle)
        return m

    def _delete(self, st: QueueState, msgs: list[Msg]) -> None:
        unblocks = st.fifo and any(m.state == INFLIGHT for m in msgs)
        for m in msgs:
            st.remove(m)
        with self.store.batch():
            self.persist(st, msgs)
        if unblocks:
            st.wake()  # their groups may deliver again

    # -- visibility --------------------------------------------------------------------
    def change_message_visibility(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        m = self._changeable(st, req["ReceiptHandle"], req["VisibilityTimeout"])
        if m is not None:
            self._apply_visibility(st, [(m, req["VisibilityTimeout"])])
        return {}

    def change_message_visibility_batch(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        entries: list[dict[str, Any]] = req["Entries"]
        check_entries(entries, "ChangeMessageVisibilityBatchRequestEntry")
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        changes: list[tuple[Msg, int]] = []
        for entry in entries:
            timeout = entry.get("VisibilityTimeout")
            try:
                if timeout is None:
                    raise invalid_value(
                        "VisibilityTimeout", None, "VisibilityTimeout must be provided."
                    )
                m = self._changeable(st, entry["ReceiptHandle"], timeout)
            except AwsError as err:
                failed.append(failure(entry["Id"], err))
                continue
            if m is not None:
                changes.append((m, timeout))
            ok.append({"Id": entry["Id"]})
        if changes:
            self._apply_visibility(st, changes)
        return result(ok, failed)

    def _changeable(self, st: QueueState, handle: str, timeout: int) -> Msg | None:
        """The in-flight message to change, None for a no-op, or the SQS error."""
        if not 0 <= timeout <= MAX_VISIBILITY:
            raise invalid_value(
                "VisibilityTimeout", timeout,
                f"Must be >= 0 and <= {MAX_VISIBILITY}, if provided.",
            )
        m, latest = self._message(st, handle)
        if m is None:
            raise invalid_value(
                "ReceiptHandle", handle,
                "Message does not exist or is not available for visibility timeout change.",
            )
        if not latest:
            raise _expired(handle)
        if m.state != INFLIGHT:
            if st.fifo:
                raise _expired(handle)
            return None
        now = self.clock.now()
        if m.received_at is not None and now + timeout > m.received_at + MAX_VISIBILITY:
            raise invalid_value(
                "VisibilityTimeout", timeout,
                f"Total VisibilityTimeout for the message is beyond the limit "
                f"[{MAX_VISIBILITY} seconds]",
            )
        return m

    def _apply_visibility(self, st: QueueState, changes: list[tuple[Msg, int]]) -> None:
        now = self.clock.now()
        for m, timeout in changes:
            st.change_visibility(m, now, timeout)
        with self.store.batch():
            self.persist(st, [m for m, _ in changes])
        if any(timeout == 0 for _, timeout in changes):
            st.wake()
