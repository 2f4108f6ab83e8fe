"""NextToken / MaxResults for Secrets Manager lists: the token is an opaque offset."""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from cargobay.services.secrets.sm_errors import InvalidNextTokenException

T = TypeVar("T")


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode("ascii")


def decode(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidNextTokenException() from None
    kind, _, number = text.partition(":")
    if kind != "o" or not number.isdigit():
        raise InvalidNextTokenException()
    return int(number)


def page(
    items: list[T], token: str | None, max_results: int | None, default: int
) -> tuple[list[T], str | None]:
    start = decode(token)
    size = max_results or default
    chosen = items[start : start + size]
    end = start + len(chosen)
    return chosen, (encode(end) if end < len(items) else None)
