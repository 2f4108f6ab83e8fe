"""Log streams: CreateLogStream, DescribeLogStreams, DeleteLogStream."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.logs import names
from cargobay.services.logs.base import LogsBase
from cargobay.services.logs.errors import (
    InvalidParameterException,
    ResourceAlreadyExistsException,
)
from cargobay.services.logs.groups import DEFAULT_LIMIT, decode_token, encode_token
from cargobay.services.logs.names import StreamRef

Doc = dict[str, Any]

#: stream doc members that are ours, not the API's
_PRIVATE = ("seq",)


def stream_view(ref: StreamRef, doc: Doc) -> Doc:
    view = {k: v for k, v in doc.items() if k not in _PRIVATE}
    view["arn"] = ref.arn
    return view


class StreamOps(LogsBase):
    def create_log_stream(self, ctx: RequestContext, req: Doc) -> Doc:
        group = self.group_ref(ctx, req["logGroupName"])
        self.require_group(group)
        ref = group.stream(req["logStreamName"])
        if self.store.get(names.STREAMS, ref.key) is not None:
            raise ResourceAlreadyExistsException("The specified log stream already exists")
        self.store.put(names.STREAMS, ref.key, {
            "logStreamName": ref.name,
            "creationTime": self.now_ms(),
            "storedBytes": 0,
            "seq": 0,
        })
        return {}

    def describe_log_streams(self, ctx: RequestContext, req: Doc) -> Doc:
        group = self.group_of(ctx, req)
        self.require_group(group)
        order = req.get("orderBy") or "LogStreamName"
        prefix = req.get("logStreamNamePrefix") or ""
        if prefix and order == "LastEventTime":
            raise InvalidParameterException(
                "Cannot order by LastEventTime with a logStreamNamePrefix."
            )
        limit = int(req.get("limit") or DEFAULT_LIMIT)
        descending = bool(req.get("descending"))
        rows = [
            (key, doc)
            for key, doc in self.store.scan(names.STREAMS, group.streams_prefix + prefix)
        ]
        if order == "LastEventTime":
            rows.sort(key=lambda r: (r[1].get("lastEventTimestamp", 0), r[0]))
        if descending:
            rows.reverse()
        start = 0
        token = decode_token(req.get("nextToken"))
        if token is not None:
            try:
                start = int(token)
            except ValueError:
                raise InvalidParameterException("The specified nextToken is invalid.") from None
        page = rows[start : start + limit]
        out: Doc = {"logStreams": [stream_view(group.stream(d["logStreamName"]), d)
                                   for _, d in page]}
        if start + limit < len(rows):
            out["nextToken"] = encode_token(str(start + limit))
        return out

    def delete_log_stream(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"]).stream(req["logStreamName"])
        self.require_stream(ref)
        with self.store.batch():
            keys = [k for k, _ in self.store.scan(names.EVENTS, ref.events_prefix)]
            for k in keys:
                self.store.delete(names.EVENTS, k)
            self.store.delete(names.STREAMS, ref.key)
        return {}
