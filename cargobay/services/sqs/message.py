"""One message as the queue holds it in memory, and its stored document."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

#: a message's states (SQS Developer Guide, "Amazon SQS message lifecycle")
DELAYED, VISIBLE, INFLIGHT = 0, 1, 2

#: FIFO SequenceNumbers are 20-digit numbers that only grow
SEQUENCE_BASE = 10**19

Attrs = dict[str, dict[str, Any]]


@dataclass(slots=True)
class Msg:
    seq: int
    mid: str
    body: str
    md5_body: str
    sent: float
    sender: str
    attrs: Attrs | None = None
    md5_attrs: str | None = None
    sys_attrs: Attrs | None = None
    md5_sys: str | None = None
    group: str | None = None
    dedup: str | None = None
    #: ApproximateReceiveCount and ApproximateFirstReceiveTimestamp
    receives: int = 0
    first_receive: float | None = None
    #: when the message is (again) visible: end of its delay or of its visibility timeout
    visible_at: float = 0.0
    #: the current receipt handle's token, and when that receive happened
    token: str | None = None
    received_at: float | None = None
    #: DeadLetterQueueSourceArn, once moved to a dead-letter queue
    dlq_source: str | None = None
    state: int = VISIBLE
    #: bumped whenever visible_at changes: a timer entry with an older gen is stale
    gen: int = 0
    #: the stored document (several messages sent together) this message is kept in
    chunk: int = 0

    @property
    def sequence_number(self) -> str:
        return str(SEQUENCE_BASE + self.seq)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "i": self.mid, "b": self.body, "mb": self.md5_body, "t": self.sent,
            "u": self.sender, "v": self.visible_at,
        }
        if self.attrs:
            doc["a"] = _attrs_out(self.attrs)
            doc["ma"] = self.md5_attrs
        if self.sys_attrs:
            doc["s"] = _attrs_out(self.sys_attrs)
            doc["ms"] = self.md5_sys
        if self.group is not None:
            doc["g"] = self.group
        if self.dedup is not None:
            doc["d"] = self.dedup
        if self.receives:
            doc["n"] = self.receives
            doc["f"] = self.first_receive
            doc["k"] = self.token
            doc["r"] = self.received_at
        if self.dlq_source:
            doc["q"] = self.dlq_source
        return doc

    def state_row(self) -> list[Any]:
        """What receiving and visibility changes alter, stored apart from the body."""
        return [self.receives, self.first_receive, self.visible_at, self.token,
                self.received_at]

    def apply_state(self, row: list[Any], now: float) -> None:
        self.receives, self.first_receive, self.visible_at, self.token, self.received_at = row
        self.state = VISIBLE
        if self.visible_at > now:
            self.state = INFLIGHT if self.receives and self.token else DELAYED

    @classmethod
    def from_doc(cls, seq: int, doc: dict[str, Any], now: float) -> Msg:
        m = cls(
            seq=seq, mid=doc["i"], body=doc["b"], md5_body=doc["mb"], sent=doc["t"],
            sender=doc.get("u", ""), visible_at=doc.get("v", 0.0),
            group=doc.get("g"), dedup=doc.get("d"), receives=doc.get("n", 0),
            first_receive=doc.get("f"), token=doc.get("k"), received_at=doc.get("r"),
            dlq_source=doc.get("q"),
        )
        if "a" in doc:
            m.attrs = _attrs_in(doc["a"])
            m.md5_attrs = doc.get("ma")
        if "s" in doc:
            m.sys_attrs = _attrs_in(doc["s"])
            m.md5_sys = doc.get("ms")
        if m.visible_at > now:
            m.state = INFLIGHT if m.receives and m.token else DELAYED
        return m


def _attrs_out(attrs: Attrs) -> Attrs:
    out: Attrs = {}
    for name, value in attrs.items():
        if "BinaryValue" in value:
            out[name] = {
                "DataType": value["DataType"],
                "BinaryValue": base64.b64encode(value["BinaryValue"]).decode("ascii"),
            }
        else:
            out[name] = value
    return out


def _attrs_in(attrs: Attrs) -> Attrs:
    out: Attrs = {}
    for name, value in attrs.items():
        if "BinaryValue" in value:
            out[name] = {
                "DataType": value["DataType"],
                "BinaryValue": base64.b64decode(value["BinaryValue"]),
            }
        else:
            out[name] = value
    return out
