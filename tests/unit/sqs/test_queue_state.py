"""The in-memory queue index: delivery order, states and counts, timers, retention,
FIFO group blocking, and (with hypothesis) that the indexes always agree with a plain
recount whatever the sequence of sends, receives, deletes and clock moves."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from cargobay.services.sqs.attributes import QueueConfig
from cargobay.services.sqs.message import DELAYED, INFLIGHT, VISIBLE, Msg
from cargobay.services.sqs.names import QueueRef
from cargobay.services.sqs.queue_state import QueueState

T0 = 1_000_000.0


def state(fifo: bool = False, **attrs: str) -> QueueState:
    return QueueState(
        ref=QueueRef("000000000000", "us-east-1", "q.fifo" if fifo else "q"), qid="qid",
        fifo=fifo, attrs=dict(attrs), config=QueueConfig.of(dict(attrs), fifo),
        created=T0, modified=T0,
    )


def send(st: QueueState, body: str, now: float = T0, delay: float = 0,
         group: str | None = None) -> Msg:
    m = Msg(seq=st.next_seq(now), mid=body, body=body, md5_body="", sent=now, sender="s",
            group=group)
    if delay:
        m.state, m.visible_at = DELAYED, now + delay
    else:
        m.state, m.visible_at = VISIBLE, now
    st.add(m)
    return m


def bodies(msgs: list[Msg]) -> list[str]:
    return [m.body for m in msgs]


def counts(st: QueueState) -> tuple[int, int, int]:
    d = st.depths()
    return (d["ApproximateNumberOfMessages"], d["ApproximateNumberOfMessagesNotVisible"],
            d["ApproximateNumberOfMessagesDelayed"])


def test_standard_delivers_in_send_order_and_counts() -> None:
    st = state()
    for i in range(5):
        send(st, f"m{i}", T0 + i)
    got, dead = st.take(3, T0 + 10, 30, None)
    assert bodies(got) == ["m0", "m1", "m2"] and not dead
    assert counts(st) == (2, 3, 0)
    assert all(m.state == INFLIGHT and m.receives == 1 and m.token for m in got)
    st.tick(T0 + 39.9)
    assert counts(st) == (2, 3, 0)
    st.tick(T0 + 40)
    assert counts(st) == (5, 0, 0)
    again, _ = st.take(10, T0 + 41, 30, None)
    assert bodies(again) == ["m0", "m1", "m2", "m3", "m4"]  # back in their places


def test_delay_then_visible() -> None:
    st = state()
    send(st, "later", T0, delay=10)
    send(st, "now", T0)
    assert counts(st) == (1, 0, 1)
    assert st.next_timer() == T0 + 10
    got, _ = st.take(10, T0, 30, None)
    assert bodies(got) == ["now"]
    st.tick(T0 + 10)
    got, _ = st.take(10, T0 + 10, 30, None)
    assert bodies(got) == ["later"]


def test_change_visibility_to_zero_and_a_new_deadline() -> None:
    st = state()
    m = send(st, "m")
    st.take(1, T0, 30, None)
    st.change_visibility(m, T0 + 5, 100)
    st.tick(T0 + 35)  # the old deadline's timer is stale
    assert counts(st) == (0, 1, 0)
    st.change_visibility(m, T0 + 40, 0)
    assert counts(st) == (1, 0, 0)
    st.tick(T0 + 200)
    assert counts(st) == (1, 0, 0)


def test_default_retention_is_four_days_for_every_state() -> None:
    st = state()
    send(st, "visible", T0)
    send(st, "delayed", T0, delay=900)
    send(st, "inflight", T0)
    st.take(1, T0, 43_200, None)  # takes "visible"
    expired, _ = st.tick(T0 + 345_599)
    assert not expired and len(st.msgs) == 3
    expired, _ = st.tick(T0 + 345_600)
    assert sorted(bodies(expired)) == ["delayed", "inflight", "visible"]
    assert counts(st) == (0, 0, 0) and not st.ready


def test_max_receives_sends_messages_to_the_dead_list() -> None:
    st = state()
    send(st, "poison")
    send(st, "fine")
    for i in range(2):
        got, dead = st.take(1, T0 + 100 * i, 10, 2)
        assert bodies(got) == ["poison"] and not dead
        st.tick(T0 + 100 * i + 10)
    got, dead = st.take(10, T0 + 300, 10, 2)
    assert bodies(got) == ["fine"] and bodies(dead) == ["poison"]
    assert "poison" not in bodies(list(st.msgs.values()))
    assert counts(st) == (0, 1, 0)


def test_fifo_group_blocks_while_in_flight() -> None:
    st = state(fifo=True)
    for body, group in (("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("c1", "C")):
        send(st, body, group=group)
    got, _ = st.take(1, T0, 30, None)
    assert bodies(got) == ["a1"]
    got, _ = st.take(10, T0, 30, None)
    assert bodies(got) == ["b1", "b2", "c1"]
    assert st.take(10, T0, 30, None) == ([], [])
    a1 = st.msgs[min(st.msgs)]
    st.remove(a1)
    got, _ = st.take(10, T0, 30, None)
    assert bodies(got) == ["a2"]
    assert counts(st) == (0, 4, 0)


def test_fifo_visibility_expiry_returns_the_head_first() -> None:
    st = state(fifo=True)
    for i in range(3):
        send(st, f"m{i}", group="g")
    st.take(2, T0, 10, None)
    st.tick(T0 + 10)
    got, _ = st.take(10, T0 + 10, 10, None)
    assert bodies(got) == ["m0", "m1", "m2"]


def test_fifo_delayed_head_blocks_its_group() -> None:
    st = state(fifo=True)
    send(st, "first", T0, delay=5, group="g")
    send(st, "second", T0, group="g")
    assert st.take(10, T0, 30, None) == ([], [])
    st.tick(T0 + 5)
    got, _ = st.take(10, T0 + 5, 30, None)
    assert bodies(got) == ["first", "second"]


def test_pop_visible_keeps_order() -> None:
    for fifo in (False, True):
        st = state(fifo=fifo)
        for i in range(4):
            send(st, f"m{i}", group="g" if fifo else None)
        if not fifo:
            st.take(1, T0, 30, None)
        out = st.pop_visible(10)
        assert bodies(out) == (["m0", "m1", "m2", "m3"] if fifo else ["m1", "m2", "m3"])


def test_attempt_replay_only_while_unchanged() -> None:
    st = state(fifo=True)
    send(st, "m", group="g")
    got, _ = st.take(1, T0, 30, None)
    st.remember_attempt("a", T0, got)
    assert st.replay_attempt("a", T0 + 1) == got
    st.change_visibility(got[0], T0 + 2, 30)  # visibility changes keep the token
    assert st.replay_attempt("a", T0 + 2) == got
    assert st.replay_attempt("a", T0 + 300) is None
    st.tick(T0 + 300)
    assert "a" not in st.attempts


def test_indexes_are_compacted() -> None:
    st = state()
    m = send(st, "m")
    st.take(1, T0, 30, None)
    longest = 0
    for i in range(3000):
        st.tick(T0 + i)
        st.change_visibility(m, T0 + i, 300)
        longest = max(longest, len(st.timers))
    assert longest <= 2 * len(st.msgs) + 1025


class QueueMachine(RuleBasedStateMachine):
    """Random operations; the counters and indexes must match a recount."""

    def __init__(self) -> None:
        super().__init__()
        self.fifo = False
        self.st = state()
        self.now = T0
        self.n = 0

    @rule(fifo=st.booleans())
    def fresh(self, fifo: bool) -> None:
        self.fifo = fifo
        self.st = state(fifo=fifo, MessageRetentionPeriod="600")
        self.now += 1

    @rule(delay=st.sampled_from([0, 0, 5, 30]), group=st.sampled_from(["a", "b", "c"]))
    def send(self, delay: int, group: str) -> None:
        self.n += 1
        send(self.st, f"m{self.n}", self.now, 0 if self.fifo else delay, group)

    @rule(k=st.integers(1, 10), vt=st.sampled_from([0, 1, 10, 60]),
          limit=st.sampled_from([None, None, 2]))
    def receive(self, k: int, vt: int, limit: Any) -> None:
        got, dead = self.st.take(k, self.now, vt, limit)
        assert len(got) <= k
        assert all(m.state == INFLIGHT for m in got)
        assert not set(m.seq for m in dead) & set(self.st.msgs)

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        inflight = [m for m in self.st.msgs.values() if m.state == INFLIGHT]
        if inflight:
            self.st.remove(data.draw(st.sampled_from(inflight)))

    @rule(data=st.data(), vt=st.sampled_from([0, 5, 100]))
    def change(self, data: st.DataObject, vt: int) -> None:
        inflight = [m for m in self.st.msgs.values() if m.state == INFLIGHT]
        if inflight:
            self.st.change_visibility(data.draw(st.sampled_from(inflight)), self.now, vt)

    @rule(dt=st.sampled_from([0.5, 1, 5, 30, 200]))
    def wait(self, dt: float) -> None:
        self.now += dt
        self.st.tick(self.now)

    @rule(k=st.integers(1, 5))
    def pop(self, k: int) -> None:
        self.st.pop_visible(k)

    @invariant()
    def counts_match_a_recount(self) -> None:
        s = self.st
        states = [m.state for m in s.msgs.values()]
        assert s.n_inflight == states.count(INFLIGHT)
        assert s.n_delayed == states.count(DELAYED)
        assert s.n_visible == states.count(VISIBLE)
        if not s.fifo:
            assert list(s.ready) == sorted(q for q, m in s.msgs.items() if m.state == VISIBLE)
        else:
            for gid, g in s.groups.items():
                assert list(g.seqs) == sorted(q for q, m in s.msgs.items()
                                              if (m.group or "") == gid)
                assert g.inflight == sum(1 for q in g.seqs if s.msgs[q].state == INFLIGHT)
                head_ready = (g.inflight == 0 and bool(g.seqs)
                              and s.msgs[g.seqs[0]].state == VISIBLE)
                assert (g.key is not None) == head_ready
            assert sorted(s.ready_groups) == sorted(g.key for g in s.groups.values() if g.key)
        for m in s.msgs.values():
            if m.state != VISIBLE:
                assert m.visible_at > self.now or any(
                    t[1] == m.seq and t[2] == m.gen for t in s.timers)

    @invariant()
    def fifo_delivers_in_group_order(self) -> None:
        s = self.st
        if s.fifo:
            for g in s.groups.values():
                states = [s.msgs[q].state for q in g.seqs]
                # in-flight messages are always the first of their group
                k = states.count(INFLIGHT)
                assert all(x == INFLIGHT for x in states[:k])


QueueMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40,
                                          deadline=None)
TestQueueMachine = QueueMachine.TestCase
