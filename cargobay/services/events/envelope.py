"""The event as EventBridge delivers it, and PutEvents' entry checks.

EventBridge User Guide, "Amazon EventBridge events" (event structure): ``version`` "0",
``id`` (a UUID), ``detail-type``, ``source``, ``account``, ``time`` (ISO 8601, UTC, to
the second, ``Z``), ``region``, ``resources`` (ARNs, may be empty), ``detail`` (a JSON
object).

PutEvents (API reference; "Calculating PutEvents event entry size"): an entry needs
Source, DetailType and Detail; Detail must be a JSON object; sources starting ``aws.``
belong to AWS.  A failed entry gets ErrorCode/ErrorMessage in its place of the result;
the others are delivered.  The whole request must stay under 256 KB, counting Time as 14
bytes and the UTF-8 bytes of Source, DetailType, Detail and each resource.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

Doc = dict[str, Any]

MAX_REQUEST = 256 * 1024
TOO_BIG = "Total size of the entries in the request is over the limit."


_last_iso: tuple[int, str] = (-1, "")


def iso(t: float) -> str:
    """``2026-01-02T03:04:05Z`` (events of one second share the text: remembered)."""
    global _last_iso
    second = int(t // 1)
    if _last_iso[0] != second:
        _last_iso = (second, datetime.fromtimestamp(second, tz=UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"))
    return _last_iso[1]


def iso_ms(t: float) -> str:
    """ISO 8601 with milliseconds, as ECS writes times in event details."""
    d = datetime.fromtimestamp(t, tz=UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def entry_size(entry: Doc) -> int:
    size = 14 if entry.get("Time") is not None else 0
    for k in ("Source", "DetailType", "Detail"):
        if entry.get(k):
            size += len(str(entry[k]).encode())
    for r in entry.get("Resources") or []:
        size += len(r.encode())
    return size


def entry_error(entry: Doc) -> tuple[Doc | None, Doc | None]:
    """(the parsed detail, None) for a good entry; (None, the result entry) for a bad one."""
    if not entry.get("Source"):
        return None, _fail("InvalidArgument",
                           "Parameter Source is not valid. Reason: Source is a required argument.")
    if not entry.get("DetailType"):
        return None, _fail(
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        )
    if not entry.get("Detail"):
        return None, _fail("InvalidArgument",
                           "Parameter Detail is not valid. Reason: Detail is a required argument.")
    try:
        detail = orjson.loads(entry["Detail"])
    except orjson.JSONDecodeError:
        detail = None
    if not isinstance(detail, dict):
        return None, _fail("MalformedDetail", "Detail is malformed.")
    if entry["Source"].startswith("aws."):
        return None, _fail("NotAuthorizedForSourceException", "Not authorized for the source.")
    return detail, None


def _fail(code: str, message: str) -> Doc:
    return {"ErrorCode": code, "ErrorMessage": message}


def make_event(*, source: str, detail_type: str, detail: Doc, account: str, region: str,
               time: float, resources: list[str] | None = None,
               event_id: str | None = None) -> Doc:
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso(time),
        "region": region,
        "resources": list(resources or []),
        "detail": detail,
    }
