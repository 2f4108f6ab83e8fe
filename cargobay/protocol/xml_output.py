"""XML documents for the query protocol: results and errors, written from the output shape.

One walk over the shape writes what botocore's ``QueryParser`` reads: members under
their ``locationName``; lists as ``<member>`` items (or the member's locationName), or
repeated elements when ``flattened``; maps as ``<entry><key/><value/></entry>``;
timestamps ISO 8601 with milliseconds (or the member's ``timestampFormat``);
booleans ``true``/``false``; blobs base64; text XML-escaped.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

#: characters XML 1.0 cannot carry at all, even as references
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;").replace("\r", "&#xD;")
    return _INVALID.sub("\ufffd", text)


def namespace(model: ServiceModel) -> str:
    ns = model.metadata.get("xmlNamespace")
    if isinstance(ns, dict):
        ns = ns.get("uri")
    return str(ns or "")


def _open_root(tag: str, model: ServiceModel) -> str:
    ns = namespace(model)
    return f'<{tag} xmlns="{escape(ns)}">' if ns else f"<{tag}>"


def result_document(op: OperationModel, result: dict[str, Any], request_id: str) -> bytes:
    """``<OpResponse><OpResult>…</OpResult><ResponseMetadata>…</ResponseMetadata></OpResponse>``."""
    root = f"{op.name}Response"
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>', _open_root(root, op.service_model)]
    shape = op.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            out.append(f"<{wrapper}>")
        _members(out, shape, result)
        if wrapper:
            out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>")
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def error_document(
    model: ServiceModel, code: str, message: str, sender_fault: bool, request_id: str
) -> bytes:
    kind = "Sender" if sender_fault else "Receiver"
    return "".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            _open_root("ErrorResponse", model),
            f"<Error><Type>{kind}</Type><Code>{escape(code)}</Code>",
            f"<Message>{escape(message)}</Message></Error>",
            f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>",
        ]
    ).encode("utf-8")


def _tag(member: Shape, name: str) -> str:
    """The element name botocore looks for (flattened lists: the item's locationName)."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        inner = member.member.serialization.get("name")  # type: ignore[attr-defined]
        if inner:
            return str(inner)
    return str(member.serialization.get("name", name))


def _members(out: list[str], shape: Shape, value: Any) -> None:
    if not isinstance(value, dict):
        return
    members = shape.members  # type: ignore[attr-defined]
    for name, member in members.items():
        v = value.get(name)
        if v is None or member.serialization.get("location"):
            continue
        _element(out, member, v, _tag(member, name))


def _element(out: list[str], shape: Shape, value: Any, tag: str) -> None:
    t = shape.type_name
    if t == "structure":
        out.append(f"<{tag}>")
        _members(out, shape, value)
        out.append(f"</{tag}>")
    elif t == "list":
        _list(out, shape, value, tag)
    elif t == "map":
        _map(out, shape, value, tag)
    else:
        text = scalar_text(shape, value)
        if text is not None:
            out.append(f"<{tag}>{escape(text)}</{tag}>")


def _list(out: list[str], shape: Shape, value: Any, tag: str) -> None:
    member = shape.member  # type: ignore[attr-defined]
    items = [v for v in value if v is not None] if isinstance(value, (list, tuple)) else []
    if shape.serialization.get("flattened"):
        for item in items:
            _element(out, member, item, tag)
        return
    item_tag = str(member.serialization.get("name", "member"))
    out.append(f"<{tag}>")
    for item in items:
        _element(out, member, item, item_tag)
    out.append(f"</{tag}>")


def _map(out: list[str], shape: Shape, value: Any, tag: str) -> None:
    if not isinstance(value, dict):
        return
    key_shape = shape.key  # type: ignore[attr-defined]
    value_shape = shape.value  # type: ignore[attr-defined]
    key_tag = str(key_shape.serialization.get("name", "key"))
    value_tag = str(value_shape.serialization.get("name", "value"))
    flat = bool(shape.serialization.get("flattened"))
    if not flat:
        out.append(f"<{tag}>")
    for k, v in value.items():
        if v is None:
            continue
        out.append(f"<{tag}>" if flat else "<entry>")
        _element(out, key_shape, k, key_tag)
        _element(out, value_shape, v, value_tag)
        out.append(f"</{tag}>" if flat else "</entry>")
    if not flat:
        out.append(f"</{tag}>")


def scalar_text(shape: Shape, value: Any) -> str | None:
    """A scalar as query/XML text (None when the value cannot be one)."""
    t = shape.type_name
    if t == "boolean":
        return "true" if value else "false"
    if t in ("integer", "long"):
        return str(int(value))
    if t in ("float", "double"):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return repr(f)
    if t == "timestamp":
        return timestamp_text(value, shape.serialization.get("timestampFormat", "iso8601"))
    if t == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value)


def timestamp_text(value: Any, fmt: str = "iso8601") -> str:
    """Epoch seconds (or a datetime) as iso8601 (millisecond), unixTimestamp or rfc822 text."""
    secs = epoch(value)
    fmt = fmt.lower()
    if fmt == "unixtimestamp":
        return str(int(secs)) if secs.is_integer() else f"{secs:.3f}"
    if fmt == "rfc822":
        return formatdate(secs, usegmt=True)
    millis = round(secs * 1000)
    whole, ms = divmod(millis, 1000)
    stamp = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms:03d}Z"
