"""Where SQS keeps its state in the store, and how a queue is rebuilt from it.

Tables (keys start with ``<account>/<region>/<queue name>``):

- ``sqs.queues``: one document per queue (attributes as set, tags, timestamps);
- ``sqs.messages``: one per message, ``<queue key>/<seq, 20 digits>``, rewritten when
  it is received or its visibility changes, so a received, undeleted message comes back
  after its visibility timeout also across a restart;
- ``sqs.dedup``: FIFO deduplication IDs within their five-minute window;
- ``sqs.movetasks``: message move tasks (StartMessageMoveTask).
"""

from __future__ import annotations

from typing import Any

from cargobay.services.sqs.attributes import QueueConfig
from cargobay.services.sqs.message import Msg
from cargobay.services.sqs.names import QueueRef
from cargobay.services.sqs.queue_state import QueueState
from cargobay.store import Store

QUEUES = "sqs.queues"
MESSAGES = "sqs.messages"
DEDUP = "sqs.dedup"
MOVE_TASKS = "sqs.movetasks"


def msg_key(ref: QueueRef, seq: int) -> str:
    return f"{ref.key}/{seq:020d}"


def dedup_key(ref: QueueRef, key: str) -> str:
    return f"{ref.key}/{key}"


def queue_doc(st: QueueState) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "qid": st.qid,
        "fifo": st.fifo,
        "attrs": st.attrs,
        "created": st.created,
        "modified": st.modified,
    }
    if st.tags:
        doc["tags"] = st.tags
    if st.purged_at is not None:
        doc["purged"] = st.purged_at
    return doc


def new_state(ref: QueueRef, doc: dict[str, Any]) -> QueueState:
    attrs: dict[str, str] = doc.get("attrs") or {}
    fifo = bool(doc.get("fifo"))
    return QueueState(
        ref=ref,
        qid=doc["qid"],
        fifo=fifo,
        attrs=attrs,
        config=QueueConfig.of(attrs, fifo),
        created=doc["created"],
        modified=doc["modified"],
        tags=doc.get("tags") or {},
        purged_at=doc.get("purged"),
    )


def load_state(store: Store, ref: QueueRef, doc: dict[str, Any], now: float) -> QueueState:
    """A queue and its messages and deduplication IDs, as the store has them."""
    st = new_state(ref, doc)
    prefix = ref.key + "/"
    for key, mdoc in store.scan(MESSAGES, prefix):
        seq = int(key[len(prefix):])
        st.add(Msg.from_doc(seq, mdoc, now))
    if st.fifo:
        for key, ddoc in store.scan(DEDUP, prefix):
            if ddoc["x"] > now:
                st.dedup.remember(key[len(prefix):], ddoc["x"], ddoc["i"], ddoc["n"])
        st.dedup.order = type(st.dedup.order)(sorted(st.dedup.order))
    return st
