"""A task's lifecycle on the control plane: the documented states, in order, and what
moves a task between them.

ECS Developer Guide, "Amazon ECS task lifecycle": lastStatus goes PROVISIONING →
PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED.
A task never goes back.  A task that never ran skips ACTIVATING, RUNNING and
DEACTIVATING on its way to STOPPED.  Every state passed is recorded in the task's
``_history`` as ``[status, clock time]`` (several states can share a time).

What moves a task: placement (RunTask/StartTask: PROVISIONING, PENDING), the agent's
SubmitTaskStateChange (RUNNING; STOPPED), StopTask (desiredStatus STOPPED: DEACTIVATING,
STOPPING), and the control plane giving up on a lost host.  The stopCode is derived here
(docs/agent-protocol.md §3), with the stoppedReason texts ECS writes.

All functions change the task document in place and return whether anything changed;
the caller bumps ``version`` and stores it.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

ORDER = (
    "PROVISIONING",
    "PENDING",
    "ACTIVATING",
    "RUNNING",
    "DEACTIVATING",
    "STOPPING",
    "DEPROVISIONING",
    "STOPPED",
)
RANK = {s: i for i, s in enumerate(ORDER)}
#: states only a task that reached RUNNING passes through
_RUN_ONLY = frozenset({"ACTIVATING", "RUNNING", "DEACTIVATING"})

# stopCode values (TaskStopCode in the model)
TASK_FAILED_TO_START = "TaskFailedToStart"
ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
USER_INITIATED = "UserInitiated"
TERMINATION_NOTICE = "TerminationNotice"

ESSENTIAL_EXITED_REASON = "Essential container in task exited"
USER_STOP_REASON = "Task stopped by user"
FAILED_TO_START_REASON = "Task failed to start"

PENDING = "pending"
RUNNING = "running"


def started(task: Doc) -> bool:
    """Whether the task ever reached RUNNING."""
    return any(h[0] == "RUNNING" for h in task.get("_history", []))


def category(task: Doc) -> str | None:
    """Which counter the task is in: ``pending`` (not yet running), ``running`` (running,
    or on its way down after running), None once STOPPED.

    ECS counts runningTasksCount / pendingTasksCount by lastStatus RUNNING / PENDING;
    here the transitional states count with the side they came from, so a task is in
    exactly one counter from placement until it is STOPPED.
    """
    status = task["lastStatus"]
    if status == "STOPPED":
        return None
    if RANK[status] < RANK["RUNNING"]:
        return PENDING
    return RUNNING if started(task) else PENDING


def path(current: str, target: str, *, ran: bool) -> list[str]:
    """The states a task passes through from ``current`` to ``target`` (excluding
    ``current``); empty when ``target`` is not ahead of ``current``."""
    if RANK[target] <= RANK[current]:
        return []
    states = list(ORDER[RANK[current] + 1 : RANK[target] + 1])
    if not ran and RANK[target] > RANK["RUNNING"]:
        states = [s for s in states if s not in _RUN_ONLY]
    return states


def advance(task: Doc, target: str, now: float) -> bool:
    """Move ``task`` forward to ``target`` through the states between."""
    ran = started(task) or target in ("ACTIVATING", "RUNNING")
    states = path(task["lastStatus"], target, ran=ran)
    if not states:
        return False
    history: list[list[Any]] = task.setdefault("_history", [])
    for s in states:
        history.append([s, now])
    task["lastStatus"] = target
    return True


def place(task: Doc, now: float) -> None:
    """A new task placed on an instance: PROVISIONING, then PENDING (waiting on the agent)."""
    task["lastStatus"] = "PROVISIONING"
    task["_history"] = [["PROVISIONING", now]]
    advance(task, "PENDING", now)


def desire_stop(task: Doc, code: str, reason: str, now: float) -> bool:
    """desiredStatus STOPPED (StopTask, a lost host, a forced deregistration).

    A running task goes DEACTIVATING → STOPPING; a pending one STOPPING: both wait for
    the agent.  The first stop wins: a later one changes nothing.
    """
    if task["desiredStatus"] == "STOPPED" or task["lastStatus"] == "STOPPED":
        return False
    task["desiredStatus"] = "STOPPED"
    task["stopCode"] = code
    task["stoppedReason"] = reason
    task["stoppingAt"] = now
    advance(task, "STOPPING", now)
    return True


def finish(task: Doc, now: float, *, execution_stopped_at: float | None = None) -> bool:
    """The task is STOPPED (the agent said so, or the control plane decided it for a host
    that is gone): every container STOPPED as well."""
    if task["lastStatus"] == "STOPPED":
        return False
    task["desiredStatus"] = "STOPPED"
    task.setdefault("stoppingAt", now)
    task["executionStoppedAt"] = execution_stopped_at if execution_stopped_at else now
    task["stoppedAt"] = now
    advance(task, "STOPPED", now)
    for c in task.get("containers", []):
        c["lastStatus"] = "STOPPED"
    return True


def stop_code_for(task: Doc, reason: str | None) -> tuple[str, str]:
    """stopCode and stoppedReason when the agent reports STOPPED (docs/agent-protocol.md §3).

    - the control plane already asked for the stop (StopTask, ...): its code and reason;
    - "Essential container in task exited" → EssentialContainerExited;
    - a task that ran and stopped without a reason → EssentialContainerExited too;
    - anything else (CannotPullContainerError: ..., a task that never ran) → TaskFailedToStart.
    """
    if task.get("stopCode") and task.get("desiredStatus") == "STOPPED":
        return task["stopCode"], task.get("stoppedReason") or USER_STOP_REASON
    if reason == ESSENTIAL_EXITED_REASON or (not reason and started(task)):
        return ESSENTIAL_CONTAINER_EXITED, ESSENTIAL_EXITED_REASON
    if not reason:
        reason = next(
            (c["reason"] for c in task.get("containers", []) if c.get("reason")),
            FAILED_TO_START_REASON,
        )
    return TASK_FAILED_TO_START, reason


def on_agent_status(
    task: Doc,
    status: str,
    reason: str | None,
    now: float,
    execution_stopped_at: float | None = None,
) -> bool:
    """The agent's known status for the task (SubmitTaskStateChange ``status``).

    PENDING changes nothing; RUNNING moves the task to RUNNING (through ACTIVATING) and
    sets startedAt; STOPPED finishes it with the derived stopCode.  A status that would
    move the task backwards is ignored (reports are resent after restarts).
    """
    if status == "RUNNING":
        if task["desiredStatus"] == "STOPPED" or RANK[task["lastStatus"]] >= RANK["RUNNING"]:
            if "startedAt" not in task and task["lastStatus"] != "STOPPED":
                task["startedAt"] = now
                return True
            return False
        advance(task, "RUNNING", now)
        task["startedAt"] = now
        return True
    if status == "STOPPED":
        if task["lastStatus"] == "STOPPED":
            return False
        code, text = stop_code_for(task, reason)
        task["stopCode"] = code
        task["stoppedReason"] = text
        return finish(task, now, execution_stopped_at=execution_stopped_at)
    return False


#: the container healthStatus values ECS shows
HEALTH_STATUSES = ("HEALTHY", "UNHEALTHY", "UNKNOWN")


def apply_health(task: Doc, by_container: Any) -> bool:
    """Record the containers' health as reported (``{container name: status}``) on the
    task and its overall healthStatus; True if anything changed (the version is then
    bumped: the caller stores the task)."""
    td = task["_taskDefinition"]
    checked = {c["name"] for c in td["containerDefinitions"] if c.get("healthCheck")}
    essential = {c["name"] for c in td["containerDefinitions"] if c.get("essential", True)}
    changed = False
    for c in task["containers"]:
        status = by_container.get(c["name"])
        if c["name"] in checked and status in HEALTH_STATUSES and c.get("healthStatus") != status:
            c["healthStatus"] = status
            changed = True
    overall = task_health(task, checked, essential)
    if task.get("healthStatus") != overall:
        task["healthStatus"] = overall
        changed = True
    if changed:
        task["version"] = int(task.get("version", 0)) + 1
    return changed


def task_health(task: Doc, checked: set[str], essential: set[str]) -> str:
    """The task's healthStatus from its essential containers that have a health check:
    UNHEALTHY if any is, HEALTHY if all are, else UNKNOWN (ECS: "Determining task health")."""
    statuses = [
        c.get("healthStatus", "UNKNOWN")
        for c in task.get("containers", [])
        if c["name"] in checked and c["name"] in essential
    ]
    if not statuses:
        return "UNKNOWN"
    if "UNHEALTHY" in statuses:
        return "UNHEALTHY"
    if all(s == "HEALTHY" for s in statuses):
        return "HEALTHY"
    return "UNKNOWN"
