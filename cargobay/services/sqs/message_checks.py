"""What SendMessage accepts: body characters, message attributes, sizes, delays.

Sources: SendMessage API reference and SQS Developer Guide, "Amazon SQS message
attributes" and "Quotas related to messages": the body may contain only #x9 | #xA | #xD
| #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF; up to 10 message attributes, each
named with up to 256 alphanumerics, ``_``, ``-`` and ``.`` (no leading or trailing
period, no ``..``, no ``AWS.``/``Amazon.`` prefix), typed String, Number or Binary
(optionally with a ``.custom`` suffix); the message size counts the body and every
attribute's name, type and value.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from cargobay.services.sqs.errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
    invalid_value,
)
from cargobay.services.sqs.message import Attrs

MAX_ATTRIBUTES = 10
MAX_DELAY = 900
_BAD_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_NAME = re.compile(r"[A-Za-z0-9_.\-\u00c0-\u017f]{1,256}")
_TYPE = re.compile(r"(String|Number|Binary)(\..+)?", re.DOTALL)


def check_body(body: str) -> None:
    if not body:
        raise MissingParameter("The request must contain the parameter MessageBody.")
    if _BAD_CHARS.search(body) is not None:
        raise InvalidMessageContents(
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
            "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
        )


def check_delay(delay: int | None, fifo: bool) -> None:
    if delay is None:
        return
    if not 0 <= delay <= MAX_DELAY:
        raise invalid_value(
            "DelaySeconds", delay, f"DelaySeconds must be >= 0 and <= {MAX_DELAY}."
        )
    if fifo and delay:
        raise invalid_value(
            "DelaySeconds", delay,
            "The request include parameter that is not valid for this queue type.",
        )


def check_attributes(given: dict[str, dict[str, Any]], kind: str = "user") -> tuple[Attrs, int]:
    """The attributes to keep (String/Number as StringValue, Binary as BinaryValue) and
    their size in bytes."""
    if len(given) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(given)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    out: Attrs = {}
    size = 0
    for name, value in given.items():
        _check_name(name, kind)
        data_type: str = value["DataType"]
        base = _base_type(data_type)
        if base is None:
            raise InvalidParameterValue(
                f"The type of message ({kind}) attribute '{name}' is invalid. You must use "
                "only the following supported type prefixes: Binary, Number, String."
            )
        if base == "Binary":
            raw = value.get("BinaryValue")
            if not raw:
                raise _empty(name, base, kind)
            out[name] = {"DataType": data_type, "BinaryValue": bytes(raw)}
            size += len(raw)
        else:
            text = value.get("StringValue")
            if not text:
                raise _empty(name, base, kind)
            if base == "Number":
                _check_number(name, text, kind)
            if _BAD_CHARS.search(text) is not None:
                raise InvalidParameterValue(
                    f"Message ({kind}) attribute '{name}' contains invalid characters."
                )
            out[name] = {"DataType": data_type, "StringValue": text}
            size += len(text.encode("utf-8"))
        size += len(name.encode("utf-8")) + len(data_type.encode("utf-8"))
    return out, size


@functools.lru_cache(maxsize=1024)
def _base_type(data_type: str) -> str | None:
    """String, Number or Binary for a valid DataType (custom suffix allowed), else None."""
    match = _TYPE.fullmatch(data_type) if len(data_type) <= 256 else None
    return match.group(1) if match is not None else None


@functools.lru_cache(maxsize=4096)
def _check_name(name: str, kind: str) -> None:
    low = name.lower()
    if (
        not _ATTR_NAME.fullmatch(name)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise InvalidParameterValue(
            f"Message ({kind}) attribute name '{name}' is invalid. A name can contain "
            "alphanumeric characters, hyphens, underscores and periods, up to 256 "
            "characters, and must not start or end with a period or contain successive "
            "periods."
        )
    if kind == "user" and (low.startswith("aws.") or low.startswith("amazon.")):
        raise InvalidParameterValue(
            f"Message ({kind}) attribute name '{name}' is invalid: names starting with "
            "'AWS.' or 'Amazon.' are reserved."
        )


def _check_number(name: str, text: str, kind: str) -> None:
    try:
        n = Decimal(text.strip())
    except InvalidOperation:
        n = None
    if n is None or not n.is_finite() or len(n.as_tuple().digits) > 38:
        raise InvalidParameterValue(
            f"Can't cast the value of message ({kind}) attribute '{name}' to a number."
        )


def _empty(name: str, base: str, kind: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Message ({kind}) attribute '{name}' must contain a non-empty value of type "
        f"'{base}'."
    )


def check_system_attributes(given: dict[str, dict[str, Any]]) -> Attrs:
    """MessageSystemAttributes: only AWSTraceHeader (the model's enum), a String."""
    out: Attrs = {}
    for name, value in given.items():
        if name != "AWSTraceHeader":
            raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
        if value.get("DataType") != "String" or not value.get("StringValue"):
            raise InvalidParameterValue(
                f"Message (system) attribute '{name}' must contain a non-empty value of "
                "type 'String'."
            )
        out[name] = {"DataType": "String", "StringValue": value["StringValue"]}
    return out


def check_size(body: str, attr_size: int, limit: int) -> int:
    size = len(body.encode("utf-8")) + attr_size
    if size > limit:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{limit} bytes."
        )
    return size
