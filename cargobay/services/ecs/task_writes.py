"""Storing a change to a task together with everything that follows from it.

One atomic batch writes the task (``version`` + 1) and keeps exact, from the task's
counter category before and after the change (task_lifecycle.category):

- the instance: its ``runningTasksCount`` / ``pendingTasksCount``, the resources the
  task holds there (held while the task is not STOPPED, freed when it is), its public
  ``version``, and its assignment ``_version`` when the agent's desired set changed
  (a task placed, a stop asked for, a task gone);
- the cluster: ``runningTasksCount`` / ``pendingTasksCount`` and the per-launch-type
  statistics.

:func:`commit` returns the instance's store key when its desired set changed: the
caller wakes that instance's long poll (AgentChannel.notify).  A service's task also
updates the scheduler's index of service tasks (service_tasks.observe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cargobay.services.ecs import (
    cluster_store,
    fargate_index,
    placement,
    placement_index,
    service_tasks,
    task_credential_keys,
)
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.task_lifecycle import PENDING, RUNNING, category
from cargobay.store import Store

Doc = dict[str, Any]

_INSTANCE_COUNTER = {PENDING: "pendingTasksCount", RUNNING: "runningTasksCount"}


def _stat(cat: str, launch_type: str) -> str:
    kind = "Fargate" if launch_type == "FARGATE" else "EC2"
    return f"{cat}{kind}TasksCount"


def cluster_deltas(before: str | None, after: str | None, launch_type: str) -> dict[str, int]:
    deltas: dict[str, int] = {}
    if before == after:
        return deltas
    for cat, sign in ((before, -1), (after, 1)):
        if cat is None:
            continue
        top = _INSTANCE_COUNTER[cat]
        deltas[top] = deltas.get(top, 0) + sign
        stat = _stat(cat, launch_type)
        deltas[stat] = deltas.get(stat, 0) + sign
    return deltas


@dataclass
class Deferred:
    """The instance documents and cluster counters that several task writes change
    (the tasks of one RunTask), written once each by :meth:`flush`."""

    instances: dict[str, Doc] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, cluster_key: str, deltas: dict[str, int]) -> None:
        total = self.counters.setdefault(cluster_key, {})
        for name, delta in deltas.items():
            total[name] = total.get(name, 0) + delta

    def flush(self, store: Store) -> None:
        """Write what was collected (call it inside the batch of the task writes)."""
        for ikey, inst in self.instances.items():
            store.put(instances.TABLE, ikey, inst)
        for cluster_key, deltas in self.counters.items():
            cluster_store.adjust_counters(store, cluster_key, deltas)
        self.instances.clear()
        self.counters.clear()


def commit(
    store: Store,
    task: Doc,
    before: str | None,
    *,
    instance: Doc | None = None,
    desired_changed: bool = False,
    new: bool = False,
    deferred: Deferred | None = None,
) -> str | None:
    """Write ``task`` (whose counter category was ``before``) and what follows from it.

    ``instance`` is the task's instance document when the caller already holds it (and
    will keep using it, e.g. placing several tasks); otherwise it is read here.
    ``deferred``: the instance and cluster-counter writes are collected there, to be
    written once (:meth:`Deferred.flush`) inside the caller's batch.
    """
    after = category(task)
    if not new:
        task["version"] = int(task.get("version", 0)) + 1
    ikey: str | None = task.get("_instanceKey")
    notify = new or desired_changed or after is None
    with store.batch():
        inst = instance
        if inst is None and ikey is not None:
            inst = store.get(instances.TABLE, ikey)
        if inst is not None and ikey is not None:
            _update_instance(inst, task, before, after, notify)
            if deferred is None:
                store.put(instances.TABLE, ikey, inst)
            else:
                deferred.instances[ikey] = inst
            placement_index.observe(store, ikey, inst)
        task_key = tasks.key_of(task)
        cluster_key = task_key.rsplit("/", 1)[0]
        deltas = cluster_deltas(before, after, task.get("launchType", "EC2"))
        if deferred is None:
            cluster_store.adjust_counters(store, cluster_key, deltas)
        else:
            deferred.count(cluster_key, deltas)
        # a Fargate task: the fleet's desired set, its address freed once STOPPED
        fargate_index.observe(store, task)
        store.put(tasks.TABLE, task_key, task)
        if after is None:
            # a stopped task's role sessions end with it, even if its agent is gone
            task_credential_keys.revoke_all(store, task_key)
    # the service scheduler's view of its tasks (service_tasks.py)
    service_tasks.observe(store, task)
    return ikey if notify and ikey is not None else None


def _update_instance(
    inst: Doc, task: Doc, before: str | None, after: str | None, notify: bool
) -> None:
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    changed = False
    if before != after:
        if before is not None:
            name = _INSTANCE_COUNTER[before]
            inst[name] = max(0, int(inst.get(name, 0)) - 1)
        if after is not None:
            name = _INSTANCE_COUNTER[after]
            inst[name] = int(inst.get(name, 0)) + 1
        changed = True
    if after is None:
        changed = placement.free(inst, task_id) or changed
    elif task_id not in inst.get("_tasks", {}):
        placement.hold(inst, task_id, placement.Needs.from_doc(task["_needs"]), task["group"])
        changed = True
    if after is not None:
        _desired(inst["_tasks"][task_id], task)
    if notify:
        inst["_version"] = int(inst.get("_version", 0)) + 1
    if changed:
        inst["version"] = int(inst.get("version", 0)) + 1


def _desired(entry: Doc, task: Doc) -> None:
    """What the agent's poll answer needs that can change after launch, kept with the
    instance so the answer does not read every task (agent_channel._answer)."""
    entry["desired"] = task["desiredStatus"]
    if task["desiredStatus"] == "STOPPED":
        entry["stopReason"] = task.get("stoppedReason", "")
        entry["stopCode"] = task.get("stopCode", "")
