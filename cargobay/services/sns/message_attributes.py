"""Publish's MessageAttributes: the checks SNS makes ("Amazon SNS message attributes"),
and the message size they count towards (256 KiB for body and attributes together:
names, types and values)."""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any

from cargobay.services.sns.errors import ParameterValueInvalid, invalid

Attrs = dict[str, dict[str, Any]]

MAX_PUBLISH_BYTES = 262_144
_NAME_CHARS = re.compile(r"[A-Za-z0-9_.\-]")
_TYPE = re.compile(r"(String|Number|Binary)(\..+)?")


def check_name(name: str) -> None:
    if len(name.encode("utf-8")) > 256:
        raise ParameterValueInvalid("Length of message attribute name must be less than 256 bytes.")
    if not name:
        raise ParameterValueInvalid("The message attribute name must not be empty.")
    if name.startswith("."):
        raise ParameterValueInvalid(
            "Invalid message attribute name starting with character '.' was found.")
    if name.endswith("."):
        raise ParameterValueInvalid(
            "Invalid message attribute name ending with character '.' was found.")
    for i, ch in enumerate(name):
        if not _NAME_CHARS.fullmatch(ch):
            raise ParameterValueInvalid(
                f"Invalid non-alphanumeric character '#x{ord(ch):X}' was found in the message "
                "attribute name. Can only include alphanumeric characters, hyphens, "
                "underscores, or dots."
            )
        if ch == "." and i > 0 and name[i - 1] == ".":
            raise ParameterValueInvalid(
                "Message attribute name can not have successive '.' character.")


def check_attributes(attrs: Attrs) -> Attrs:
    """The attributes checked, each as ``{DataType, StringValue | BinaryValue}``."""
    out: Attrs = {}
    for name, attr in attrs.items():
        check_name(name)
        data_type = str(attr.get("DataType") or "")
        if not _TYPE.fullmatch(data_type):
            raise ParameterValueInvalid(
                f"The message attribute '{name}' has an invalid message attribute type, the "
                "set of supported type prefixes is Binary, Number, and String."
            )
        binary = data_type.startswith("Binary")
        field = "BinaryValue" if binary else "StringValue"
        value = attr.get(field)
        if value is None:
            other = attr.get("StringValue" if binary else "BinaryValue")
            if other is not None:
                raise ParameterValueInvalid(
                    f"The message attribute '{name}' with type '{data_type}' must use field "
                    f"'{'Binary' if binary else 'String'}'."
                )
        if value is None or len(value) == 0:
            raise ParameterValueInvalid(
                f"The message attribute '{name}' must contain non-empty message attribute "
                f"value for message attribute type '{data_type}'."
            )
        if data_type.startswith("Number"):
            _check_number(name, str(value))
        elif data_type == "String.Array":
            _check_array(name, str(value))
        out[name] = {"DataType": data_type, field: value}
    return out


def _check_number(name: str, text: str) -> None:
    try:
        f = float(text)
    except ValueError:
        f = math.nan
    if not math.isfinite(f) or abs(f) > 1e308:
        raise ParameterValueInvalid(f"Could not cast message attribute '{name}' value to number.")


def _check_array(name: str, text: str) -> None:
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, list) or any(isinstance(v, (dict, list)) for v in doc):
        raise ParameterValueInvalid(
            f"The message attribute '{name}' with type 'String.Array' must hold a JSON array "
            "of strings, numbers, true, false or null."
        )


def publish_size(message: str, attrs: Attrs) -> int:
    size = len(message.encode("utf-8"))
    for name, attr in attrs.items():
        size += len(name.encode("utf-8")) + len(str(attr["DataType"]).encode("utf-8"))
        value = attr.get("StringValue")
        if value is not None:
            size += len(str(value).encode("utf-8"))
        else:
            size += len(attr.get("BinaryValue") or b"")
    return size


def check_size(message: str, attrs: Attrs) -> None:
    if publish_size(message, attrs) > MAX_PUBLISH_BYTES:
        raise invalid("Message too long")


def envelope_attributes(attrs: Attrs) -> dict[str, dict[str, str]]:
    """The attributes as the JSON envelope carries them: ``{Type, Value}``, binary values
    base64-encoded."""
    out: dict[str, dict[str, str]] = {}
    for name, attr in attrs.items():
        if "BinaryValue" in attr:
            raw = attr["BinaryValue"]
            if isinstance(raw, str):
                raw = raw.encode()
            value = base64.b64encode(bytes(raw)).decode()
        else:
            value = str(attr["StringValue"])
        out[name] = {"Type": str(attr["DataType"]), "Value": value}
    return out


def to_doc(attrs: Attrs) -> dict[str, dict[str, str]]:
    """JSON-safe attributes for the store (binary values base64)."""
    out: dict[str, dict[str, str]] = {}
    for name, attr in attrs.items():
        if "BinaryValue" in attr:
            raw = attr["BinaryValue"]
            b = raw.encode() if isinstance(raw, str) else bytes(raw)
            out[name] = {"DataType": str(attr["DataType"]),
                         "BinaryValue": base64.b64encode(b).decode()}
        else:
            out[name] = {"DataType": str(attr["DataType"]), "StringValue": str(attr["StringValue"])}
    return out
