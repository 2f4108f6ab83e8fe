"""The digests SQS returns with messages, computed as SQS computes them.

- ``MD5OfMessageBody``: MD5 of the body's UTF-8 bytes.
- ``MD5OfMessageAttributes`` / ``MD5OfMessageSystemAttributes`` (SQS Developer Guide,
  "Calculating the MD5 message digest for message attributes"): attributes sorted by
  name; for each, the name, the data type, a transport byte (1 for String and Number
  types, 2 for Binary) and the value, where name, type and value are each written as a
  4-byte big-endian length followed by their UTF-8 (or raw) bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

STRING_TRANSPORT = b"\x01"
BINARY_TRANSPORT = b"\x02"


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _field(h: Any, data: bytes) -> None:
    h.update(len(data).to_bytes(4, "big"))
    h.update(data)


def md5_of_attributes(attrs: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The digest of message (or system) attributes; None when there are none.

    Each value is ``{"DataType": ..., "StringValue": str}`` or ``{..., "BinaryValue":
    bytes}``."""
    if not attrs:
        return None
    h = hashlib.md5()
    for name in sorted(attrs):
        value = attrs[name]
        data_type = str(value["DataType"])
        _field(h, name.encode("utf-8"))
        _field(h, data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            h.update(BINARY_TRANSPORT)
            _field(h, bytes(value["BinaryValue"]))
        else:
            h.update(STRING_TRANSPORT)
            _field(h, str(value["StringValue"]).encode("utf-8"))
    return h.hexdigest()
