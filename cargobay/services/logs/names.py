"""Tables, store keys and ARNs of log groups, log streams and their events.

Keys (``:`` is allowed in neither group nor stream names, so it separates them):

- ``logs.groups``  ``<account>/<region>/<group>``
- ``logs.streams`` ``<account>/<region>/<group>:<stream>``
- ``logs.events``  ``<account>/<region>/<group>:<stream>:<timestamp 15 digits>:<seq 12>``
  (so a stream's events scan in timestamp order, ties in arrival order)
- ``logs.tags``    the group key
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = "logs.groups"
STREAMS = "logs.streams"
EVENTS = "logs.events"
TAGS = "logs.tags"


@dataclass(frozen=True)
class GroupRef:
    account: str
    region: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def streams_prefix(self) -> str:
        return self.key + ":"

    @property
    def arn(self) -> str:
        """As DescribeLogGroups' ``arn`` shows it (with the trailing ``:*``)."""
        return self.bare_arn + ":*"

    @property
    def bare_arn(self) -> str:
        """``logGroupArn``: the form TagResource and IAM resource names use."""
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.name}"

    def stream(self, name: str) -> StreamRef:
        return StreamRef(self, name)


@dataclass(frozen=True)
class StreamRef:
    group: GroupRef
    name: str

    @property
    def key(self) -> str:
        return f"{self.group.key}:{self.name}"

    @property
    def events_prefix(self) -> str:
        return self.key + ":"

    @property
    def arn(self) -> str:
        return f"{self.group.bare_arn}:log-stream:{self.name}"


def position(timestamp: int, seq: int) -> str:
    """An event's place in its stream (the suffix of its key, and of GetLogEvents tokens)."""
    return f"{timestamp:015d}:{seq:012d}"


def group_from_arn(arn: str) -> GroupRef | None:
    """The log group an ARN names (``…:log-group:NAME`` with or without ``:*``)."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = parts[6]
    rest = parts[7:]
    if rest not in ([], ["*"]) or not name:
        return None
    return GroupRef(parts[4], parts[3], name)
