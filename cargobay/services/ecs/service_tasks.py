"""The tasks of every service, as the scheduler needs to see them on each pass.

A service's tasks are the tasks whose ``group`` is ``service:NAME`` in the service's
cluster; each records the deployment that started it as its ``startedBy``.  The store
is the truth: this index is built from it (one scan, at start and after a reset) and
kept current by a hook in the one place every task change is stored
(task_writes.commit calls :func:`observe`), so that a pass of the scheduler over
thousands of services reads no task document it does not need.

What the hook cannot see is caught up with on each pass: container health, which the
agent channel writes straight to the task (the scheduler re-reads the running tasks with
health checks that are not HEALTHY yet on every pass of their service, and the HEALTHY
ones a few hundred at a time, :meth:`ServiceTasks.watch_health`), and anything a
rolled-back batch may have left out (a slice of the index is checked against the store
on every pass, :meth:`ServiceTasks.verify`).

Indexes are found by their store (:func:`register`), so several Apps in one process
(tests) each keep their own.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cargobay.services.ecs import task_store as tasks
from cargobay.store import Store

Doc = dict[str, Any]

GROUP_PREFIX = "service:"


@dataclass(slots=True)
class TaskState:
    task_id: str
    key: str
    #: the deployment that started it (its startedBy)
    deployment: str
    instance_key: str
    zone: str
    last_status: str
    desired: str
    health: str
    #: an essential container has a health check: healthy only once HEALTHY
    checked: bool
    #: it reached RUNNING at some point
    ran: bool
    created_at: float
    started_at: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    #: when it was asked to stop, or stopped (whichever came first)
    stopping_at: float | None = None
    stopped_at: float | None = None

    @property
    def live(self) -> bool:
        """Not STOPPED and not asked to stop."""
        return self.desired == "RUNNING" and self.last_status != "STOPPED"

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"

    @property
    def healthy(self) -> bool:
        """RUNNING and, when it has health checks, HEALTHY."""
        return (
            self.live
            and self.last_status == "RUNNING"
            and (not self.checked or self.health == "HEALTHY")
        )


def service_key_of(task_key: str, group: str) -> str | None:
    """The key of the service a task belongs to (its cluster's prefix + the name)."""
    if not group.startswith(GROUP_PREFIX):
        return None
    return f"{task_key.rsplit('/', 1)[0]}/{group[len(GROUP_PREFIX):]}"


def state_of(key: str, task: Doc) -> TaskState:
    td = task.get("_taskDefinition") or {}
    checked = any(
        c.get("healthCheck") and c.get("essential", True)
        for c in td.get("containerDefinitions", [])
    )
    history = task.get("_history") or []
    return TaskState(
        task_id=key.rsplit("/", 1)[-1],
        key=key,
        deployment=str(task.get("startedBy", "")),
        instance_key=str(task.get("_instanceKey", "")),
        zone=str(task.get("availabilityZone", "")),
        last_status=task["lastStatus"],
        desired=task["desiredStatus"],
        health=str(task.get("healthStatus", "UNKNOWN")),
        checked=checked,
        ran=any(h[0] == "RUNNING" for h in history),
        created_at=float(task.get("createdAt", 0.0)),
        started_at=task.get("startedAt"),
        stop_code=task.get("stopCode"),
        stopped_reason=task.get("stoppedReason"),
        stopping_at=task.get("stoppingAt"),
        stopped_at=task.get("stoppedAt"),
    )


class ServiceTasks:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._by_service: dict[str, dict[str, TaskState]] = {}
        #: services whose tasks changed since the scheduler last looked
        self.dirty: set[str] = set()
        #: called after each change (the scheduler wakes up)
        self.on_change: Callable[[], None] | None = None
        #: (service key, task id) still to check in this round of verify()
        self._verify_queue: list[tuple[str, str]] = []
        self._health_queue: list[tuple[str, TaskState]] = []
        self.load()
        _INDEXES[store] = self

    def load(self) -> None:
        self._by_service.clear()
        for key, doc in self.store.scan(tasks.TABLE):
            skey = service_key_of(key, doc.get("group", ""))
            if skey is not None:
                self._by_service.setdefault(skey, {})[key.rsplit("/", 1)[-1]] = state_of(
                    key, doc
                )

    def clear(self) -> None:
        self._by_service.clear()
        self.dirty.clear()
        self._verify_queue.clear()
        self._health_queue.clear()

    # -- kept current --------------------------------------------------------------------

    def observe(self, task: Doc) -> None:
        """A task document was stored (task_writes.commit)."""
        group = task.get("group", "")
        if not group.startswith(GROUP_PREFIX):
            return
        key = tasks.key_of(task)
        skey = service_key_of(key, group)
        if skey is None:
            return
        self._by_service.setdefault(skey, {})[key.rsplit("/", 1)[-1]] = state_of(key, task)
        self.dirty.add(skey)
        if self.on_change is not None:
            self.on_change()

    def refresh(self, service_key: str, state: TaskState) -> TaskState | None:
        """The task as stored now (None, and forgotten, if it is gone)."""
        doc = self.store.get(tasks.TABLE, state.key)
        by_id = self._by_service.get(service_key, {})
        if doc is None:
            by_id.pop(state.task_id, None)
            return None
        fresh = state_of(state.key, doc)
        by_id[state.task_id] = fresh
        return fresh

    def verify(self, count: int) -> set[str]:
        """Check at most ``count`` entries against the store, going round the whole index
        (a large service's tasks over several calls); the services whose entries were out
        of date."""
        changed: set[str] = set()
        for _ in range(count):
            if not self._verify_queue:
                self._verify_queue = [
                    (skey, task_id)
                    for skey, by_id in self._by_service.items()
                    for task_id in by_id
                ]
                if not self._verify_queue:
                    break
            skey, task_id = self._verify_queue.pop()
            state = self._by_service.get(skey, {}).get(task_id)
            if state is not None and self.refresh(skey, state) != state:
                changed.add(skey)
        return changed

    def watch_health(self, count: int) -> set[str]:
        """Re-read ``count`` RUNNING tasks that have health checks and were HEALTHY (round
        robin): the agent channel writes container health straight to the task, so a
        task turning UNHEALTHY is seen within a few passes.  Returns the services whose
        tasks changed."""
        changed: set[str] = set()
        if not self._health_queue:
            self._health_queue = [
                (skey, st) for skey, by_id in self._by_service.items()
                for st in by_id.values()
                if st.checked and st.live and st.last_status == "RUNNING"
            ]
        for _ in range(min(count, len(self._health_queue))):
            skey, st = self._health_queue.pop()
            if self._by_service.get(skey, {}).get(st.task_id) is not st:
                continue  # changed since (the hook saw it)
            if self.refresh(skey, st) != st:
                changed.add(skey)
        return changed

    def forget(self, service_key: str, task_id: str) -> None:
        self._by_service.get(service_key, {}).pop(task_id, None)

    def drop_service(self, service_key: str) -> None:
        self._by_service.pop(service_key, None)
        self.dirty.discard(service_key)

    # -- read ------------------------------------------------------------------------------

    def of(self, service_key: str) -> dict[str, TaskState]:
        """The service's tasks by task id (the index's own dict: do not change it)."""
        return self._by_service.get(service_key, {})

    def services(self) -> Iterator[str]:
        return iter(list(self._by_service))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_service.values())


_INDEXES: weakref.WeakKeyDictionary[Any, ServiceTasks] = weakref.WeakKeyDictionary()


def observe(store: Store, task: Doc) -> None:
    """The hook task_writes.commit calls after storing a task."""
    index = _INDEXES.get(store)
    if index is not None:
        index.observe(task)
