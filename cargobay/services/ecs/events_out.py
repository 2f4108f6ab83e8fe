"""ECS's events on the default EventBridge bus (source ``aws.ecs``).

ECS Developer Guide, "Amazon ECS events": task state change, container instance state
change, service action and deployment state change events.  Each carries the resource
in ``resources`` and a ``detail`` shaped as the guide's examples: the task or instance
as the API describes it, times as ISO 8601 strings with milliseconds, the resource's
``version`` (events may repeat; equal versions are the same state) and ``updatedAt``.

The ECS code calls these after a change is stored.  When no enabled rule on the bus
could take an event, or the app has no EventBridge service (a test app with stub
services), no event is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.services.events.envelope import iso_ms, make_event
from cargobay.services.events.names import DEFAULT_BUS, BusRef

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

SOURCE = "aws.ecs"
TASK_STATE_CHANGE = "ECS Task State Change"
INSTANCE_STATE_CHANGE = "ECS Container Instance State Change"
SERVICE_ACTION = "ECS Service Action"
DEPLOYMENT_STATE_CHANGE = "ECS Deployment State Change"

_TASK_FIELDS = (
    "attachments", "attributes", "availabilityZone", "capacityProviderName", "clusterArn",
    "connectivity", "containerInstanceArn", "containers", "cpu", "desiredStatus",
    "enableExecuteCommand", "ephemeralStorage", "group", "healthStatus", "lastStatus",
    "launchType", "memory", "overrides", "platformFamily", "platformVersion", "startedBy",
    "stopCode", "stoppedReason", "taskArn", "taskDefinitionArn", "version",
)
_TASK_TIMES = ("connectivityAt", "createdAt", "executionStoppedAt", "pullStartedAt",
               "pullStoppedAt", "startedAt", "stoppedAt", "stoppingAt")
_CONTAINER_FIELDS = (
    "containerArn", "exitCode", "gpuIds", "healthStatus", "image", "imageDigest",
    "lastStatus", "name", "networkBindings", "networkInterfaces", "reason", "runtimeId",
    "taskArn", "cpu", "memory", "memoryReservation",
)
_INSTANCE_FIELDS = (
    "agentConnected", "attributes", "capacityProviderName", "containerInstanceArn",
    "ec2InstanceId", "pendingTasksCount", "registeredResources", "remainingResources",
    "runningTasksCount", "status", "statusReason", "version", "versionInfo",
)


def _bus(app: App, account: str, region: str) -> tuple[Any, BusRef] | None:
    """The EventBridge service and the default bus, when some rule there listens."""
    svc = app.services.get("events")
    if not callable(getattr(svc, "publish", None)):
        return None
    bus = BusRef(account, region, DEFAULT_BUS)
    wants = getattr(svc, "wants", None)
    if callable(wants) and not wants(bus):
        return None
    return svc, bus


def _publish(app: App, account: str, region: str, detail_type: str, resources: list[str],
             detail: Doc) -> None:
    target = _bus(app, account, region)
    if target is None:
        return
    svc, bus = target
    event = make_event(source=SOURCE, detail_type=detail_type, detail=detail,
                       account=account, region=region, time=app.clock.now(),
                       resources=resources)
    svc.publish(bus, event)


def _scope(arn: str) -> tuple[str, str]:
    """(account, region) of an ECS ARN."""
    parts = arn.split(":", 5)
    return parts[4], parts[3]


def _cluster_arn(resource_arn: str) -> str:
    """The cluster ARN of a task or container instance ARN (``<type>/<cluster>/<id>``)."""
    head, _, rest = resource_arn.partition(":task/")
    if not rest:
        head, _, rest = resource_arn.partition(":container-instance/")
    return f"{head}:cluster/{rest.split('/', 1)[0]}"


def task_detail(task: Doc, now: float) -> Doc:
    detail: Doc = {k: task[k] for k in _TASK_FIELDS if k in task}
    for k in _TASK_TIMES:
        if task.get(k) is not None:
            detail[k] = iso_ms(float(task[k]))
    for k in ("cpu", "memory"):
        if k in detail and detail[k] is not None:
            detail[k] = str(detail[k])
    detail.setdefault("clusterArn", _cluster_arn(task["taskArn"]))
    detail["containers"] = [
        {k: c[k] for k in _CONTAINER_FIELDS if k in c} for c in task.get("containers", [])
    ]
    detail["updatedAt"] = iso_ms(now)
    return detail


def task_state_change(app: App, task: Doc) -> None:
    """A task was placed, or its status, desired status or containers changed."""
    account, region = _scope(task["taskArn"])
    if _bus(app, account, region) is None:
        return  # nobody listens: do not build the event
    _publish(app, account, region, TASK_STATE_CHANGE, [task["taskArn"]],
             task_detail(task, app.clock.now()))


def container_instance_state_change(app: App, instance: Doc) -> None:
    """A container instance registered, changed status, connected or disconnected, or was
    deregistered."""
    arn = instance["containerInstanceArn"]
    account, region = _scope(arn)
    if _bus(app, account, region) is None:
        return
    detail: Doc = {k: instance[k] for k in _INSTANCE_FIELDS if k in instance}
    detail["clusterArn"] = _cluster_arn(arn)
    if instance.get("registeredAt") is not None:
        detail["registeredAt"] = iso_ms(float(instance["registeredAt"]))
    detail["updatedAt"] = iso_ms(app.clock.now())
    _publish(app, account, region, INSTANCE_STATE_CHANGE, [arn], detail)


def service_action(app: App, *, service_arn: str, cluster_arn: str, event_name: str,
                   event_type: str = "INFO", **extra: Any) -> None:
    """A service's action event (``eventName`` SERVICE_STEADY_STATE,
    SERVICE_TASK_PLACEMENT_FAILURE, CAPACITY_PROVIDER_STEADY_STATE, ...; ``eventType``
    INFO, WARN or ERROR); ``extra`` adds documented members such as ``reason``,
    ``capacityProviderArns`` or ``desiredCount``."""
    account, region = _scope(service_arn)
    detail: Doc = {"eventType": event_type, "eventName": event_name,
                   "clusterArn": cluster_arn, "createdAt": iso_ms(app.clock.now())}
    detail.update(extra)
    _publish(app, account, region, SERVICE_ACTION, [service_arn], detail)


def deployment_state_change(app: App, *, service_arn: str, deployment_id: str,
                            event_name: str, reason: str, event_type: str = "INFO") -> None:
    """A service deployment's state change (``eventName`` SERVICE_DEPLOYMENT_IN_PROGRESS,
    SERVICE_DEPLOYMENT_COMPLETED or SERVICE_DEPLOYMENT_FAILED; ``eventType`` INFO or
    ERROR)."""
    account, region = _scope(service_arn)
    detail: Doc = {"eventType": event_type, "eventName": event_name,
                   "deploymentId": deployment_id, "updatedAt": iso_ms(app.clock.now()),
                   "reason": reason}
    _publish(app, account, region, DEPLOYMENT_STATE_CHANGE, [service_arn], detail)
