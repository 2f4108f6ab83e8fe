"""Tasks waiting in PROVISIONING for an Auto Scaling group provider's capacity
("Amazon ECS managed scaling behavior": a task of a provider with managed scaling that
cannot be placed stays PROVISIONING while the provider scales out, and counts in M).

- ``create`` stores such a task with no container instance (lastStatus PROVISIONING,
  desiredStatus RUNNING, ``capacityProviderName``) and lists it in
  ``ecs.capacity_waiting`` (key: the task's key).
- ``place_waiting`` (each second, capacity_scaling.CapacityScaler.place_loop; every
  FULL_EVERY seconds over every task, in between only those that may fit) puts each
  waiting task on the first instance of its provider that fits it, oldest first: it
  becomes PENDING there, holding its resources, and the agent hears of it.  A waiting
  task whose desiredStatus became STOPPED (StopTask, a service scaling down) is STOPPED
  at once (no agent has it); one still waiting after WAIT_TIMEOUT is stopped with
  stopCode TaskFailedToStart and WAIT_REASON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import placement, placement_rules, tag_store, task_launch
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.store_listeners import StoreListeners
from cargobay.services.ecs.task_lifecycle import advance, category, desire_stop, finish
from cargobay.services.ecs.task_writes import commit
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

TABLE = "ecs.capacity_waiting"
#: every this many passes, every waiting task is read (stops, timeouts)
FULL_EVERY = 5
#: how long a task may wait for capacity (cargobay's choice; ECS does not publish one)
WAIT_TIMEOUT = 30 * 60.0
WAIT_CODE = "TaskFailedToStart"
WAIT_REASON = "Capacity provider capacity was not available in time to place the task."


#: per store: called after a task starts waiting (capacity_scaling's placer)
_listeners = StoreListeners()
listen = _listeners.listen
unlisten = _listeners.unlisten


def create(store: Store, ctx: RequestContext, *, cluster: Doc, td: Doc, overrides: Doc,
           group: str, req: Doc, needs: placement.Needs, provider: str,
           tags: list[dict[str, str]], now: float) -> Doc:
    task = task_launch.new_task(
        ctx, cluster=cluster, instance={"containerInstanceArn": "", "attributes": []},
        instance_key="", td=td, overrides=overrides, group=group, req=req, needs=needs,
        now=now)
    for member in ("containerInstanceArn", "_instanceId", "_instanceKey"):
        task.pop(member, None)
    task["lastStatus"] = "PROVISIONING"
    task["_history"] = [["PROVISIONING", now]]
    task["capacityProviderName"] = provider
    rules = {k: req[k] for k in ("placementConstraints",) if req.get(k)}
    with store.batch():
        commit(store, task, None, new=True)
        if tags:
            tag_store.set_tags(store, task["taskArn"], tags)
        store.put(TABLE, tasks.key_of(task), {"provider": provider, "since": now,
                                              "size": repr(sorted(task["_needs"].items())),
                                              **rules})
    _listeners.notify(store)
    return task


def waiting_count(store: Store, cluster_key: str) -> dict[str, list[Doc]]:
    """The waiting tasks of a cluster by provider."""
    out: dict[str, list[Doc]] = {}
    for k, entry in store.scan(TABLE, cluster_key + "/"):
        task = store.get(tasks.TABLE, k)
        if task is not None and task["desiredStatus"] == "RUNNING":
            out.setdefault(entry["provider"], []).append(task)
    return out


def place_waiting(app: App, check_all: bool = True) -> int:
    """One pass over the waiting tasks; how many were placed.  Without ``check_all``,
    tasks that cannot be placed now (their provider has no instance, or a task of the
    same size found no room) are skipped unread: stops and timeouts wait for the next
    full pass."""
    store = app.store
    now = app.clock.now()
    placed = 0
    candidates: dict[tuple[str, str], list[placement_rules.Candidate]] = {}
    full: set[tuple[tuple[str, str], str]] = set()
    for key, entry in list(store.scan(TABLE, "")):
        ck = (key.rsplit("/", 1)[0], entry["provider"])
        if not check_all and (candidates.get(ck) == [] or (ck, entry.get("size")) in full):
            continue
        task = store.get(tasks.TABLE, key)
        if task is None or task["lastStatus"] == "STOPPED" or task.get("_instanceKey"):
            store.delete(TABLE, key)
            continue
        # stopped while waiting (StopTask, a service scaling down: now STOPPING), or
        # waiting too long
        if task["desiredStatus"] == "STOPPED" or now - float(entry["since"]) >= WAIT_TIMEOUT:
            _stop(app, key, task, now)
            continue
        if ck not in candidates:
            candidates[ck] = [
                placement_rules.Candidate(k, d)
                for k, d in store.scan(instances.TABLE, ck[0] + "/")
                if d.get("capacityProviderName") == entry["provider"]
                and d["status"] == instances.ACTIVE
            ]
        constraints = entry.get("placementConstraints") or []
        # tasks of one size without constraints: once one fits nowhere, none does
        size = None if constraints else (ck, str(entry.get("size")))
        if size is not None and size in full:
            continue
        rules = placement_rules.rules(constraints, [], task["_taskDefinition"])
        needs = placement.Needs.from_doc(task["_needs"])
        chosen = next((c for c in candidates[ck]
                       if placement_rules.reason_against(c, needs, task["group"], rules)
                       is None), None)
        if chosen is None:
            if size is not None:
                full.add(size)
            continue
        _attach(app, key, task, chosen, now)
        placed += 1
    return placed


def _attach(app: App, key: str, task: Doc, chosen: placement_rules.Candidate,
            now: float) -> None:
    store = app.store
    inst = chosen.doc
    before = category(task)
    task["containerInstanceArn"] = inst["containerInstanceArn"]
    task["_instanceKey"] = chosen.key
    task["_instanceId"] = chosen.key.rsplit("/", 1)[-1]
    for a in inst.get("attributes", []):
        if a["name"] == "ecs.cpu-architecture" and a.get("value"):
            task["attributes"] = [{"name": "ecs.cpu-architecture", "value": a["value"]}]
        elif a["name"] == "ecs.availability-zone" and a.get("value"):
            task["availabilityZone"] = a["value"]
    advance(task, "PENDING", now)
    # the cluster counted the task when it began to wait; the instance counts it now
    inst["pendingTasksCount"] = int(inst.get("pendingTasksCount", 0)) + 1
    with store.batch():
        ikey = commit(store, task, before, instance=inst, desired_changed=True)
        store.delete(TABLE, key)
    if ikey is not None:
        app.agent_channel.notify(ikey)
    task_state_change(app, task)


def _stop(app: App, key: str, task: Doc, now: float) -> None:
    store = app.store
    before = category(task)
    desire_stop(task, WAIT_CODE, WAIT_REASON, now)
    finish(task, now)
    with store.batch():
        commit(store, task, before, desired_changed=True)
        store.delete(TABLE, key)
    task_state_change(app, task)
