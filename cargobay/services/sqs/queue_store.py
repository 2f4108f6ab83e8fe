"""Where SQS keeps its state in the store, and how a queue is rebuilt from it.

Tables (keys start with ``<account>/<region>/<queue name>``):

- ``sqs.queues``: one document per queue (attributes as set, tags, timestamps);
- ``sqs.messages``: messages in chunks, ``<queue key>/<chunk, 20 digits>`` →
  ``{"m": {seq: message}}``: the messages one request sent (up to 64 KiB of bodies per
  chunk), written once and deleted with the chunk's last message;
- ``sqs.msgstate``: for a chunk whose messages were received, changed visibility or
  were deleted, ``{"l": [live seqs], "s": {seq: receive state}}``, rewritten on each
  such change (small), so a received, undeleted message comes back after its visibility
  timeout also across a restart, and a batch of ten costs one or two small rows;
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
STATES = "sqs.msgstate"
DEDUP = "sqs.dedup"
MOVE_TASKS = "sqs.movetasks"


#: a chunk takes messages until their bodies pass this many bytes
CHUNK_BYTES = 65_536


def chunk_key(ref: QueueRef, chunk: int) -> str:
    return f"{ref.key}/{chunk:020d}"


def chunk_doc(live: dict[int, Msg]) -> dict[str, Any]:
    return {"m": {str(seq): m.to_doc() for seq, m in live.items()}}


def state_doc(live: dict[int, Msg]) -> dict[str, Any]:
    return {"l": list(live), "s": {str(seq): m.state_row() for seq, m in live.items()}}


def assign_chunks(msgs: list[Msg]) -> None:
    """Group new messages (in seq order) into chunks of up to CHUNK_BYTES of bodies."""
    size = CHUNK_BYTES
    chunk = 0
    for m in msgs:
        n = len(m.body)
        if size + n > CHUNK_BYTES:
            chunk, size = m.seq, 0
        m.chunk = chunk
        size += n


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
    states = {key: sdoc for key, sdoc in store.scan(STATES, prefix)}
    msgs: list[Msg] = []
    for key, cdoc in store.scan(MESSAGES, prefix):
        chunk = int(key[len(prefix):])
        state = states.get(key)
        live = set(state["l"]) if state is not None else None
        for seq, mdoc in cdoc["m"].items():
            n = int(seq)
            if live is not None and n not in live:
                continue
            m = Msg.from_doc(n, mdoc, now)
            m.chunk = chunk
            if state is not None:
                m.apply_state(state["s"][seq], now)
            msgs.append(m)
    msgs.sort(key=lambda m: m.seq)
    for m in msgs:
        st.add(m)
    if st.fifo:
        for key, ddoc in store.scan(DEDUP, prefix):
            if ddoc["x"] > now:
                st.dedup.remember(key[len(prefix):], ddoc["x"], ddoc["i"], ddoc["n"])
        st.dedup.order = type(st.dedup.order)(sorted(st.dedup.order))
    return st
