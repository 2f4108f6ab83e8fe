"""FIFO queues: message groups and the five-minute deduplication window.

SQS Developer Guide, "FIFO queue logic": messages of one group are delivered in the
order they were sent, and while any message of a group is in flight no other message of
that group is delivered.  "Exactly-once processing": a message whose deduplication ID
(given, or the SHA-256 of the body with ContentBasedDeduplication) was seen in the last
5 minutes is accepted but not delivered again; DeduplicationScope=messageGroup scopes
the IDs to the message group.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from dataclasses import dataclass, field

from cargobay.services.sqs.errors import invalid_value

DEDUP_WINDOW = 300.0

#: MessageGroupId, MessageDeduplicationId, ReceiveRequestAttemptId: 1–128 characters,
#: alphanumerics and punctuation
_TOKEN = re.compile(r"[\x21-\x7e]{1,128}")


def check_token(name: str, value: str) -> None:
    if not _TOKEN.fullmatch(value):
        raise invalid_value(
            name, value,
            f"{name} can only include alphanumeric and punctuation characters. "
            "1 to 128 in length.",
        )


def content_dedup_id(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Group:
    gid: str
    seqs: deque[int] = field(default_factory=deque)
    inflight: int = 0
    #: the (head seq, gid) entry this group has in the queue's ready_groups, if any
    key: tuple[int, str] | None = None


@dataclass
class Dedup:
    """Deduplication IDs seen in the last five minutes, oldest first."""

    #: key → (expires, MessageId, SequenceNumber)
    entries: dict[str, tuple[float, str, str]] = field(default_factory=dict)
    order: deque[tuple[float, str]] = field(default_factory=deque)

    @staticmethod
    def key(dedup_id: str, group: str | None, by_group: bool) -> str:
        return f"{group}\x1f{dedup_id}" if by_group else dedup_id

    def seen(self, key: str, now: float) -> tuple[str, str] | None:
        """(MessageId, SequenceNumber) of the message that used ``key``, if in window."""
        entry = self.entries.get(key)
        if entry is None or entry[0] <= now:
            return None
        return entry[1], entry[2]

    def remember(self, key: str, expires: float, mid: str, seqno: str) -> None:
        self.entries[key] = (expires, mid, seqno)
        self.order.append((expires, key))

    def expire(self, now: float) -> list[str]:
        """Forget IDs whose window has passed; returns their keys."""
        gone: list[str] = []
        order = self.order
        while order and order[0][0] <= now:
            expires, key = order.popleft()
            entry = self.entries.get(key)
            if entry is not None and entry[0] == expires:
                del self.entries[key]
                gone.append(key)
        return gone

    def clear(self) -> None:
        self.entries.clear()
        self.order.clear()
