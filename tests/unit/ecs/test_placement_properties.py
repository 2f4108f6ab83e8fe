"""Placement properties (issue 4), checked on random fleets and task mixes by hypothesis.

In-process: an App on the in-memory store whose ECS handlers are called directly
(RegisterContainerInstance, RunTask, StopTask, SubmitTaskStateChange,
DescribeContainerInstances), like benchmarks/placement.py.  The test keeps its own
model of what every live task holds (its size and host ports, written out by hand
below, not computed by cargobay) and checks, after every step:

- no instance is over-committed: its live tasks' CPU and memory fit in what it
  registered, and no host port is taken twice (or taken when the instance reserves it);
- ``remainingResources`` are exactly the registered CPU/memory less the live tasks'
  needs, and list every port in use; ``runningTasksCount``/``pendingTasksCount`` count
  the tasks;
- every placement respected its constraints (memberOf: an independent predicate on
  the instance's attributes; distinctInstance: never two live tasks of the group on
  one instance);
- a RunTask that placed fewer than asked could place the task nowhere (every ACTIVE
  instance lacks something, by the model) and named every instance in ``failures``;
- every placement chose as its strategy says (ECS Developer Guide, "Amazon ECS task
  placement strategies"): binpack the least remaining memory/CPU that fits,
  spread(instanceId) an instance with the fewest tasks of the group, spread over the
  zone attribute a zone with the fewest tasks of the group among those where it fits
  (then, with spread(instanceId) second, the instance of that zone with the fewest).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cargobay.app import App
from cargobay.protocol.base import RequestContext
from cargobay.store.memory import MemoryStore
from tests.fake_agent import CAPABILITIES

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
TIERS = ["web", "api", "batch"]
RESERVED = ["22"]


def ctx() -> RequestContext:
    return RequestContext("ecs", "op", "us-east-1", "000000000000", uuid.uuid4().hex, "json")


@dataclass(frozen=True)
class Need:
    cpu: int
    memory: int
    tcp: frozenset[str] = frozenset()
    udp: frozenset[str] = frozenset()


def container(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", **kw}


# family -> (task definition members, what one task holds: by hand, from the ECS guide)
TASK_DEFINITIONS: dict[str, tuple[dict[str, Any], Need]] = {
    "small": ({"containerDefinitions": [container("a", cpu=128, memory=256)]}, Need(128, 256)),
    "large": ({"containerDefinitions": [container("a", cpu=1024, memory=2048)]},
              Need(1024, 2048)),
    # memoryReservation (the soft limit) is what is reserved, summed over containers
    "soft": ({"containerDefinitions": [
        container("a", cpu=256, memory=1024, memoryReservation=300),
        container("b", cpu=64, memoryReservation=100),
    ]}, Need(320, 400)),
    # task-level sizes win over the containers'
    "tasklevel": ({"cpu": "512", "memory": "768",
                   "containerDefinitions": [container("a", cpu=0, memory=128)]},
                  Need(512, 768)),
    "web8080": ({"networkMode": "bridge", "containerDefinitions": [container(
        "a", cpu=256, memory=512, portMappings=[{"containerPort": 80, "hostPort": 8080}])]},
        Need(256, 512, frozenset({"8080"}))),
    # a dynamic host port (0) reserves nothing
    "dynamic": ({"networkMode": "bridge", "containerDefinitions": [container(
        "a", cpu=64, memory=64, portMappings=[{"containerPort": 80, "hostPort": 0}])]},
        Need(64, 64)),
    "dns5353": ({"networkMode": "host", "containerDefinitions": [container(
        "a", cpu=64, memory=128,
        portMappings=[{"containerPort": 5353, "protocol": "udp"}])]},
        Need(64, 128, frozenset(), frozenset({"5353"}))),
    # the instances reserve port 22: this one never fits anywhere
    "ssh22": ({"networkMode": "host", "containerDefinitions": [container(
        "a", cpu=64, memory=64, portMappings=[{"containerPort": 22}])]},
        Need(64, 64, frozenset({"22"}))),
}

Attrs = dict[str, str | None]
MEMBER_OF: dict[str, Callable[[Attrs], bool]] = {
    "attribute:tier != batch": lambda a: a.get("tier") != "batch",
    "attribute:tier in [web, api]": lambda a: a.get("tier") in ("web", "api"),
    "not(attribute:tier == web)": lambda a: a.get("tier") != "web",
    "attribute:gpu exists": lambda a: "gpu" in a,
    "attribute:ecs.availability-zone == us-east-1a or attribute:tier == batch":
        lambda a: a.get("ecs.availability-zone") == "us-east-1a" or a.get("tier") == "batch",
    "attribute:tier =~ w.* and not(attribute:ecs.availability-zone == us-east-1c)":
        lambda a: str(a.get("tier", "")).startswith("w")
        and a.get("ecs.availability-zone") != "us-east-1c",
}

STRATEGIES: list[list[dict[str, str]]] = [
    [],
    [{"type": "binpack", "field": "memory"}],
    [{"type": "binpack", "field": "cpu"}],
    [{"type": "spread", "field": "instanceId"}],
    [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
    [{"type": "spread", "field": "attribute:ecs.availability-zone"},
     {"type": "spread", "field": "instanceId"}],
    [{"type": "spread", "field": "attribute:ecs.availability-zone"},
     {"type": "binpack", "field": "memory"}],
    [{"type": "random"}],
]


@dataclass
class Instance:
    arn: str
    cpu: int
    memory: int
    attrs: Attrs


@dataclass
class Live:
    instance: str
    group: str
    need: Need
    running: bool = False


@dataclass
class Model:
    instances: dict[str, Instance] = field(default_factory=dict)
    live: dict[str, Live] = field(default_factory=dict)

    def on(self, arn: str) -> list[Live]:
        return [t for t in self.live.values() if t.instance == arn]

    def remaining(self, arn: str) -> tuple[int, int, set[str], set[str]]:
        i = self.instances[arn]
        held = self.on(arn)
        tcp = set(RESERVED).union(*(t.need.tcp for t in held))
        udp: set[str] = set().union(*(t.need.udp for t in held))
        return (i.cpu - sum(t.need.cpu for t in held),
                i.memory - sum(t.need.memory for t in held), tcp, udp)

    def fits(self, arn: str, need: Need, group: str, distinct: bool,
             member: Callable[[Attrs], bool] | None) -> bool:
        cpu, memory, tcp, udp = self.remaining(arn)
        if member is not None and not member(self.instances[arn].attrs):
            return False
        if distinct and any(t.group == group for t in self.on(arn)):
            return False
        return (need.cpu <= cpu and need.memory <= memory
                and not need.tcp & tcp and not need.udp & udp)


fleets = st.lists(
    st.tuples(
        st.sampled_from([512, 1024, 2048, 4096]),  # cpu
        st.sampled_from([512, 1024, 2048, 4096, 8192]),  # memory
        st.sampled_from(ZONES),
        st.sampled_from(TIERS),
        st.booleans(),  # gpu attribute
    ),
    min_size=1,
    max_size=10,
)

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("run"),
            st.sampled_from(sorted(TASK_DEFINITIONS)),
            st.sampled_from([1, 1, 2, 3, 5, 10]),
            st.integers(0, len(STRATEGIES) - 1),
            st.sampled_from([None, "distinct", *MEMBER_OF]),
            st.sampled_from(["g1", "g2"]),
        ),
        st.tuples(st.just("stop"), st.integers(0, 10_000), st.booleans()),
        st.tuples(st.just("start"), st.integers(0, 10_000)),
    ),
    min_size=1,
    max_size=30,
)


class Plane:
    """One App for every example; each example has its own cluster."""

    def __init__(self) -> None:
        self.app = App(store=MemoryStore())
        self.ecs: Any = self.app.services["ecs"]
        for family, (members, _) in TASK_DEFINITIONS.items():
            self.ecs.register_task_definition(ctx(), {"family": family, **members})


_PLANE: list[Plane] = []


def plane() -> Plane:
    if not _PLANE:
        _PLANE.append(Plane())
    return _PLANE[0]


def register(ecs: Any, cluster: str, spec: tuple[int, int, str, str, bool]) -> Instance:
    cpu, memory, zone, tier, gpu = spec
    attrs: Attrs = {"ecs.availability-zone": zone, "tier": tier}
    if gpu:
        attrs["gpu"] = None
    ci = ecs.register_container_instance(ctx(), {
        "cluster": cluster,
        "totalResources": [
            {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": RESERVED},
        ],
        "attributes": [*({"name": c} for c in CAPABILITIES),
                       *({"name": k, "value": v} if v is not None else {"name": k}
                         for k, v in attrs.items() if k != "ecs.availability-zone")],
        "instanceIdentityDocument": json.dumps(
            {"instanceId": "i-" + uuid.uuid4().hex[:17], "availabilityZone": zone}),
    })["containerInstance"]
    return Instance(ci["containerInstanceArn"], cpu, memory, attrs)


def check_instances(ecs: Any, cluster: str, model: Model) -> None:
    arns = list(model.instances)
    got = ecs.describe_container_instances(
        ctx(), {"cluster": cluster, "containerInstances": arns})["containerInstances"]
    assert len(got) == len(arns)
    for ci in got:
        arn = ci["containerInstanceArn"]
        rem = {r["name"]: r for r in ci["remainingResources"]}
        cpu, memory, tcp, udp = model.remaining(arn)
        assert cpu >= 0 and memory >= 0, "over-committed"
        assert rem["CPU"]["integerValue"] == cpu
        assert rem["MEMORY"]["integerValue"] == memory
        assert set(rem["PORTS"]["stringSetValue"]) == tcp
        assert set(rem.get("PORTS_UDP", {}).get("stringSetValue", [])) == udp
        held = model.on(arn)
        ports = [p for t in held for p in t.need.tcp]
        assert len(ports) == len(set(ports)) and not set(ports) & set(RESERVED)
        udp_ports = [p for t in held for p in t.need.udp]
        assert len(udp_ports) == len(set(udp_ports))
        assert ci["runningTasksCount"] == sum(1 for t in held if t.running)
        assert ci["pendingTasksCount"] == sum(1 for t in held if not t.running)
        distinct = Counter(t.group for t in held if t.group == "distinct")
        assert all(n <= 1 for n in distinct.values()), "distinctInstance co-located"


def check_choice(model: Model, strategy: list[dict[str, str]], family: str, group: str,
                 before: dict[str, tuple[int, int]], chosen: str,
                 fitting: list[str]) -> None:
    """A placement (``chosen``, already in the model) chose as its only strategy says
    (and, for spread over the zone then spread(instanceId), as the second says within
    the zone)."""
    if strategy == STRATEGIES[5]:
        zone_of = {a: model.instances[a].attrs["ecs.availability-zone"] for a in model.instances}
        mine = Counter(t.instance for t in model.live.values() if t.group == group)
        mine[chosen] -= 1  # the task just placed
        per_zone: Counter[str | None] = Counter()
        for a, n in mine.items():
            per_zone[zone_of[a]] += n
        assert per_zone[zone_of[chosen]] == min(per_zone[zone_of[a]] for a in fitting)
        same_zone = [a for a in fitting if zone_of[a] == zone_of[chosen]]
        assert mine[chosen] == min(mine[a] for a in same_zone)
        return
    if len(strategy) != 1:
        return
    kind, fld = strategy[0]["type"], strategy[0].get("field", "")
    if kind == "binpack":
        idx = 1 if fld == "memory" else 0
        assert before[chosen][idx] == min(before[a][idx] for a in fitting)
    elif kind == "spread" and fld == "instanceId":
        count = {a: sum(1 for t in model.on(a) if t.group == group) for a in fitting}
        count[chosen] -= 1  # the task just placed
        assert count[chosen] == min(count.values())
    elif kind == "spread":
        zone_of = {a: model.instances[a].attrs["ecs.availability-zone"] for a in model.instances}
        per_zone = Counter(zone_of[t.instance] for t in model.live.values() if t.group == group)
        per_zone[zone_of[chosen]] -= 1
        assert per_zone[zone_of[chosen]] == min(per_zone[zone_of[a]] for a in fitting)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets, script=steps)
def test_placement_never_overcommits_and_keeps_every_constraint(
    fleet: list[tuple[int, int, str, str, bool]],
    script: list[tuple[Any, ...]],
) -> None:
    p = plane()
    ecs = p.ecs
    cluster = "prop-" + uuid.uuid4().hex[:12]
    ecs.create_cluster(ctx(), {"clusterName": cluster})
    model = Model()
    for spec in fleet:
        i = register(ecs, cluster, spec)
        model.instances[i.arn] = i
    for step in script:
        if step[0] == "run":
            _, family, count, which, constraint, group = step
            strategy = STRATEGIES[which]
            need = TASK_DEFINITIONS[family][1]
            distinct = constraint == "distinct"
            if distinct:
                group = "distinct"
            member = MEMBER_OF.get(constraint) if constraint else None
            constraints = ([{"type": "distinctInstance"}] if distinct else
                           [{"type": "memberOf", "expression": constraint}] if constraint else [])
            out = ecs.run_task(ctx(), {
                "cluster": cluster, "taskDefinition": family, "count": count, "group": group,
                "placementStrategy": strategy, "placementConstraints": constraints,
            })
            # the copies are placed one after the other: each is checked against the
            # fleet as the ones before it left it
            for t in out["tasks"]:
                arn = t["containerInstanceArn"]
                assert model.fits(arn, need, group, distinct, member), (
                    f"{family} placed where it does not fit: {constraint}")
                assert t["cpu"] == str(need.cpu) and t["memory"] == str(need.memory)
                before = {a: model.remaining(a)[:2] for a in model.instances}
                fitting = [a for a in model.instances
                           if model.fits(a, need, group, distinct, member)]
                model.live[t["taskArn"]] = Live(arn, group, need)
                check_choice(model, strategy, family, group, before, arn, fitting)
            if len(out["tasks"]) < count:
                assert out["failures"], "fewer tasks than asked, and no failures"
                assert not [a for a in model.instances
                            if model.fits(a, need, group, distinct, member)], (
                    "a task came back in failures though an instance could take it")
                assert {f["arn"] for f in out["failures"]} == set(model.instances)
            else:
                assert out["failures"] == []
        elif step[0] == "stop" and model.live:
            _, pick, asked = step
            arn = sorted(model.live)[pick % len(model.live)]
            if asked:
                ecs.stop_task(ctx(), {"cluster": cluster, "task": arn})
            ecs.submit_task_state_change(ctx(), {"cluster": cluster, "task": arn,
                                                 "status": "STOPPED"})
            del model.live[arn]
        elif step[0] == "start" and model.live:
            arn = sorted(model.live)[step[1] % len(model.live)]
            ecs.submit_task_state_change(ctx(), {"cluster": cluster, "task": arn,
                                                 "status": "RUNNING"})
            model.live[arn].running = True
        check_instances(ecs, cluster, model)
