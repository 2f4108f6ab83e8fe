"""The deployment circuit breaker, as ECS documents it.

ECS Developer Guide, "How the Amazon ECS deployment circuit breaker detects failures",
and the API reference (Deployment.failedTasks, ServiceDeploymentCircuitBreaker):

- The threshold is ``0.5 × desired task count`` (rounded up), at least 3 and at most 200.
- Stage 1: tasks that stop without reaching RUNNING count as failures ("A task is
  considered a failure if the service scheduler can't launch the task, the task doesn't
  transition to a RUNNING state, or if it fails any of its defined health checks and is
  stopped").  "Once a service deployment has one or more successfully running tasks,
  the failed task count resets to zero" and stage 2 begins: from then on only tasks
  stopped for failing their health checks count.
- At the threshold the deployment's rolloutState becomes FAILED ("ECS deployment circuit
  breaker: tasks failed to start.") and it launches no more tasks.  With rollback, "it
  looks for the most recent deployment that is in a COMPLETED state ... When the rollback
  starts, the deployment changes from a COMPLETED to IN_PROGRESS. This means that the
  deployment is not eligible for another rollback until it reaches a COMPLETED state.
  When the deployment circuit breaker does not find a deployment that is in a COMPLETED
  state, the circuit breaker does not launch new tasks and the deployment is stalled."

Tasks stopped by the scheduler or a user (stopCode ServiceSchedulerInitiated,
UserInitiated) are not failures, except the scheduler's stops for failed health checks.
The count is derived from the deployment's tasks each time (they stay in the store for
an hour after they stop), so it survives a restart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cargobay.services.ecs import deployments as deps
from cargobay.services.ecs.service_tasks import TaskState

Doc = dict[str, Any]

MIN_THRESHOLD = 3
MAX_THRESHOLD = 200

SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"
USER_INITIATED = "UserInitiated"
#: the stoppedReason of a task the scheduler replaces for failing its health checks
HEALTH_CHECK_REASON = "Task failed container health checks"


def threshold(desired: int) -> int:
    return min(MAX_THRESHOLD, max(MIN_THRESHOLD, math.ceil(0.5 * desired)))


def failed_tasks(deployment: Doc, states: Iterable[TaskState]) -> int:
    """The deployment's failed tasks, counted as the two stages say."""
    since = float(deployment.get("_since") or deployment.get("createdAt") or 0.0)
    succeeded = deployment.get("_succeededAt")
    count = 0
    for t in states:
        if t.deployment != deployment["id"] or t.live:
            continue
        ended = t.stopping_at if t.stopping_at is not None else t.stopped_at
        if ended is None or ended < since:
            continue
        if succeeded is None:
            if not t.ran and t.stop_code not in (SERVICE_SCHEDULER_INITIATED, USER_INITIATED):
                count += 1
        elif ended >= float(succeeded) and (
            t.stop_code == SERVICE_SCHEDULER_INITIATED and t.stopped_reason == HEALTH_CHECK_REASON
        ):
            count += 1
    return count


@dataclass(frozen=True)
class Trip:
    failed: str
    #: the deployment rolled back to, if any
    rolled_back_to: str | None


def check(service: Doc, states: Iterable[TaskState], now: float) -> Trip | None:
    """Trip the breaker of the service's IN_PROGRESS primary deployment when its failures
    reached the threshold: it becomes FAILED and, with rollback, the last COMPLETED
    deployment becomes PRIMARY again (changing ``service`` in place)."""
    breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker")
    primary = deps.primary(service)
    if not breaker or not breaker.get("enable") or primary is None:
        return None
    if primary.get("rolloutState") != deps.IN_PROGRESS:
        return None
    if failed_tasks(primary, states) < threshold(int(service.get("desiredCount", 0))):
        return None
    primary.update(rolloutState=deps.FAILED, rolloutStateReason=deps.FAILED_REASON,
                   updatedAt=now)
    target = service.get("_lastCompleted") if breaker.get("rollback") else None
    if not target or target["id"] == primary["id"]:
        return Trip(primary["id"], None)
    service["_lastCompleted"] = None  # not eligible again until it completes
    back = next((d for d in service["deployments"] if d["id"] == target["id"]), None)
    if back is None:
        back = dict(target)
    back.pop("_succeededAt", None)
    back.update(
        status=deps.PRIMARY,
        desiredCount=int(service.get("desiredCount", 0)),
        rolloutState=deps.IN_PROGRESS,
        rolloutStateReason=deps.rollback_reason(back["id"]),
        updatedAt=now,
        _since=now,
    )
    primary["status"] = deps.ACTIVE
    service["deployments"] = [back, *(d for d in service["deployments"] if d is not back
                                      and d["id"] != back["id"])]
    service["taskDefinition"] = back["taskDefinition"]
    return Trip(primary["id"], back["id"])
