"""A service's event log: the last 100 events, with the texts ECS's scheduler writes.

ECS Developer Guide, "Amazon ECS service event messages": events from the service
scheduler carry the prefix ``(service NAME)``; "we only show the 100 most recent events
and duplicate event messages are omitted until either the cause is resolved or six
hours passes".  DescribeServices lists them newest first.

Table ``ecs.service_events``, key = the service's key: ``{"events": [...]}`` newest
first, plus ``_last`` (message → clock time it was last written) for the duplicates
rule.  A message kind that can repeat while its cause lasts (placement failures, the
steady state) is written through :func:`add` with ``dedupe=True``; :func:`resolve`
forgets one once its cause is gone.
"""

from __future__ import annotations

import uuid
from typing import Any

from cargobay.store import Store

Doc = dict[str, Any]

TABLE = "ecs.service_events"
MAX_EVENTS = 100
#: seconds before a duplicate message is written again
DUPLICATE_WINDOW = 6 * 3600.0

TROUBLESHOOTING = (
    "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
)

#: what ECS says about the closest matching container instance, by failure reason
_CLOSEST = {
    "RESOURCE:CPU": "has insufficient CPU units available.",
    "RESOURCE:MEMORY": "has insufficient memory available.",
    "RESOURCE:PORTS": "is already using a port required by your task.",
    "RESOURCE:PORTS_UDP": "is already using a port required by your task.",
    "AGENT": 'encountered error "AGENT".',
    "ATTRIBUTE": "is missing an attribute required by your task.",
}


# -- message texts --------------------------------------------------------------------------


def _tasks(task_ids: list[str]) -> str:
    return " ".join(f"(task {t})" for t in task_ids)


def started(name: str, task_ids: list[str]) -> str:
    return f"(service {name}) has started {len(task_ids)} tasks: {_tasks(task_ids)}."


def stopped(name: str, task_ids: list[str]) -> str:
    return f"(service {name}) has stopped {len(task_ids)} running tasks: {_tasks(task_ids)}."


def steady(name: str) -> str:
    return f"(service {name}) has reached a steady state."


def unable_to_place(name: str, *, reason: str | None = None, closest: str | None = None,
                    why: str | None = None) -> str:
    """No container instance met all of the task's requirements.

    ``why`` for a cluster without instances ("Reason: ..."); ``closest`` and ``reason``
    name the closest matching instance and its failure reason (placement_rules).
    """
    text = (
        f"(service {name}) was unable to place a task because no container instance met "
        "all of its requirements."
    )
    if why:
        return f"{text} Reason: {why} {TROUBLESHOOTING}"
    if closest and reason in _CLOSEST:
        return f"{text} The closest matching (container-instance {closest}) {_CLOSEST[reason]} " \
               f"{TROUBLESHOOTING}"
    return f"{text} {TROUBLESHOOTING}"


def unable_to_launch(name: str, reason: str) -> str:
    """A task the scheduler cannot start for another reason than capacity."""
    return f"(service {name}) was unable to place a task. Reason: {reason}"


def deployment_stuck(name: str) -> str:
    return (
        f"(service {name}) was unable to stop or start tasks during a deployment because of "
        "the service deployment configuration. Update the minimumHealthyPercent or "
        "maximumPercent value and try again."
    )


def start_impaired(name: str) -> str:
    return f"(service {name}) is unable to consistently start tasks successfully."


def deployment_completed(name: str, deployment_id: str) -> str:
    return f"(service {name}) (deployment {deployment_id}) deployment completed."


def deployment_failed(name: str, deployment_id: str) -> str:
    return (
        f"(service {name}) (deployment {deployment_id}) deployment failed: tasks failed to "
        "start."
    )


def rolling_back(name: str, deployment_id: str) -> str:
    return f"(service {name}) rolling back to deployment {deployment_id}."


def daemon_constraint_violated(name: str, task_ids: list[str]) -> str:
    return (
        f"(service {name}) stopped {len(task_ids)} tasks that no longer met the placement "
        f"constraints: {_tasks(task_ids)}."
    )


# -- the log ---------------------------------------------------------------------------------


def events(store: Store, service_key: str) -> list[Doc]:
    """The service's events, newest first (as DescribeServices shows them)."""
    doc = store.get(TABLE, service_key)
    if doc is None:
        return []
    return [{"id": e["id"], "createdAt": e["createdAt"], "message": e["message"]}
            for e in doc.get("events", [])]


def add(store: Store, service_key: str, message: str, now: float, *,
        dedupe: bool = False) -> bool:
    """Write an event (the oldest beyond 100 go); with ``dedupe``, not when the same
    message was written less than six hours ago and its cause not resolved since.
    Returns whether it was written."""
    doc = store.get(TABLE, service_key) or {"events": [], "_last": {}}
    last: dict[str, float] = doc.setdefault("_last", {})
    if dedupe:
        when = last.get(message)
        if when is not None and now - when < DUPLICATE_WINDOW:
            return False
        last[message] = now
    doc["events"] = [
        {"id": str(uuid.uuid4()), "createdAt": now, "message": message},
        *doc.get("events", []),
    ][:MAX_EVENTS]
    store.put(TABLE, service_key, doc)
    return True


def resolve(store: Store, service_key: str, starts_with: str) -> None:
    """The cause of the deduplicated messages starting with ``starts_with`` is gone: the
    next such message is written at once."""
    doc = store.get(TABLE, service_key)
    if doc is None:
        return
    last: dict[str, float] = doc.get("_last", {})
    kept = {m: t for m, t in last.items() if not m.startswith(starts_with)}
    if len(kept) != len(last):
        doc["_last"] = kept
        store.put(TABLE, service_key, doc)


def drop(store: Store, service_key: str) -> None:
    store.delete(TABLE, service_key)
