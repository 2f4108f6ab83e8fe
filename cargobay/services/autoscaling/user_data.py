"""A launch configuration's UserData: base64 text whose ``ECS_CLUSTER=name`` line names
the cluster the instance joins (as /etc/ecs/ecs.config does on the ECS-optimized AMI).

Accepted forms: plain ``ECS_CLUSTER=name`` lines, and the usual shell script
``echo ECS_CLUSTER=name >> /etc/ecs/ecs.config`` (quotes optional).  Without one the
instance joins ``default``, as the ECS agent does.
"""

from __future__ import annotations

import base64
import binascii
import re

DEFAULT_CLUSTER = "default"

_LINE = re.compile(r"""ECS_CLUSTER\s*=\s*["']?([A-Za-z0-9_-]{1,255})""")


def decode(text: str | None) -> str | None:
    """The user data as text, or None when it is not base64 (AWS stores what it got)."""
    if not text:
        return ""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw.decode("utf-8", "replace")


def cluster_of(text: str | None) -> str:
    """The cluster named by the (base64) user data, else ``default``."""
    decoded = decode(text)
    if decoded is None:
        decoded = text or ""
    found = DEFAULT_CLUSTER
    for line in decoded.splitlines():
        m = _LINE.search(line)
        if m:
            found = m.group(1)
    return found
