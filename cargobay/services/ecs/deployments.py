"""Service deployments, their configuration, and the rolling update's arithmetic.

ECS Developer Guide, "Deploy Amazon ECS services by replacing tasks":

- ``minimumHealthyPercent`` is "the lower limit on the number of tasks that should be
  running and healthy for a service during a rolling deployment or when a container
  instance is draining, as a percent of the desired number of tasks ... This value is
  rounded up."  ``maximumPercent`` is "the upper limit on the number of tasks that should
  be running for a service during a rolling deployment or when a container instance is
  draining ... This value is rounded down."
- Defaults (DeploymentConfiguration): REPLICA 100 / 200; DAEMON 0 / 100.
- "If tasks become unhealthy, the Amazon ECS service scheduler will start replacement
  tasks first and maintain minimumHealthyPercent tasks until the replacement tasks become
  healthy"; when maximumPercent leaves no room, "the scheduler stops the unhealthy tasks
  one-by-one".

A deployment (``ecs-svc/`` + 19 digits) is one task definition and configuration; the
service's tasks record the deployment that started them as their ``startedBy``.  Status
PRIMARY (the newest), ACTIVE (older ones that still have tasks), INACTIVE (replaced: no
longer listed); rolloutState IN_PROGRESS, COMPLETED or FAILED with the reasons ECS gives.

:func:`plan` decides, from the tasks a service has, which to start and which to stop in
one pass of the scheduler: a pure function, so the rules above can be tested alone.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Any

from cargobay.services.ecs.errors import InvalidParameterException

Doc = dict[str, Any]

REPLICA = "REPLICA"
DAEMON = "DAEMON"

PRIMARY = "PRIMARY"
ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"

DEFAULTS = {REPLICA: (100, 200), DAEMON: (0, 100)}


def new_id() -> str:
    """``ecs-svc/`` and 19 digits, as ECS names deployments."""
    return f"ecs-svc/{secrets.randbelow(9 * 10**18) + 10**18}"


def in_progress_reason(deployment_id: str) -> str:
    return f"ECS deployment {deployment_id} in progress."


def completed_reason(deployment_id: str) -> str:
    return f"ECS deployment {deployment_id} completed."


FAILED_REASON = "ECS deployment circuit breaker: tasks failed to start."


def rollback_reason(deployment_id: str) -> str:
    return f"ECS deployment circuit breaker: rolling back to deploymentId {deployment_id}."


# -- configuration --------------------------------------------------------------------------


def configuration(given: Doc | None, strategy: str, current: Doc | None = None) -> Doc:
    """The deploymentConfiguration a service keeps: ``given`` over ``current`` (an
    UpdateService changes what it names), ECS's defaults for what neither has."""
    low, high = DEFAULTS[strategy]
    out: Doc = dict(current) if current else {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": high,
        "minimumHealthyPercent": low,
    }
    for k, v in (given or {}).items():
        out[k] = v
    breaker = out.get("deploymentCircuitBreaker") or {}
    out["deploymentCircuitBreaker"] = {
        "enable": bool(breaker.get("enable", False)),
        "rollback": bool(breaker.get("rollback", False)),
    }
    minimum, maximum = int(out["minimumHealthyPercent"]), int(out["maximumPercent"])
    if not 0 <= minimum <= 100:
        raise InvalidParameterException(
            "The minimumHealthyPercent must be between 0 and 100."
        )
    if strategy == DAEMON and maximum != 100:
        raise InvalidParameterException(
            "The maximumPercent of a service with the DAEMON scheduling strategy must be 100."
        )
    if maximum < 100:
        raise InvalidParameterException("The maximumPercent must be at least 100.")
    if out.get("strategy") not in (None, "ROLLING"):
        raise InvalidParameterException(
            f"cargobay supports only the ROLLING deployment strategy, not {out['strategy']}."
        )
    return out


def min_healthy(desired: int, percent: int) -> int:
    """Tasks that must stay healthy: ``desired × percent``, rounded up."""
    return math.ceil(desired * percent / 100)


def max_tasks(desired: int, percent: int) -> int:
    """Tasks allowed RUNNING or PENDING: ``desired × percent``, rounded down."""
    return math.floor(desired * percent / 100)


def new_deployment(service: Doc, task_definition: str, now: float) -> Doc:
    """The PRIMARY deployment of ``task_definition`` with the service's configuration."""
    d: Doc = {
        "id": new_id(),
        "status": PRIMARY,
        "taskDefinition": task_definition,
        "desiredCount": int(service.get("desiredCount", 0)),
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
    }
    if service.get("capacityProviderStrategy"):
        d["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    if service.get("launchType"):
        d["launchType"] = service["launchType"]
    if service.get("platformVersion"):
        d["platformVersion"] = service["platformVersion"]
    if service.get("networkConfiguration"):
        d["networkConfiguration"] = service["networkConfiguration"]
    d.update(rolloutState=IN_PROGRESS, rolloutStateReason=in_progress_reason(d["id"]),
             _since=now)
    return d


def primary(service: Doc) -> Doc | None:
    found: Doc
    for found in service.get("deployments", []):
        if found["status"] == PRIMARY:
            return found
    return None


def start_deployment(service: Doc, task_definition: str, now: float) -> Doc:
    """A new PRIMARY deployment; the one it replaces becomes ACTIVE."""
    d = new_deployment(service, task_definition, now)
    for old in service.get("deployments", []):
        if old["status"] == PRIMARY:
            old["status"] = ACTIVE
            old["updatedAt"] = now
    service["deployments"] = [d, *service.get("deployments", [])]
    service["taskDefinition"] = task_definition
    return d


# -- one pass of the rolling update -----------------------------------------------------------


@dataclass(slots=True)
class TaskView:
    """What the rolling update needs to know about one task that is not stopped."""

    task_id: str
    deployment: str
    healthy: bool
    unhealthy: bool
    #: on an instance that is DRAINING (or gone): to be replaced
    draining: bool
    instance: str
    zone: str
    created_at: float


@dataclass
class Plan:
    start: int = 0
    #: (task id, why): "scale" (scale-in or replaced by the deployment), "drain",
    #: "unhealthy"
    stop: list[tuple[str, str]] = field(default_factory=list)
    #: neither a start nor a stop was allowed though the service is not where it should be
    stuck: bool = False


def _stop_order(tasks: list[TaskView]) -> list[TaskView]:
    """Which tasks to stop first: the ones not (yet) healthy, then the ones in the
    Availability Zone, then on the instance, with the most of these tasks (keeping the
    rest balanced, as ECS does when it scales in), newest first."""
    zones: dict[str, int] = {}
    hosts: dict[str, int] = {}
    for t in tasks:
        zones[t.zone] = zones.get(t.zone, 0) + 1
        hosts[t.instance] = hosts.get(t.instance, 0) + 1
    return sorted(
        tasks,
        key=lambda t: (t.healthy, -zones[t.zone], -hosts[t.instance], -t.created_at, t.task_id),
    )


def plan(
    desired: int,
    minimum_percent: int,
    maximum_percent: int,
    primary_id: str,
    tasks: list[TaskView],
    *,
    can_start: bool = True,
) -> Plan:
    """Starts and stops for one pass of a REPLICA service (``tasks``: those not STOPPED
    and not being stopped).

    Keepers are the primary deployment's tasks that are not unhealthy and not on a
    draining instance; everything else is retiring.  In order: keepers beyond the desired
    count stop (scale-in); retiring tasks stop while the healthy ones stay at or above
    the minimum (those not healthy stop freely); the primary starts what it lacks within
    the maximum; unhealthy tasks stop once their replacements count healthy, or one by
    one when the maximum leaves no room for a replacement.
    """
    out = Plan()
    low = min_healthy(desired, minimum_percent)
    high = max_tasks(desired, maximum_percent)
    keepers = [t for t in tasks if t.deployment == primary_id and not t.draining
               and not t.unhealthy]
    kept = {t.task_id for t in keepers}
    unhealthy = [t for t in tasks if t.unhealthy]
    retiring = [t for t in tasks if t.task_id not in kept and not t.unhealthy]
    healthy = sum(1 for t in tasks if t.healthy)
    live = len(tasks)

    extra = len(keepers) - desired
    if extra > 0:
        for t in _stop_order(keepers)[:extra]:
            out.stop.append((t.task_id, "scale"))
            healthy -= t.healthy
            live -= 1
        gone = {s for s, _ in out.stop}
        keepers = [t for t in keepers if t.task_id not in gone]

    for t in _stop_order(retiring):
        if t.healthy and healthy - 1 < low:
            continue
        out.stop.append((t.task_id, "drain" if t.draining and t.deployment == primary_id
                         else "scale"))
        healthy -= t.healthy
        live -= 1

    need = desired - len(keepers)
    room = high - live
    if can_start and need > 0:
        out.start = max(0, min(need, room))
        live += out.start

    if unhealthy:
        keepers_healthy = sum(1 for t in keepers if t.healthy)
        replaced = max(0, keepers_healthy + len(unhealthy) - desired)
        if replaced == 0 and need > 0 and room <= 0:
            replaced = 1  # no room for a replacement: one by one
        for t in _stop_order(unhealthy)[:replaced]:
            out.stop.append((t.task_id, "unhealthy"))

    # nothing can move, and nothing will: the primary lacks tasks, the maximum leaves no
    # room to start one, and every keeper is healthy already (so no retiring task may stop)
    moving = out.start or out.stop
    out.stuck = (not moving and can_start and need > 0 and room <= 0
                 and all(t.healthy for t in keepers))
    return out
