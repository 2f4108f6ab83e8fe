"""An in-memory index of a cluster's container instances, so a placement does not read
and check every instance.

The store stays the truth; this is a write-through view of it:

- built from one scan of the cluster's instances on first use, and rebuilt whenever the
  cluster's epoch document (``ecs.placement_epoch``, key = the cluster's key prefix) is
  missing or another one: a reset of the store, or another process's index;
- kept current by :func:`observe`, called wherever an instance document is written by
  task_writes.commit, registration, attributes and the agent's heartbeat;
- never trusted for the final decision: the caller re-reads the chosen instance and, if
  the stored one differs (e.g. liveness marked it disconnected), updates the index and
  asks again (:meth:`ClusterIndex.verified`).

Per instance it keeps what the checks need as plain values (remaining CPU and memory,
ports in use, attributes, task groups, the query-language facts) and two sorted lists
of (remaining CPU | memory, key), so ``binpack`` finds the fullest instance that fits
by bisection; ``spread`` over an attribute keeps, per (group, attribute), the number of
the group's tasks per value.  memberOf results are cached per instance until it
changes.
"""

from __future__ import annotations

import random
import uuid
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import placement
from cargobay.services.ecs import placement_rules as pr
from cargobay.services.ecs.query_eval import evaluate
from cargobay.services.ecs.query_language import Expr, InstanceFacts
from cargobay.store import Store

Doc = dict[str, Any]

EPOCH_TABLE = "ecs.placement_epoch"
_MAX_CACHED_EXPRESSIONS = 64
_MAX_LOADS = 16
_NO_PORTS: frozenset[str] = frozenset()

#: (group, attribute name, memberOf expressions, required attributes, distinctInstance)
_LoadKey = tuple[str, str, tuple[Expr, ...], tuple[tuple[str, str | None], ...], bool]


@dataclass
class Slot:
    key: str
    doc: Doc
    serial: int
    active: bool
    connected: bool
    attrs: dict[str, str | None]
    cpu: int
    memory: int
    ports: frozenset[str]
    udp: frozenset[str]

    # Read from ``doc`` when first asked (binpack alone never asks).  The caller changes
    # ``doc`` only right before replacing this slot (ClusterIndex.update), and update
    # asks for ``groups`` first whenever spread counts are kept, so both always describe
    # the document this slot was made for.
    _groups: Counter[str] | None = None
    _facts: InstanceFacts | None = None

    @property
    def groups(self) -> Counter[str]:
        g = self._groups
        if g is None:
            g = self._groups = Counter(placement.groups(self.doc))
        return g

    @property
    def facts(self) -> InstanceFacts:
        f = self._facts
        if f is None:
            doc = self.doc
            f = self._facts = InstanceFacts(
                attributes=self.attrs,
                agent_connected=self.connected,
                agent_version=(doc.get("versionInfo") or {}).get("agentVersion", ""),
                ec2_instance_id=doc.get("ec2InstanceId", ""),
                registered_at=float(doc.get("registeredAt", 0.0)),
                running_tasks_count=int(doc.get("runningTasksCount", 0)),
                task_groups=self.groups,  # (task:group asks which groups, not how many)
            )
        return f


def _slot(key: str, doc: Doc, serial: int, old: Slot | None = None) -> Slot:
    rem = doc.get("remainingResources") or placement.remaining(doc)
    cpu = memory = 0
    ports = udp = _NO_PORTS
    for r in rem:  # (the last entry of a name counts, as a dict of them would say)
        name = r["name"]
        if name == placement.CPU:
            cpu = int(r.get("integerValue", 0))
        elif name == placement.MEMORY:
            memory = int(r.get("integerValue", 0))
        elif name == placement.PORTS:
            ports = frozenset(r.get("stringSetValue") or _NO_PORTS)
        elif name == placement.PORTS_UDP:
            udp = frozenset(r.get("stringSetValue") or _NO_PORTS)
    if old is not None and (
        old.doc is doc or old.doc.get("attributes") == doc.get("attributes")
    ):
        attrs = old.attrs  # attributes unchanged (a task placed or stopped): not rebuilt
    else:
        attrs = instances.attributes_map(doc)
    return Slot(
        key=key,
        doc=doc,
        serial=serial,
        active=doc.get("status") == instances.ACTIVE,
        connected=bool(doc.get("agentConnected")),
        attrs=attrs,
        cpu=cpu,
        memory=memory,
        ports=ports,
        udp=udp,
    )


@dataclass
class ClusterIndex:
    epoch: str
    slots: dict[str, Slot] = field(default_factory=dict)
    #: (remaining cpu | memory, key), brought up to date when binpack reads them
    #: (:meth:`ordered`): ``stale`` holds, per list, each changed key's value as listed
    by_cpu: SortedList = field(default_factory=SortedList)
    by_memory: SortedList = field(default_factory=SortedList)
    stale: dict[str, dict[str, int | None]] = field(
        default_factory=lambda: {"cpu": {}, "memory": {}}
    )
    serial: int = 0
    member_cache: dict[tuple[Expr, ...], dict[str, tuple[int, bool]]] = field(
        default_factory=dict
    )
    #: (group, attribute name) -> value -> tasks of the group on instances with it
    spread: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    #: attribute name -> value -> keys of the instances with it
    members: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    #: spread(attribute) then spread(instanceId): per (group, attribute name, rules),
    #: value -> (tasks of the group there, key) of the instances the rules admit
    #: (everything but resources), fewest first
    loads: dict[_LoadKey, dict[str, SortedList]] = field(default_factory=dict)

    # -- keeping it current -----------------------------------------------------------

    def update(self, key: str, doc: Doc | None) -> None:
        old = self.slots.pop(key, None)
        if old is not None:
            self.stale["cpu"].setdefault(key, old.cpu)
            self.stale["memory"].setdefault(key, old.memory)
            if self.spread or self.members or self.loads:
                self._account(old, -1)
        if doc is None:
            return
        self.serial += 1
        s = _slot(key, doc, self.serial, old)
        self.slots[key] = s
        self.stale["cpu"].setdefault(key, None)
        self.stale["memory"].setdefault(key, None)
        if self.spread or self.members or self.loads:
            self._account(s, 1)  # (reads s.groups now: see Slot)

    def ordered(self, fld: str) -> SortedList:
        """(remaining cpu | memory, key) of every instance, smallest first."""
        ordered = self.by_cpu if fld == "cpu" else self.by_memory
        stale = self.stale[fld]
        if stale:
            for key, listed in stale.items():
                if listed is not None:
                    ordered.discard((listed, key))
                s = self.slots.get(key)
                if s is not None:
                    ordered.add((s.cpu if fld == "cpu" else s.memory, key))
            stale.clear()
        return ordered

    def _account(self, s: Slot, sign: int) -> None:
        for lk, lists in self.loads.items():
            group, name = lk[0], lk[1]
            entry = (s.groups.get(group, 0), s.key)
            if sign < 0:
                listed = lists.get(str(s.attrs.get(name)))
                if listed is not None:
                    listed.discard(entry)
            elif self._admits(s, lk):
                lists.setdefault(str(s.attrs.get(name)), SortedList()).add(entry)
        for (group, name), counts in self.spread.items():
            n = s.groups.get(group, 0)
            if n:
                counts[str(s.attrs.get(name))] += sign * n
        for name, by_value in self.members.items():
            value = str(s.attrs.get(name))
            if sign > 0:
                by_value.setdefault(value, set()).add(s.key)
            else:
                keys = by_value.get(value)
                if keys is not None:
                    keys.discard(s.key)

    def any_active(self) -> bool:
        return any(s.active for s in self.slots.values())

    # -- checks -----------------------------------------------------------------------

    def reason(self, s: Slot, needs: placement.Needs, group: str, r: Any) -> str | None:
        """Why the task cannot go on ``s`` (placement_rules.reason_against's order)."""
        if not s.connected:
            return pr.AGENT
        for name, value in r.required:
            if name not in s.attrs or (value is not None and s.attrs[name] != value):
                return pr.ATTRIBUTE
        if r.member_of and not self._member_of(s, r.member_of):
            return pr.MEMBER_OF
        if r.distinct and s.groups.get(group):
            return pr.DISTINCT
        if needs.cpu > s.cpu:
            return "RESOURCE:CPU"
        if needs.memory > s.memory:
            return "RESOURCE:MEMORY"
        if needs.ports and any(str(p) in s.ports for p in needs.ports):
            return "RESOURCE:PORTS"
        if needs.udp_ports and any(str(p) in s.udp for p in needs.udp_ports):
            return "RESOURCE:PORTS_UDP"
        return None

    def _member_of(self, s: Slot, exprs: tuple[Expr, ...]) -> bool:
        cache = self.member_cache.get(exprs)
        if cache is None:
            if len(self.member_cache) >= _MAX_CACHED_EXPRESSIONS:
                self.member_cache.clear()
            cache = self.member_cache[exprs] = {}
        hit = cache.get(s.key)
        if hit is not None and hit[0] == s.serial:
            return hit[1]
        ok = all(evaluate(e, s.facts) for e in exprs)
        cache[s.key] = (s.serial, ok)
        return ok

    def refusals(self, needs: placement.Needs, group: str, r: Any) -> list[Doc]:
        """ECS's ``failures`` when the task fits nowhere: one per ACTIVE instance."""
        out: list[Doc] = []
        for s in self.slots.values():
            if s.active:
                why = self.reason(s, needs, group, r)
                if why is not None:
                    out.append({"arn": s.doc["containerInstanceArn"], "reason": why})
        return out

    # -- choosing ---------------------------------------------------------------------

    def choose(
        self, needs: placement.Needs, group: str, r: Any, rng: random.Random
    ) -> Slot | None:
        """The best ACTIVE instance for the task by the strategies, or None if none fits."""
        def fits(s: Slot) -> bool:
            return s.active and self.reason(s, needs, group, r) is None

        strategies: tuple[tuple[str, str], ...] = r.strategies
        if not strategies:
            return self._any(fits, rng)
        kind, fld = strategies[0]
        rest = strategies[1:]
        if kind == "binpack":
            return self._binpack(fld, needs, fits, rest, group, r, rng)
        if kind == "spread" and fld != "instanceId":
            return self._spread_attribute(fld[len("attribute:") :], group, fits, rest, r, rng)
        ok = [pr.Candidate(s.key, s.doc) for s in self.slots.values() if fits(s)]
        if not ok:
            return None
        return self.slots[pr.order(ok, group, r, rng)[0].key]

    def _any(self, fits: Callable[[Slot], bool], rng: random.Random) -> Slot | None:
        keys = list(self.slots)
        if not keys:
            return None
        for _ in range(8):
            s = self.slots[keys[rng.randrange(len(keys))]]
            if fits(s):
                return s
        start = rng.randrange(len(keys))
        for i in range(len(keys)):
            s = self.slots[keys[(start + i) % len(keys)]]
            if fits(s):
                return s
        return None

    def _binpack(
        self,
        fld: str,
        needs: placement.Needs,
        fits: Callable[[Slot], bool],
        rest: tuple[tuple[str, str], ...],
        group: str,
        r: Any,
        rng: random.Random,
    ) -> Slot | None:
        ordered = self.ordered(fld)
        need = needs.cpu if fld == "cpu" else needs.memory
        i = ordered.bisect_left((need, ""))
        n = len(ordered)
        while i < n:
            value, key = ordered[i]
            if not fits(self.slots[key]):
                i += 1
                continue
            # every instance with this remaining amount is as good: the next strategies
            # (or chance) decide between them
            j = ordered.bisect_left((value + 1, ""))
            if j - i == 1:
                return self.slots[key]
            if not rest:
                start = rng.randrange(i, j)
                for k in range(j - i):
                    s = self.slots[ordered[i + (start - i + k) % (j - i)][1]]
                    if fits(s):
                        return s
            return self._order_rest(
                [self.slots[ordered[k][1]] for k in range(i, j)], fits, rest, group, r, rng
            )
        return None

    def _spread_attribute(
        self,
        name: str,
        group: str,
        fits: Callable[[Slot], bool],
        rest: tuple[tuple[str, str], ...],
        r: Any,
        rng: random.Random,
    ) -> Slot | None:
        by_value = self.members.get(name)
        if by_value is None:
            by_value = self.members[name] = {}
            for s in self.slots.values():
                by_value.setdefault(str(s.attrs.get(name)), set()).add(s.key)
        counts = self.spread.get((group, name))
        if counts is None:
            counts = self.spread[(group, name)] = Counter()
            for s in self.slots.values():
                n = s.groups.get(group, 0)
                if n:
                    counts[str(s.attrs.get(name))] += n
        values = sorted(by_value, key=lambda v: (counts.get(v, 0), rng.random()))
        if rest and rest[0] == ("spread", "instanceId"):
            return self._spread_instances(name, values, group, fits, rest[1:], r, rng)
        for value in values:
            keys = list(by_value[value])
            if not keys:
                continue
            if rest:
                found = self._order_rest(
                    [self.slots[k] for k in keys], fits, rest, group, r, rng
                )
                if found is not None:
                    return found
                continue
            start = rng.randrange(len(keys))
            for k in range(len(keys)):
                s = self.slots[keys[(start + k) % len(keys)]]
                if fits(s):
                    return s
        return None

    def _admits(self, s: Slot, lk: _LoadKey) -> bool:
        """The rules of a loads entry, all but resources, hold for ``s``."""
        group, _, member_of, required, distinct = lk
        if not (s.active and s.connected):
            return False
        for attr, value in required:
            if attr not in s.attrs or (value is not None and s.attrs[attr] != value):
                return False
        if member_of and not self._member_of(s, member_of):
            return False
        return not (distinct and s.groups.get(group))

    def _spread_instances(
        self,
        name: str,
        values: list[str],
        group: str,
        fits: Callable[[Slot], bool],
        rest: tuple[tuple[str, str], ...],
        r: Any,
        rng: random.Random,
    ) -> Slot | None:
        """spread(attribute:name) then spread(instanceId): in the value order given, the
        instances with the fewest tasks of the group first (ties: the next strategies,
        else chance), from a sorted list per value kept by :meth:`update`."""
        lk: _LoadKey = (group, name, r.member_of, r.required, r.distinct)
        lists = self.loads.get(lk)
        if lists is None:
            if len(self.loads) >= _MAX_LOADS:
                self.loads.clear()
            lists = self.loads[lk] = {}
            for s in self.slots.values():
                if self._admits(s, lk):
                    entry = (s.groups.get(group, 0), s.key)
                    lists.setdefault(str(s.attrs.get(name)), SortedList()).add(entry)
        for value in values:
            listed = lists.get(value)
            if not listed:
                continue
            n = len(listed)
            i = 0
            while i < n:
                count, key = listed[i]
                if not fits(self.slots[key]):
                    i += 1
                    continue
                j = listed.bisect_left((count + 1, ""))
                if rest:
                    found = self._order_rest(
                        [self.slots[listed[k][1]] for k in range(i, j)], fits, rest, group,
                        r, rng,
                    )
                    if found is not None:
                        return found
                    i = j
                    continue
                start = rng.randrange(i, j)
                for k in range(j - i):
                    s = self.slots[listed[i + (start - i + k) % (j - i)][1]]
                    if fits(s):
                        return s
                i = j
        return None

    def _order_rest(
        self,
        slots: list[Slot],
        fits: Callable[[Slot], bool],
        rest: tuple[tuple[str, str], ...],
        group: str,
        r: Any,
        rng: random.Random,
    ) -> Slot | None:
        ok = [pr.Candidate(s.key, s.doc) for s in slots if fits(s)]
        if not ok:
            return None
        rules = pr.Rules(r.member_of, r.distinct, rest, r.required)
        return self.slots[pr.order(ok, group, rules, rng)[0].key]

    def verified(
        self,
        store: Store,
        needs: placement.Needs,
        group: str,
        r: Any,
        rng: random.Random,
        checked: set[str] | None = None,
    ) -> tuple[str, Doc] | None:
        """The chosen instance's key and its stored document, checked against the store:
        an index entry that differs from the store is refreshed and the choice made
        again.  None when the task fits nowhere.

        ``checked`` holds the keys already checked during the caller's current batch of
        writes (one RunTask): their index entry is what the caller itself wrote since,
        so it is used as it is (and the chosen key is added)."""
        for _ in range(len(self.slots) + 1):
            s = self.choose(needs, group, r, rng)
            if s is None:
                return None
            if checked is not None and s.key in checked:
                return s.key, s.doc
            fresh = store.get(instances.TABLE, s.key)
            if fresh == s.doc:
                if checked is not None:
                    checked.add(s.key)
                return s.key, fresh
            self.update(s.key, fresh)
        return None


_INDEXES: weakref.WeakKeyDictionary[Any, dict[str, ClusterIndex]] = (
    weakref.WeakKeyDictionary()
)


def cluster_index(store: Store, prefix: str) -> ClusterIndex:
    """The index of the instances whose keys start with ``prefix`` (one cluster)."""
    per = _INDEXES.get(store)
    if per is None:
        per = _INDEXES[store] = {}
    epoch = store.get(EPOCH_TABLE, prefix)
    idx = per.get(prefix)
    if idx is not None and epoch is not None and epoch.get("id") == idx.epoch:
        return idx
    token = uuid.uuid4().hex
    store.put(EPOCH_TABLE, prefix, {"id": token})
    idx = per[prefix] = ClusterIndex(token)
    for key, doc in store.scan(instances.TABLE, prefix):
        idx.update(key, doc)
    return idx


def observe(store: Store, key: str, doc: Doc | None) -> None:
    """An instance document was written (None: deleted): keep the index in step."""
    per = _INDEXES.get(store)
    if not per:
        return
    idx = per.get(key.rsplit("/", 1)[0] + "/")
    if idx is not None:
        idx.update(key, doc)
