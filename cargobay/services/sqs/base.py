"""What every SQS mixin uses: the queues in memory, their lookup, and persistence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.sqs import queue_store as qs
from cargobay.services.sqs.errors import QueueDoesNotExist
from cargobay.services.sqs.message import Msg
from cargobay.services.sqs.names import QueueRef, endpoint_of, queue_url, ref_from_url
from cargobay.services.sqs.queue_state import QueueState
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App


class SqsBase:
    app: App
    store: Store
    clock: Clock
    #: queues in use, by store key; filled from the store on first use
    queues: dict[str, QueueState]

    # -- lookup ------------------------------------------------------------------------
    def load(self, ref: QueueRef) -> QueueState | None:
        """The queue ``ref`` names, brought up to date, or None if there is none."""
        st = self.queues.get(ref.key)
        if st is None:
            doc = self.store.get(qs.QUEUES, ref.key)
            if doc is None:
                return None
            st = qs.load_state(self.store, ref, doc, self.clock.now())
            self.queues[ref.key] = st
        self.tick(st)
        return st

    def queue(self, ctx: RequestContext, url: str) -> QueueState:
        """The queue a QueueUrl names (QueueDoesNotExist if none)."""
        st = self.load(ref_from_url(ctx, url))
        if st is None:
            raise QueueDoesNotExist()
        return st

    def url(self, ctx: RequestContext, ref: QueueRef) -> str:
        return queue_url(endpoint_of(ctx, self.app.config.endpoint), ref)

    # -- time ----------------------------------------------------------------------------
    def tick(self, st: QueueState) -> None:
        """Apply the passage of time to a queue: visibility, delays, retention."""
        expired, gone = st.tick(self.clock.now())
        if expired or gone:
            with self.store.batch():
                self.persist(st, expired)
                for key in gone:
                    self.store.delete(qs.DEDUP, qs.dedup_key(st.ref, key))

    # -- persistence ---------------------------------------------------------------------
    def save_queue(self, st: QueueState) -> None:
        self.store.put(qs.QUEUES, st.ref.key, qs.queue_doc(st))

    def persist(self, st: QueueState, msgs: Iterable[Msg], *, new: bool = False) -> None:
        """Store the chunks holding ``msgs`` as they are in memory now (call inside
        ``store.batch()``): ``new`` messages' bodies, or the receive state and deletions
        of messages already stored."""
        done: set[int] = set()
        for m in msgs:
            chunk = m.chunk
            if chunk in done:
                continue
            done.add(chunk)
            key = qs.chunk_key(st.ref, chunk)
            live = st.chunks.get(chunk)
            if not live:
                st.chunks.pop(chunk, None)
                self.store.delete(qs.MESSAGES, key)
                self.store.delete(qs.STATES, key)
            elif new:
                self.store.put(qs.MESSAGES, key, qs.chunk_doc(live))
            else:
                self.store.put(qs.STATES, key, qs.state_doc(live))

    def drop_all(self, st: QueueState) -> None:
        """Delete every stored message of a queue (call inside ``store.batch()``)."""
        for table in (qs.MESSAGES, qs.STATES):
            keys = [k for k, _ in self.store.scan(table, st.ref.key + "/")]
            for key in keys:
                self.store.delete(table, key)
