"""Output shaping from the model, shared by the JSON-like protocols (json, rest-json, cbor).

Handlers return plain dicts; :func:`shape_output` keeps only the members the output
shape declares, drops ``None``, and lets the protocol's :class:`Encoder` write
timestamps (epoch seconds as float/int, or datetime) and blobs its own way.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from botocore.model import Shape


class Encoder:
    """JSON: timestamps as epoch seconds, blobs as base64 text."""

    def timestamp(self, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.timestamp()
        f = float(value)
        return int(f) if f.is_integer() else round(f, 3)

    def blob(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.encode()
        return base64.b64encode(value).decode("ascii")


def shape_output(shape: Shape | None, value: Any, enc: Encoder) -> Any:
    if shape is None or value is None:
        return None
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return None
        out: dict[str, Any] = {}
        members = shape.members  # type: ignore[attr-defined]
        for name, v in value.items():
            member = members.get(name)
            if member is None or v is None:
                continue
            out[name] = shape_output(member, v, enc)
        return out
    if t == "list":
        member = shape.member  # type: ignore[attr-defined]
        return [shape_output(member, v, enc) for v in value if v is not None]
    if t == "map":
        vs = shape.value  # type: ignore[attr-defined]
        return {k: shape_output(vs, v, enc) for k, v in value.items() if v is not None}
    if t == "timestamp":
        return enc.timestamp(value)
    if t == "blob":
        return enc.blob(value)
    return value
