"""PutLogEvents, by the rules of the CloudWatch Logs API Reference:

- at most 10,000 events and 1,048,576 bytes per batch, counting each message's UTF-8
  bytes plus 26 bytes per event (InvalidParameterException otherwise);
- the events in chronological order by timestamp, else the call fails;
- events more than 2 hours in the future (``tooNewLogEventStartIndex``), more than 14
  days old (``tooOldLogEventEndIndex``) or older than the group's retention
  (``expiredLogEventEndIndex``) are rejected while the rest are stored;
- the valid events may span at most 24 hours, else the call fails;
- the sequence token is ignored (any value is accepted).
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.logs import names
from cargobay.services.logs.base import DAY_MS, LogsBase
from cargobay.services.logs.errors import InvalidParameterException

Doc = dict[str, Any]

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
#: the largest event: 1 MB including the overhead
MAX_EVENT_BYTES = 1_048_576 - EVENT_OVERHEAD
FUTURE_MS = 2 * 3_600_000
PAST_MS = 14 * DAY_MS
SPAN_MS = DAY_MS


class PutEventsOps(LogsBase):
    def put_log_events(self, ctx: RequestContext, req: Doc) -> Doc:
        group_ref = self.group_ref(ctx, req["logGroupName"])
        ref = group_ref.stream(req["logStreamName"])
        stream = self.require_stream(ref)
        group = self.require_group(group_ref)
        events: list[Doc] = req["logEvents"]
        size = 0
        last = None
        for e in events:
            n = len(e["message"].encode("utf-8"))
            if n > MAX_EVENT_BYTES:
                raise InvalidParameterException(
                    f"Log event too large: {n} bytes exceeds limit of {MAX_EVENT_BYTES}"
                )
            size += n + EVENT_OVERHEAD
            if last is not None and e["timestamp"] < last:
                raise InvalidParameterException(
                    "Log events in a single PutLogEvents request must be in chronological "
                    "order."
                )
            last = e["timestamp"]
        if size > MAX_BATCH_BYTES:
            raise InvalidParameterException(
                f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
            )
        now = self.now_ms()
        too_new = too_old = expired = None
        cutoff = self.retention_cutoff(group)
        accepted: list[tuple[int, str]] = []
        for i, e in enumerate(events):
            ts = int(e["timestamp"])
            if ts > now + FUTURE_MS:
                if too_new is None:
                    too_new = i
            elif ts < now - PAST_MS:
                too_old = i
            elif ts < cutoff:
                expired = i
            else:
                accepted.append((ts, e["message"]))
        if accepted and accepted[-1][0] - accepted[0][0] > SPAN_MS:
            raise InvalidParameterException(
                "The batch of log events in a single PutLogEvents request cannot span more "
                "than 24 hours."
            )
        if accepted:
            seq = int(stream.get("seq", 0))
            with self.store.batch():
                for ts, message in accepted:
                    seq += 1
                    key = ref.events_prefix + names.position(ts, seq)
                    self.store.put(names.EVENTS, key, {"t": ts, "m": message, "i": now})
                first = accepted[0][0]
                stream["firstEventTimestamp"] = min(stream.get("firstEventTimestamp", first), first)
                stream["lastEventTimestamp"] = max(
                    stream.get("lastEventTimestamp", accepted[-1][0]), accepted[-1][0]
                )
                stream["lastIngestionTime"] = now
                stream["storedBytes"] = int(stream.get("storedBytes", 0)) + sum(
                    len(m.encode("utf-8")) for _, m in accepted
                )
                stream["seq"] = seq
                stream["uploadSequenceToken"] = f"{seq:056d}"
                self.store.put(names.STREAMS, ref.key, stream)
        out: Doc = {"nextSequenceToken": f"{int(stream.get('seq', 0)):056d}"}
        rejected: Doc = {}
        if too_new is not None:
            rejected["tooNewLogEventStartIndex"] = too_new
        if too_old is not None:
            rejected["tooOldLogEventEndIndex"] = too_old
        if expired is not None:
            rejected["expiredLogEventEndIndex"] = expired
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out
