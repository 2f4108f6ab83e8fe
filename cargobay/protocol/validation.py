"""Input checking from the model's shapes, shared by every wire protocol.

A protocol's parser turns the request into Python values, handing each scalar to a
:class:`Decoder` of its own (JSON numbers are already numbers; query strings are not).
:func:`check_input` then walks the input shape once: a value of the wrong type is a
``SerializationException`` (the body could not be read as the model says), and every
broken constraint — required members, enums, lengths, ranges, patterns — is collected
into one ``ValidationException`` whose message reads as AWS's do::

    2 validation errors detected: Value null at 'cluster' failed to satisfy
    constraint: Member must not be null; ...
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from datetime import datetime
from typing import Any

from botocore.model import Shape, StructureShape

from cargobay.protocol.errors import SerializationError, ValidationError

Json = Any


class Decoder:
    """Turns wire scalars into Python values.  The default suits JSON-typed input."""

    #: query and rest-json (URI, headers) deliver every scalar as a string
    strings_only = False
    #: whether string enums are enforced (see LENIENT_ENUM_SERVICES)
    check_enums = True

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise _type_error(value, "integer", path)
        return value

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(value, "number", path)
        return float(value)

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise _type_error(value, "boolean", path)
        return value

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise _type_error(value, "string", path)
        return value

    def timestamp(self, value: Any, path: str) -> float:
        if isinstance(value, bool):
            raise _type_error(value, "timestamp", path)
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise _type_error(value, "timestamp", path)
            return float(value)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, str):
            return parse_timestamp_text(value, path)
        raise _type_error(value, "timestamp", path)

    def blob(self, value: Any, path: str) -> bytes:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise SerializationError(
                    f"Value at '{path}' is not valid base64-encoded binary data"
                ) from None
        raise _type_error(value, "blob", path)


class StringDecoder(Decoder):
    """Scalars that arrive as text (query parameters, URIs, headers)."""

    strings_only = True

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise _type_error(value, "integer", path) from None
        return super().integer(value, path)

    def number(self, value: Any, path: str) -> float:
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise _type_error(value, "number", path) from None
        return super().number(value, path)

    def boolean(self, value: Any, path: str) -> bool:
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("true", "false"):
                return low == "true"
            raise _type_error(value, "boolean", path)
        return super().boolean(value, path)

    def timestamp(self, value: Any, path: str) -> float:
        if isinstance(value, str):
            text = value.strip()
            try:
                return float(text)
            except ValueError:
                return parse_timestamp_text(text, path)
        return super().timestamp(value, path)


class LenientEnumDecoder(Decoder):
    """JSON input for services whose endpoints do not enforce the model's enums."""

    check_enums = False


#: Services whose real endpoints accept values outside the model's enums and answer
#: them in their own way: SQS takes the deprecated AttributeNames=[ApproximateReceiveCount]
#: and answers unknown attribute names with InvalidAttributeName, not a validation error.
LENIENT_ENUM_SERVICES = frozenset({"sqs"})


def json_decoder_for(service_name: str) -> Decoder:
    return _LENIENT if service_name in LENIENT_ENUM_SERVICES else _STRICT


def parse_timestamp_text(text: str, path: str) -> float:
    """ISO 8601 or RFC 822 text → epoch seconds."""
    from email.utils import parsedate_to_datetime

    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError):
        raise _type_error(text, "timestamp", path) from None


def _type_error(value: Any, kind: str, path: str) -> SerializationError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    where = f" at '{path}'" if path else ""
    return SerializationError(f"Cannot deserialize {shown}{where} as {kind}")


@functools.lru_cache(maxsize=4096)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:
        return None


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + (value if len(value) <= 64 else value[:61] + "...") + "'"
    if isinstance(value, bool):
        return "'" + str(value).lower() + "'"
    if isinstance(value, (int, float)):
        return "'" + str(value) + "'"
    return "'[...]'" if isinstance(value, list) else "'{...}'"


def check_input(shape: StructureShape | None, value: Any, decoder: Decoder) -> dict[str, Any]:
    """Decode and check a whole input structure; returns the cleaned plain dict."""
    if shape is None:
        return {}
    if value is None:
        value = {}
    errors: list[str] = []
    missing: list[str] = []
    out = _walk(shape, value, "", decoder, errors, missing)
    if errors:
        n = len(errors)
        head = f"{n} validation error{'s' if n > 1 else ''} detected: "
        raise ValidationError(head + "; ".join(errors), missing)
    result: dict[str, Any] = out
    return result


def _walk(
    shape: Shape, value: Any, path: str, dec: Decoder, errors: list[str], missing: list[str]
) -> Any:
    t = shape.type_name
    md = shape.metadata
    if t == "structure":
        if not isinstance(value, dict):
            if dec.strings_only and value == "":
                value = {}
            else:
                raise _type_error(value, "structure", path)
        members = shape.members  # type: ignore[attr-defined]
        out: dict[str, Any] = {}
        for name, member in members.items():
            sub = f"{path}.{name}" if path else name
            if name in value and value[name] is not None:
                out[name] = _walk(member, value[name], sub, dec, errors, missing)
        for name in shape.required_members:
            if name not in out:
                sub = f"{path}.{name}" if path else name
                missing.append(sub)
                errors.append(
                    f"Value null at '{sub}' failed to satisfy constraint: "
                    "Member must not be null"
                )
        return out
    if t == "list":
        if not isinstance(value, list):
            if dec.strings_only and value == "":
                value = []
            else:
                raise _type_error(value, "list", path)
        _length(len(value), md, value, path, errors)
        member = shape.member  # type: ignore[attr-defined]
        return [
            _walk(member, item, f"{path}.{i + 1}.member", dec, errors, missing)
            for i, item in enumerate(value)
            if item is not None
        ]
    if t == "map":
        if not isinstance(value, dict):
            raise _type_error(value, "map", path)
        _length(len(value), md, value, path, errors)
        key_shape = shape.key  # type: ignore[attr-defined]
        value_shape = shape.value  # type: ignore[attr-defined]
        return {
            _walk(key_shape, k, f"{path}.key", dec, errors, missing): _walk(
                value_shape, v, f"{path}.value", dec, errors, missing
            )
            for k, v in value.items()
            if v is not None
        }
    if t == "string":
        s = dec.string(value, path)
        enum = shape.enum  # type: ignore[attr-defined]
        if enum and dec.check_enums and s not in enum:
            errors.append(
                f"Value {_show(s)} at '{path}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        _length(len(s), md, s, path, errors)
        pat = md.get("pattern")
        if pat:
            rx = _pattern(pat)
            if rx is not None and rx.fullmatch(s) is None:
                errors.append(
                    f"Value {_show(s)} at '{path}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pat}"
                )
        return s
    if t in ("integer", "long"):
        i = dec.integer(value, path)
        _range(i, md, path, errors)
        return i
    if t in ("float", "double"):
        f = dec.number(value, path)
        _range(f, md, path, errors)
        return f
    if t == "boolean":
        return dec.boolean(value, path)
    if t == "timestamp":
        return dec.timestamp(value, path)
    if t == "blob":
        b = dec.blob(value, path)
        _length(len(b), md, b, path, errors)
        return b
    return value


def _length(n: int, md: dict[str, Any], value: Any, path: str, errors: list[str]) -> None:
    lo = md.get("min")
    hi = md.get("max")
    if lo is not None and n < lo:
        errors.append(
            f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {lo}"
        )
    if hi is not None and n > hi:
        errors.append(
            f"Value {_show(value)} at '{path}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {hi}"
        )


def _range(x: float, md: dict[str, Any], path: str, errors: list[str]) -> None:
    lo = md.get("min")
    hi = md.get("max")
    if lo is not None and x < lo:
        errors.append(
            f"Value {_show(x)} at '{path}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {lo}"
        )
    if hi is not None and x > hi:
        errors.append(
            f"Value {_show(x)} at '{path}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {hi}"
        )


_STRICT = Decoder()
_LENIENT = LenientEnumDecoder()
