"""NextToken handling: an opaque token carrying a JSON position."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cargobay.services.cloudwatch.errors import InvalidNextToken


def encode(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode("ascii")


def decode(token: str | None) -> Any:
    if token is None:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidNextToken() from None
