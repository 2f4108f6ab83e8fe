"""A queue's messages in memory, indexed so that no operation walks the queue.

- every live message by sequence number (``msgs``), with counters per state;
- standard queues: the visible messages in send order (``ready``);
- FIFO queues: per message group, its messages in order (:mod:`fifo`), and the groups
  that can deliver now, ordered by their first message;
- ``timers``: (time, seq, gen) for each message that becomes visible later (delay or
  visibility timeout), a heap with lazy deletion;
- ``ages``: (sent, seq) for retention, a heap with lazy deletion.

Time only moves forward through :meth:`tick`, which every operation calls first.
The store is the durable record; this is rebuilt from it when a queue is first used.
"""

from __future__ import annotations

import asyncio
import heapq
import os
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from cargobay.services.sqs.attributes import QueueConfig
from cargobay.services.sqs.fifo import Dedup, Group
from cargobay.services.sqs.message import DELAYED, INFLIGHT, VISIBLE, Msg
from cargobay.services.sqs.names import QueueRef

#: standard queues answer OverLimit past this many in-flight messages
MAX_INFLIGHT = 120_000


def new_token() -> str:
    return os.urandom(9).hex()


@dataclass
class QueueState:
    ref: QueueRef
    qid: str
    fifo: bool
    attrs: dict[str, str]
    config: QueueConfig
    created: float
    modified: float
    tags: dict[str, str] = field(default_factory=dict)
    purged_at: float | None = None

    msgs: dict[int, Msg] = field(default_factory=dict)
    #: the live messages of each stored chunk (see queue_store)
    chunks: dict[int, dict[int, Msg]] = field(default_factory=dict)
    ready: Any = field(default_factory=SortedList)
    groups: dict[str, Group] = field(default_factory=dict)
    ready_groups: Any = field(default_factory=SortedList)
    timers: list[tuple[float, int, int]] = field(default_factory=list)
    ages: list[tuple[float, int]] = field(default_factory=list)
    n_inflight: int = 0
    n_delayed: int = 0
    last_seq: int = 0
    dedup: Dedup = field(default_factory=Dedup)
    #: ReceiveRequestAttemptId → (expires, [(seq, token)])
    attempts: dict[str, tuple[float, list[tuple[int, str]]]] = field(default_factory=dict)
    attempt_order: deque[tuple[float, str]] = field(default_factory=deque)
    deleted: bool = False
    _event: asyncio.Event | None = None

    # -- counts ----------------------------------------------------------------------
    @property
    def n_visible(self) -> int:
        return len(self.msgs) - self.n_inflight - self.n_delayed

    def depths(self) -> dict[str, int]:
        return {
            "ApproximateNumberOfMessages": self.n_visible,
            "ApproximateNumberOfMessagesNotVisible": self.n_inflight,
            "ApproximateNumberOfMessagesDelayed": self.n_delayed,
        }

    # -- long-poll wake-ups ------------------------------------------------------------
    def waiter(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def wake(self) -> None:
        ev, self._event = self._event, None
        if ev is not None:
            ev.set()

    def next_timer(self) -> float | None:
        """When the earliest delayed or in-flight message may become visible."""
        return self.timers[0][0] if self.timers else None

    # -- adding ----------------------------------------------------------------------
    def next_seq(self, now: float) -> int:
        seq = max(self.last_seq + 1, int(now * 1_000_000))
        self.last_seq = seq
        return seq

    def add(self, m: Msg) -> None:
        """Index a message (new, loaded from the store, or moved in from another queue)."""
        self.msgs[m.seq] = m
        chunk = self.chunks.get(m.chunk)
        if chunk is None:
            chunk = self.chunks[m.chunk] = {}
        chunk[m.seq] = m
        self.last_seq = max(self.last_seq, m.seq)
        heapq.heappush(self.ages, (m.sent, m.seq))
        if m.state == VISIBLE:
            self._to_ready(m)
        else:
            if m.state == DELAYED:
                self.n_delayed += 1
            else:
                self.n_inflight += 1
            heapq.heappush(self.timers, (m.visible_at, m.seq, m.gen))
        if self.fifo:
            g = self._group(m)
            g.seqs.append(m.seq)
            if m.state == INFLIGHT:
                g.inflight += 1
            self._refresh(g)

    def _group(self, m: Msg) -> Group:
        gid = m.group or ""
        g = self.groups.get(gid)
        if g is None:
            g = self.groups[gid] = Group(gid)
        return g

    def _to_ready(self, m: Msg) -> None:
        m.state = VISIBLE
        if not self.fifo:
            self.ready.add(m.seq)

    def _refresh(self, g: Group) -> None:
        """Keep ``ready_groups`` in step with whether ``g`` can deliver now."""
        want = None
        if g.inflight == 0 and g.seqs:
            head = self.msgs[g.seqs[0]]
            if head.state == VISIBLE:
                want = (head.seq, g.gid)
        if want != g.key:
            if g.key is not None:
                self.ready_groups.remove(g.key)
            if want is not None:
                self.ready_groups.add(want)
            g.key = want
        if not g.seqs and g.inflight == 0:
            self.groups.pop(g.gid, None)

    # -- time --------------------------------------------------------------------------
    def tick(self, now: float) -> tuple[list[Msg], list[str]]:
        """Make due messages visible and drop expired ones.

        Returns the messages past their retention period and the deduplication keys
        past their window (both already forgotten here; the caller deletes them from
        the store)."""
        timers = self.timers
        msgs = self.msgs
        while timers and timers[0][0] <= now:
            _, seq, gen = heapq.heappop(timers)
            m = msgs.get(seq)
            if m is None or m.gen != gen or m.state == VISIBLE:
                continue
            self._make_visible(m)
        expired: list[Msg] = []
        cutoff = now - self.config.retention
        ages = self.ages
        while ages:
            sent, seq = ages[0]
            m = msgs.get(seq)
            if m is not None and sent > cutoff:
                break
            heapq.heappop(ages)
            if m is not None:
                self.remove(m)
                expired.append(m)
        gone = self.dedup.expire(now) if self.fifo else []
        self._expire_attempts(now)
        self._compact()
        return expired, gone

    def _make_visible(self, m: Msg) -> None:
        was = m.state
        if was == INFLIGHT:
            self.n_inflight -= 1
        elif was == DELAYED:
            self.n_delayed -= 1
        self._to_ready(m)
        if self.fifo:
            g = self.groups[m.group or ""]
            if was == INFLIGHT:
                g.inflight -= 1
            self._refresh(g)

    def _compact(self) -> None:
        live = len(self.msgs)
        if len(self.timers) > 2 * live + 1024:
            self.timers = [
                (m.visible_at, m.seq, m.gen) for m in self.msgs.values() if m.state != VISIBLE
            ]
            heapq.heapify(self.timers)
        if len(self.ages) > 2 * live + 1024:
            self.ages = [(m.sent, m.seq) for m in self.msgs.values()]
            heapq.heapify(self.ages)

    # -- receiving ---------------------------------------------------------------------
    def take(
        self, n: int, now: float, visibility: int, max_receives: int | None
    ) -> tuple[list[Msg], list[Msg]]:
        """Up to ``n`` visible messages, now in flight for ``visibility`` seconds.

        A message already received ``max_receives`` times is not delivered: it is removed
        and returned in the second list, for the caller to move to the dead-letter queue.
        """
        got: list[Msg] = []
        dead: list[Msg] = []
        if self.fifo:
            self._take_fifo(n, now, visibility, max_receives, got, dead)
            return got, dead
        ready = self.ready
        msgs = self.msgs
        while ready and len(got) < n:
            m = msgs[ready.pop(0)]
            if max_receives is not None and m.receives >= max_receives:
                self._forget(m)
                dead.append(m)
                continue
            self._in_flight(m, now, visibility)
            got.append(m)
        return got, dead

    def _take_fifo(
        self, n: int, now: float, visibility: int, max_receives: int | None,
        got: list[Msg], dead: list[Msg],
    ) -> None:
        msgs = self.msgs
        rounds = 0
        while self.ready_groups and len(got) < n and rounds < 10_000:
            rounds += 1
            _, gid = self.ready_groups[0]
            g = self.groups[gid]
            i = 0
            while i < len(g.seqs) and len(got) < n:
                m = msgs[g.seqs[i]]
                if m.state != VISIBLE:
                    break
                if max_receives is not None and m.receives >= max_receives:
                    self.remove(m)
                    dead.append(m)
                    continue  # g.seqs lost this entry; i stays
                self._in_flight(m, now, visibility)
                g.inflight += 1
                got.append(m)
                i += 1
            self._refresh(g)

    def _in_flight(self, m: Msg, now: float, visibility: int) -> None:
        m.state = INFLIGHT
        self.n_inflight += 1
        m.receives += 1
        if m.first_receive is None:
            m.first_receive = now
        m.token = new_token()
        m.received_at = now
        self.set_deadline(m, now + visibility)

    def set_deadline(self, m: Msg, when: float) -> None:
        m.gen += 1
        m.visible_at = when
        heapq.heappush(self.timers, (when, m.seq, m.gen))

    def change_visibility(self, m: Msg, now: float, visibility: int) -> None:
        """A new visibility timeout for an in-flight message, from now."""
        self.set_deadline(m, now + visibility)
        if visibility == 0:
            self._make_visible(m)

    def pop_visible(self, n: int) -> list[Msg]:
        """Remove and return up to ``n`` visible messages, in delivery order."""
        out: list[Msg] = []
        if not self.fifo:
            while self.ready and len(out) < n:
                m = self.msgs[self.ready[0]]
                self.remove(m)
                out.append(m)
            return out
        rounds = 0
        while self.ready_groups and len(out) < n and rounds < 10_000:
            rounds += 1
            _, gid = self.ready_groups[0]
            g = self.groups[gid]
            while g.seqs and len(out) < n:
                m = self.msgs[g.seqs[0]]
                if m.state != VISIBLE:
                    break
                self.remove(m)
                out.append(m)
            self._refresh(g)
        return out

    # -- removing ----------------------------------------------------------------------
    def _forget(self, m: Msg) -> None:
        """Drop a message that ``ready.pop`` already took out of the ready list."""
        del self.msgs[m.seq]
        self._unchunk(m)

    def _unchunk(self, m: Msg) -> None:
        chunk = self.chunks.get(m.chunk)
        if chunk is not None:
            chunk.pop(m.seq, None)  # an emptied chunk stays until its deletion is stored

    def remove(self, m: Msg) -> None:
        """Delete a message from every index (timers and ages drop it lazily)."""
        if self.msgs.pop(m.seq, None) is None:
            return
        self._unchunk(m)
        if m.state == INFLIGHT:
            self.n_inflight -= 1
        elif m.state == DELAYED:
            self.n_delayed -= 1
        elif not self.fifo:
            self.ready.discard(m.seq)
        if self.fifo:
            g = self.groups.get(m.group or "")
            if g is not None:
                if g.seqs and g.seqs[0] == m.seq:
                    g.seqs.popleft()
                else:
                    g.seqs.remove(m.seq)
                if m.state == INFLIGHT:
                    g.inflight -= 1
                self._refresh(g)

    def clear(self) -> list[Msg]:
        """Remove every message (PurgeQueue); returns them."""
        gone = list(self.msgs.values())
        self.msgs.clear()
        self.chunks.clear()
        self.ready = SortedList()
        self.groups.clear()
        self.ready_groups = SortedList()
        self.timers.clear()
        self.ages.clear()
        self.n_inflight = self.n_delayed = 0
        return gone

    # -- ReceiveRequestAttemptId (FIFO) -----------------------------------------------
    def remember_attempt(self, attempt: str, now: float, got: list[Msg]) -> None:
        expires = now + 300
        self.attempts[attempt] = (expires, [(m.seq, m.token or "") for m in got])
        self.attempt_order.append((expires, attempt))

    def replay_attempt(self, attempt: str, now: float) -> list[Msg] | None:
        """The messages a retried receive returned, if none of them changed since."""
        entry = self.attempts.get(attempt)
        if entry is None or entry[0] <= now:
            return None
        out = []
        for seq, token in entry[1]:
            m = self.msgs.get(seq)
            if m is None or m.state != INFLIGHT or m.token != token:
                return None
            out.append(m)
        return out

    def _expire_attempts(self, now: float) -> None:
        order = self.attempt_order
        while order and order[0][0] <= now:
            expires, attempt = order.popleft()
            entry = self.attempts.get(attempt)
            if entry is not None and entry[0] == expires:
                del self.attempts[attempt]
