"""The Fargate fleet's desired set: every Fargate task not yet STOPPED.

Table ``ecs.fargate_tasks``, key: the task's key (``<account>/<region>/<cluster>/<id>``),
doc ``{"desired", "stopReason", "stopCode"}``.  :func:`observe` is called by
task_writes.commit for every task it stores, in the same batch, so the set is exact
whatever changed the task (RunTask, StopTask, the service scheduler, a report):

- a Fargate task not STOPPED is listed with its desired status;
- a Fargate task stored STOPPED leaves the set, its ENI attachment becomes DETACHED
  and its 127.1.x.y address is freed (fargate_network), in that same batch.

Listeners (the fleet: cargobay/fargate/fleet.py) are told after each change so they
look at the set again; what they read comes from the store.
"""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs import fargate_network
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.store_listeners import StoreListeners
from cargobay.store import Store

Doc = dict[str, Any]

TABLE = "ecs.fargate_tasks"
FARGATE = "FARGATE"

#: per store: called after each change to the set (the Fargate fleet)
_listeners = StoreListeners()
listen = _listeners.listen
unlisten = _listeners.unlisten


def observe(store: Store, task: Doc) -> None:
    """Keep the set (and the task's network) in step with ``task``, about to be stored."""
    if task.get("launchType") != FARGATE:
        return
    key = tasks.key_of(task)
    if task["lastStatus"] == "STOPPED":
        fargate_network.set_eni_status(task, "DETACHED")
        ip = fargate_network.task_address(task)
        if ip is not None:
            fargate_network.release(store, ip, key)
        if store.get(TABLE, key) is None:
            return
        store.delete(TABLE, key)
    else:
        entry: Doc = {"desired": task["desiredStatus"]}
        if task["desiredStatus"] == "STOPPED":
            entry["stopReason"] = task.get("stoppedReason", "")
            entry["stopCode"] = task.get("stopCode", "")
        if store.get(TABLE, key) == entry:
            return
        store.put(TABLE, key, entry)
    _listeners.notify(store)


def live(store: Store) -> list[tuple[str, Doc]]:
    """(task key, entry) of every Fargate task not yet STOPPED."""
    return list(store.scan(TABLE, ""))
