"""GetLogEvents (one stream, by position) and FilterLogEvents (a group, by pattern).

GetLogEvents returns at most ``limit`` events (default and maximum 10,000) or 1 MB, in
ascending timestamp order: from the head with ``startFromHead``, else the latest.  Its
tokens name a position: ``f/<pos>`` reads the events after it, ``b/<pos>`` the events
before it; at the end of the stream the token given is returned again (that is how
clients know to stop).  Events past the group's retention are never returned.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections import deque
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.logs import names
from cargobay.services.logs.base import LogsBase
from cargobay.services.logs.errors import InvalidParameterException
from cargobay.services.logs.filter_pattern import PatternError, compile_pattern

Doc = dict[str, Any]

MAX_EVENTS = 10_000
MAX_BYTES = 1_048_576
_POS_LEN = len(names.position(0, 0))


def _parse_token(token: str) -> tuple[str, str]:
    kind, _, pos = token.partition("/")
    if kind not in ("f", "b") or len(pos) != _POS_LEN or pos[15] != ":" or not (
        pos[:15].isdigit() and pos[16:].isdigit()
    ):
        raise InvalidParameterException("The specified nextToken is invalid.")
    return kind, pos


class ReadEventsOps(LogsBase):
    def get_log_events(self, ctx: RequestContext, req: Doc) -> Doc:
        group_ref = self.group_of(ctx, req)
        ref = group_ref.stream(req["logStreamName"])
        self.require_stream(ref)
        group = self.require_group(group_ref)
        cutoff = self.retention_cutoff(group)
        start, end = req.get("startTime"), req.get("endTime")
        limit = int(req.get("limit") or MAX_EVENTS)
        prefix = ref.events_prefix
        token = req.get("nextToken")
        kind, pos = _parse_token(token) if token else (None, None)
        forward = kind == "f" if kind else bool(req.get("startFromHead"))

        def visible(doc: Doc) -> bool:
            t = int(doc["t"])
            return t >= cutoff and (start is None or t >= start) and (end is None or t < end)

        picked: list[tuple[str, Doc]] = []
        if forward:
            size = 0
            after = prefix + pos if pos else None
            for key, doc in self.store.scan(names.EVENTS, prefix, after):
                if not visible(doc):
                    continue
                size += len(doc["m"].encode("utf-8")) + 26
                if len(picked) == limit or (picked and size > MAX_BYTES):
                    break
                picked.append((key, doc))
        else:
            window: deque[tuple[str, Doc]] = deque(maxlen=limit)
            stop = prefix + pos if pos else None
            for key, doc in self.store.scan(names.EVENTS, prefix):
                if stop is not None and key >= stop:
                    break
                if visible(doc):
                    window.append((key, doc))
            picked = list(window)
            size = 0
            for i in range(len(picked) - 1, -1, -1):
                size += len(picked[i][1]["m"].encode("utf-8")) + 26
                if size > MAX_BYTES:
                    picked = picked[i + 1 :]
                    break
        events = [{"timestamp": d["t"], "message": d["m"], "ingestionTime": d["i"]}
                  for _, d in picked]
        if picked:
            first, last = picked[0][0][len(prefix):], picked[-1][0][len(prefix):]
            fwd, back = "f/" + last, "b/" + first
        else:
            here = pos or names.position(0, 0)
            if not forward and pos is None:
                # nothing yet: read forward from the start next time
                here = names.position(0, 0)
            fwd, back = "f/" + here, "b/" + here
        return {"events": events, "nextForwardToken": fwd, "nextBackwardToken": back}

    def filter_log_events(self, ctx: RequestContext, req: Doc) -> Doc:
        group_ref = self.group_of(ctx, req)
        group = self.require_group(group_ref)
        listed, prefix = req.get("logStreamNames"), req.get("logStreamNamePrefix")
        if listed is not None and prefix is not None:
            raise InvalidParameterException(
                "logStreamNames and logStreamNamePrefix are mutually exclusive."
            )
        try:
            match = compile_pattern(req.get("filterPattern"))
        except PatternError as e:
            raise InvalidParameterException(f"Invalid filter pattern: {e}") from None
        cutoff = self.retention_cutoff(group)
        start, end = req.get("startTime"), req.get("endTime")
        limit = int(req.get("limit") or MAX_EVENTS)
        after = self._filter_token(req.get("nextToken"))
        streams: list[str] = []
        found: list[tuple[int, str, int, Doc]] = []
        for _, sdoc in self.store.scan(names.STREAMS, group_ref.streams_prefix + (prefix or "")):
            name = sdoc["logStreamName"]
            if listed is not None and name not in listed:
                continue
            streams.append(name)
            sp = group_ref.stream(name).events_prefix
            for key, doc in self.store.scan(names.EVENTS, sp):
                t = int(doc["t"])
                if t < cutoff or (start is not None and t < start):
                    continue
                if end is not None and t > end:
                    continue
                seq = int(key.rsplit(":", 1)[1])
                if after is not None and (t, name, seq) <= after:
                    continue
                if match(doc["m"]):
                    found.append((t, name, seq, doc))
        found.sort(key=lambda r: (r[0], r[1], r[2]))
        page: list[Doc] = []
        size = 0
        more = None
        for t, name, seq, doc in found:
            size += len(doc["m"].encode("utf-8")) + 26
            if len(page) == limit or (page and size > MAX_BYTES):
                prev = page[-1]
                more = self._encode_filter_token(prev["timestamp"], prev["logStreamName"],
                                                 prev["_seq"])
                break
            page.append({
                "logStreamName": name,
                "timestamp": t,
                "message": doc["m"],
                "ingestionTime": doc["i"],
                "eventId": f"{t:020d}{zlib.crc32(name.encode()):010d}{seq:012d}",
                "_seq": seq,
            })
        for ev in page:
            ev.pop("_seq")
        out: Doc = {
            "events": page,
            "searchedLogStreams": [
                {"logStreamName": s, "searchedCompletely": True} for s in streams
            ],
        }
        if more is not None:
            out["nextToken"] = more
        return out

    @staticmethod
    def _encode_filter_token(t: int, stream: str, seq: int) -> str:
        return base64.urlsafe_b64encode(orjson.dumps([t, stream, seq])).decode("ascii")

    @staticmethod
    def _filter_token(token: str | None) -> tuple[int, str, int] | None:
        if token is None:
            return None
        try:
            t, stream, seq = orjson.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            return int(t), str(stream), int(seq)
        except (binascii.Error, UnicodeError, ValueError, TypeError, orjson.JSONDecodeError):
            raise InvalidParameterException("The specified nextToken is invalid.") from None
