"""The DAEMON scheduling strategy: one task on each active container instance that meets
the service's placement constraints (and the task definition's required attributes).

ECS Developer Guide, "Amazon ECS services" (daemon): "The daemon service scheduler
places one task on each active container instance that meets all of the task placement
constraints ... When a container instance joins the cluster, the service scheduler runs
a task on it"; it "does not place any tasks on instances that are DRAINING", and it
"stops tasks that do not meet the placement constraints".  The daemon's tasks are the
last ones to leave a draining instance: they stop once no other service's task is
left there.  Deployments replace the task on each instance within
minimumHealthyPercent / maximumPercent (defaults 0 / 100): the old task stops first,
the new one starts once the old one is gone.

:func:`plan` is the pure decision for one pass; the scheduler carries it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cargobay.services.ecs.deployments import TaskView, max_tasks, min_healthy


@dataclass(frozen=True)
class Host:
    key: str
    #: ACTIVE or DRAINING
    status: str
    #: ACTIVE and meeting the constraints: it should run one task
    eligible: bool
    #: DRAINING and holding no task but daemons' ones
    only_daemons: bool = False
    #: a task of this service is still stopping there
    stopping: bool = False


@dataclass
class DaemonPlan:
    desired: int = 0
    start_on: list[str] = field(default_factory=list)
    #: (task id, why): "drain", "constraint", "duplicate", "scale" (an old deployment's)
    stop: list[tuple[str, str]] = field(default_factory=list)


def plan(
    primary_id: str,
    minimum_percent: int,
    maximum_percent: int,
    hosts: list[Host],
    tasks: list[TaskView],
    *,
    can_start: bool = True,
    active: bool = True,
) -> DaemonPlan:
    """Starts (by instance) and stops for one pass (``tasks``: not stopped, not being
    stopped; ``active`` False for a service being deleted: everything stops)."""
    out = DaemonPlan()
    by_key = {h.key: h for h in hosts}
    eligible = [h for h in hosts if h.eligible]
    out.desired = len(eligible) if active else 0
    low = min_healthy(out.desired, minimum_percent)
    high = max_tasks(out.desired, maximum_percent)

    on: dict[str, list[TaskView]] = {}
    for t in tasks:
        on.setdefault(t.instance, []).append(t)

    kept: dict[str, list[TaskView]] = {}
    for key, here in on.items():
        host = by_key.get(key)
        if not active:
            out.stop += [(t.task_id, "scale") for t in here]
            continue
        if host is None:
            continue  # the instance is gone: its tasks stop with it
        if host.status != "ACTIVE":
            if host.only_daemons:
                out.stop += [(t.task_id, "drain") for t in here]
            continue
        if not host.eligible:
            out.stop += [(t.task_id, "constraint") for t in here]
            continue
        # one task per instance: the primary's (a healthy one first), else the healthiest
        ranked = sorted(here, key=lambda t: (t.deployment != primary_id, not t.healthy,
                                             -t.created_at))
        kept[key] = ranked[:1]
        out.stop += [(t.task_id, "duplicate") for t in ranked[1:]]
    if not active:
        return out

    stopped = {s for s, _ in out.stop}
    live = [t for t in tasks if t.task_id not in stopped]
    healthy = sum(1 for t in live if t.healthy)
    count = len(live)
    for host in eligible:
        here = kept.get(host.key, [])
        if any(t.deployment == primary_id for t in here):
            continue
        if here:
            old = here[0]
            if old.healthy and healthy - 1 < low:
                continue
            out.stop.append((old.task_id, "scale"))
            healthy -= old.healthy
            count -= 1
            continue  # its replacement starts once it is gone
        if host.stopping or not can_start or count >= high:
            continue
        out.start_on.append(host.key)
        count += 1
    return out
