"""Members a REST request carries outside its body: URI labels, query string, headers.

Each arrives as text; this module turns it into a typed value with the
:class:`~cargobay.protocol.validation.StringDecoder` so that ``check_input`` can then
check the whole input structure at once, body and all.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape, StructureShape

from cargobay.protocol.http import HttpRequest
from cargobay.protocol.validation import StringDecoder

_TEXT = StringDecoder()


def text_value(shape: Shape, text: str, path: str) -> Any:
    """One scalar (or comma-separated header list) from its text form."""
    t = shape.type_name
    if t in ("integer", "long"):
        return _TEXT.integer(text, path)
    if t in ("float", "double"):
        return _TEXT.number(text, path)
    if t == "boolean":
        return _TEXT.boolean(text, path)
    if t == "timestamp":
        return _TEXT.timestamp(text, path)
    if t == "list":
        member = shape.member  # type: ignore[attr-defined]
        return [text_value(member, item, path) for item in split_header_list(text)]
    return text  # strings, and blobs (base64: check_input decodes them)


def split_header_list(text: str) -> list[str]:
    """``a, "b,c", d`` → ``['a', 'b,c', 'd']`` (RFC 7230 lists, botocore's quoting)."""
    items: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 1
            elif ch == '"':
                quoted = False
            else:
                buf.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ",":
            items.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
        i += 1
    last = "".join(buf).strip()
    if last or items:
        items.append(last)
    return items


def located_members(
    shape: StructureShape, req: HttpRequest, labels: dict[str, str]
) -> dict[str, Any]:
    """Members bound to the URI, the query string or headers, typed."""
    out: dict[str, Any] = {}
    claimed: set[str] = set()
    query_map: tuple[str, Shape] | None = None
    for name, member in shape.members.items():
        ser = member.serialization
        loc = ser.get("location")
        wire = str(ser.get("name", name))
        if loc == "uri":
            if wire in labels:
                out[name] = text_value(member, labels[wire], name)
        elif loc == "querystring":
            if member.type_name == "map":
                query_map = (name, member)
                continue
            claimed.add(wire)
            values = [v for k, v in req.query if k == wire]
            if not values:
                continue
            if member.type_name == "list":
                item = member.member  # type: ignore[attr-defined]
                out[name] = [text_value(item, v, name) for v in values]
            else:
                out[name] = text_value(member, values[-1], name)
        elif loc == "header":
            value = req.headers.get(wire.lower())
            if value is not None:
                if member.type_name == "list" and value.strip() == "":
                    continue
                out[name] = text_value(member, value, name)
        elif loc == "headers":
            prefix = wire.lower()
            found = {k[len(prefix) :]: v for k, v in req.headers.items() if k.startswith(prefix)}
            if found:
                out[name] = found
    if query_map is not None:
        name, member = query_map
        value_shape = member.value  # type: ignore[attr-defined]
        params: dict[str, Any] = {}
        for k, v in req.query:
            if k in claimed:
                continue
            if value_shape.type_name == "list":
                params.setdefault(k, []).append(text_value(value_shape.member, v, name))
            else:
                params[k] = text_value(value_shape, v, name)
        if params:
            out[name] = params
    return out
