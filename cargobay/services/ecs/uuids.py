"""Random (version 4) UUIDs, made faster than ``uuid.uuid4()``: the same 16 random bytes
from ``os.urandom`` with the version and variant bits set, formatted directly.  Task
launches make two per task, so the UUID object's construction showed in placement
profiles (benchmarks/placement.py)."""

from __future__ import annotations

import os


def _bytes() -> bytearray:
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    return b


def uuid4_hex() -> str:
    """32 lowercase hex digits, like ``uuid.uuid4().hex``."""
    return _bytes().hex()


def uuid4_str() -> str:
    """``8-4-4-4-12`` lowercase hex, like ``str(uuid.uuid4())``."""
    h = _bytes().hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
