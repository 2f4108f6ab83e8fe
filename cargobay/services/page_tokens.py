"""NextToken of a listing in store-key order: the last key handed out, base64url.

``decode`` gives back the key a token continues after, or raises the service's own
error (``invalid()``) for a token that is not one of ours: one that does not decode,
or whose key is outside ``prefix`` (another account's, region's or listing's)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode("ascii")


def decode(token: str | None, invalid: Callable[[], Exception], prefix: str = "") -> str | None:
    """The key ``token`` continues after (None without a token: from the start)."""
    if token is None:
        return None
    try:
        key = base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid() from None
    if not key.startswith(prefix):
        raise invalid()
    return key
