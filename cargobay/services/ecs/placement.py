"""Resource accounting on container instances, and where a task fits.

What a task reserves on an EC2 instance (ECS Developer Guide, task definition
parameters ``cpu``, ``memory``, ``memoryReservation``, ``portMappings``):

- CPU units: the task-level ``cpu`` when given, else the sum of the containers' ``cpu``.
- Memory (MiB): the task-level ``memory`` when given, else per container its
  ``memoryReservation`` (the soft limit) when set, else its ``memory`` (hard limit).
- Host ports: in ``bridge`` mode every mapping with a non-zero ``hostPort``; in ``host``
  mode every mapping's ``hostPort`` (which defaults to its ``containerPort``).  TCP ports
  count against PORTS, UDP ones against PORTS_UDP.  ``awsvpc`` and ``none`` tasks take no
  host ports; ports 0 / absent in bridge mode are dynamic and reserve nothing.

Overrides (RunTask/StartTask ``overrides``) change the containers' cpu, memory and
memoryReservation and the task's cpu and memory before this is computed.

An instance's ``remainingResources`` are always its ``registeredResources`` less the
needs of the tasks it holds (``_tasks``): :func:`refresh` recomputes them (registration),
:func:`hold` and :func:`free` change them by exactly one task's needs, so a task write
costs the same whatever the instance holds.  The failure reasons are those of ECS's
``failures``: RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS (and RESOURCE:PORTS_UDP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.fargate_sizes import parse_cpu, parse_memory

Doc = dict[str, Any]

CPU = "CPU"
MEMORY = "MEMORY"
PORTS = "PORTS"
PORTS_UDP = "PORTS_UDP"


@dataclass(frozen=True)
class Needs:
    cpu: int = 0
    memory: int = 0
    ports: frozenset[int] = field(default_factory=frozenset)
    udp_ports: frozenset[int] = field(default_factory=frozenset)

    def as_doc(self) -> Doc:
        return {
            "cpu": self.cpu,
            "memory": self.memory,
            "ports": sorted(self.ports),
            "udp": sorted(self.udp_ports),
        }

    @classmethod
    def from_doc(cls, doc: Doc) -> Needs:
        ports = doc.get("ports")
        udp = doc.get("udp")
        return cls(
            int(doc.get("cpu", 0)),
            int(doc.get("memory", 0)),
            frozenset(map(int, ports)) if ports else _NO_PORTS,
            frozenset(map(int, udp)) if udp else _NO_PORTS,
        )


_NO_PORTS: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ContainerSize:
    name: str
    cpu: int
    memory: int | None
    memory_reservation: int | None


def container_sizes(td: Doc, overrides: Doc) -> list[ContainerSize]:
    """Each container's cpu, memory and memoryReservation with the overrides applied."""
    by_name = {o["name"]: o for o in overrides.get("containerOverrides", []) if "name" in o}
    out: list[ContainerSize] = []
    for c in td.get("containerDefinitions", []):
        o = by_name.get(c["name"], {})
        out.append(
            ContainerSize(
                c["name"],
                int(o.get("cpu", c.get("cpu", 0)) or 0),
                o.get("memory", c.get("memory")),
                o.get("memoryReservation", c.get("memoryReservation")),
            )
        )
    return out


def task_size(
    td: Doc, overrides: Doc, sizes: list[ContainerSize] | None = None
) -> tuple[int, int]:
    """The task's CPU units and MiB (task level when set, else the containers' sum);
    ``sizes``: container_sizes(td, overrides) when the caller has them already."""
    if sizes is None:
        sizes = container_sizes(td, overrides)
    cpu_text = overrides.get("cpu", td.get("cpu"))
    mem_text = overrides.get("memory", td.get("memory"))
    cpu = _parse(cpu_text, parse_cpu, "cpu") if cpu_text else sum(s.cpu for s in sizes)
    if mem_text:
        memory = _parse(mem_text, parse_memory, "memory")
    else:
        memory = sum(
            (s.memory_reservation if s.memory_reservation is not None else s.memory or 0)
            for s in sizes
        )
    return cpu, memory


def _parse(text: Any, parse: Any, what: str) -> int:
    value = parse(str(text))
    if value is None:
        raise InvalidParameterException(f"Invalid '{what}' setting for task.")
    return int(value)


def task_needs(td: Doc, overrides: Doc) -> Needs:
    cpu, memory = task_size(td, overrides)
    mode = td.get("networkMode", "bridge")
    tcp: set[int] = set()
    udp: set[int] = set()
    if mode in ("bridge", "host"):
        for c in td.get("containerDefinitions", []):
            for m in c.get("portMappings", []):
                if "containerPortRange" in m:
                    continue
                host = m.get("hostPort")
                if mode == "host" and not host:
                    host = m.get("containerPort")
                if host:
                    (udp if m.get("protocol") == "udp" else tcp).add(int(host))
    return Needs(cpu, memory, frozenset(tcp), frozenset(udp))


# -- instances --------------------------------------------------------------------------


def resource(name: str, kind: str, *, integer: int = 0, strings: list[str] | None = None) -> Doc:
    """A Resource as ECS shows it: every value member present, the unused ones zero."""
    doc: Doc = {
        "name": name,
        "type": kind,
        "doubleValue": 0.0,
        "longValue": 0,
        "integerValue": integer,
    }
    if kind == "STRINGSET":
        doc["stringSetValue"] = list(strings or [])
    return doc


def registered(resources: list[Doc]) -> list[Doc]:
    """``totalResources`` of RegisterContainerInstance as ``registeredResources``:
    CPU, MEMORY, PORTS, PORTS_UDP always, then any other resource as given."""
    by_name = {r.get("name"): r for r in resources}
    for name in (CPU, MEMORY, PORTS, PORTS_UDP):
        r = by_name.get(name)
        if r is not None and r.get("type") not in (None, _kind(name)):
            raise InvalidParameterException(f"Resource {name} must be of type {_kind(name)}.")
    out = [
        resource(CPU, "INTEGER", integer=_integer(by_name.get(CPU))),
        resource(MEMORY, "INTEGER", integer=_integer(by_name.get(MEMORY))),
        resource(PORTS, "STRINGSET", strings=_ports(by_name.get(PORTS))),
        resource(PORTS_UDP, "STRINGSET", strings=_ports(by_name.get(PORTS_UDP))),
    ]
    for r in resources:
        extra_name = r.get("name")
        if not extra_name:
            raise InvalidParameterException("A resource must have a name.")
        if extra_name not in (CPU, MEMORY, PORTS, PORTS_UDP):
            kind = r.get("type") or "INTEGER"
            extra = resource(extra_name, kind, integer=int(r.get("integerValue", 0)))
            extra["doubleValue"] = float(r.get("doubleValue", 0.0))
            extra["longValue"] = int(r.get("longValue", 0))
            if "stringSetValue" in r:
                extra["stringSetValue"] = list(r["stringSetValue"])
            out.append(extra)
    return out


def _kind(name: str) -> str:
    return "INTEGER" if name in (CPU, MEMORY) else "STRINGSET"


def _integer(r: Doc | None) -> int:
    if r is None:
        return 0
    value = r.get("integerValue", r.get("longValue", 0))
    if not isinstance(value, int) or value < 0:
        raise InvalidParameterException(f"Resource {r.get('name')} must be a positive integer.")
    return value


def _ports(r: Doc | None) -> list[str]:
    if r is None:
        return []
    out: list[str] = []
    for p in r.get("stringSetValue", []):
        if not (isinstance(p, str) and p.isdigit() and 0 < int(p) <= 65535):
            raise InvalidParameterException(f"Invalid port {p!r} in resource {r.get('name')}.")
        if p not in out:
            out.append(p)
    return out


def _value(resources: list[Doc], name: str) -> Doc:
    for r in resources:
        if r["name"] == name:
            return r
    return resource(name, _kind(name))


def held(instance: Doc) -> list[Needs]:
    return [Needs.from_doc(t["needs"]) for t in instance.get("_tasks", {}).values()]


def remaining(instance: Doc) -> list[Doc]:
    """``remainingResources``: registered CPU and MEMORY less what tasks hold; PORTS and
    PORTS_UDP list the ports in use (the reserved ones, then the tasks')."""
    reg: list[Doc] = instance["registeredResources"]
    tasks = held(instance)
    cpu = _value(reg, CPU)["integerValue"] - sum(n.cpu for n in tasks)
    memory = _value(reg, MEMORY)["integerValue"] - sum(n.memory for n in tasks)
    out: list[Doc] = []
    for r in reg:
        name = r["name"]
        if name == CPU:
            out.append(resource(CPU, "INTEGER", integer=cpu))
        elif name == MEMORY:
            out.append(resource(MEMORY, "INTEGER", integer=memory))
        elif name in (PORTS, PORTS_UDP):
            used = list(r.get("stringSetValue", []))
            for n in tasks:
                for p in sorted(n.ports if name == PORTS else n.udp_ports):
                    if str(p) not in used:
                        used.append(str(p))
            out.append(resource(name, "STRINGSET", strings=used))
        else:
            out.append(dict(r))
    return out


def refresh(instance: Doc) -> None:
    instance["remainingResources"] = remaining(instance)


def shortfall(instance: Doc, needs: Needs) -> str | None:
    """The first resource the instance lacks for ``needs`` (ECS's failure reason), or None."""
    rem = instance.get("remainingResources") or remaining(instance)
    if needs.cpu > _value(rem, CPU)["integerValue"]:
        return "RESOURCE:CPU"
    if needs.memory > _value(rem, MEMORY)["integerValue"]:
        return "RESOURCE:MEMORY"
    used = set(_value(rem, PORTS).get("stringSetValue", []))
    if any(str(p) in used for p in needs.ports):
        return "RESOURCE:PORTS"
    used_udp = set(_value(rem, PORTS_UDP).get("stringSetValue", []))
    if any(str(p) in used_udp for p in needs.udp_ports):
        return "RESOURCE:PORTS_UDP"
    return None


def hold(instance: Doc, task_id: str, needs: Needs, group: str) -> None:
    """Reserve ``needs`` for a task on ``instance``: remainingResources change by exactly
    what the task takes (no recomputation from every task)."""
    tasks = instance.setdefault("_tasks", {})
    if task_id in tasks:
        return
    tasks[task_id] = {"needs": needs.as_doc(), "group": group}
    if "remainingResources" not in instance:
        refresh(instance)
        return
    _adjust(instance, needs, -1)


def free(instance: Doc, task_id: str) -> bool:
    """Give back what a task held; False if it held nothing here."""
    tasks = instance.get("_tasks", {})
    entry = tasks.pop(task_id, None)
    if entry is None:
        return False
    if "remainingResources" not in instance:
        refresh(instance)
        return True
    _adjust(instance, Needs.from_doc(entry["needs"]), 1)
    return True


def _adjust(instance: Doc, needs: Needs, sign: int) -> None:
    """Apply one task's needs to remainingResources (sign -1: taken, +1: given back).

    Ports given back stay listed when the instance reserves them itself or another task
    it holds uses them, so the result is what :func:`remaining` would compute."""
    for r in instance["remainingResources"]:
        name = r["name"]
        if name == CPU:
            r["integerValue"] += sign * needs.cpu
        elif name == MEMORY:
            r["integerValue"] += sign * needs.memory
        elif name in (PORTS, PORTS_UDP):
            mine = needs.ports if name == PORTS else needs.udp_ports
            if not mine:
                continue
            used: list[str] = r.setdefault("stringSetValue", [])
            if sign < 0:
                for p in sorted(mine):
                    if str(p) not in used:
                        used.append(str(p))
                continue
            keep = set(_value(instance["registeredResources"], name).get("stringSetValue", []))
            member = "ports" if name == PORTS else "udp"
            for t in instance.get("_tasks", {}).values():
                keep.update(str(p) for p in t["needs"].get(member, []))
            r["stringSetValue"] = [p for p in used if p in keep or int(p) not in mine]


def groups(instance: Doc) -> list[str]:
    """The groups of the tasks an instance holds (``task:group`` in the query language)."""
    return [t.get("group", "") for t in instance.get("_tasks", {}).values()]
