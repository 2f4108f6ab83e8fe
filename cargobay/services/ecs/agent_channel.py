"""``POST /_cargobay/agent/poll``: the long poll through which an agent receives its
instance's desired tasks, and its heartbeat (docs/agent-protocol.md §2).

Each poll records the instance's ``_lastSeen`` and sets ``agentConnected``, applies the
container health the agent reports, and answers with the whole desired set of the
instance (every task placed there and not yet STOPPED) as soon as the instance's
assignment version is above the agent's; otherwise it holds the request until that
version changes (:meth:`AgentChannel.notify`, called by whatever changed it) or the
hold ends: ``min(wait, 20 s, agent_timeout / 3)`` on the app's clock.  While a poll is
held its instance counts as connected.

Errors are 400 JSON ``{"__type": ..., "message": ...}``: ``BadRequestException`` (a body
that is not a poll), ``UnknownInstanceException`` (no such instance: register again),
``InactiveInstanceException`` (the instance was deregistered: stop).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson

from cargobay.clock import wait_event
from cargobay.protocol.http import HttpRequest, HttpResponse, json_response
from cargobay.services.ecs import arns, placement_index, service_tasks
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.agent_credentials import AgentRequestError
from cargobay.services.ecs.task_lifecycle import apply_health
from cargobay.services.ecs.usage_samples import UsageSamples
from cargobay.services.efs.mounts import assignment_volumes

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

POLL_PATH = "/_cargobay/agent/poll"
MAX_HOLD = 20.0
INSTANCE_HEALTH_TYPES = ("CONTAINER_RUNTIME", "ACCELERATED_COMPUTE", "DAEMON")
INSTANCE_HEALTH = ("OK", "IMPAIRED", "INSUFFICIENT_DATA", "INITIALIZING")




def _bad(message: str) -> AgentRequestError:
    return AgentRequestError("BadRequestException", message)


class AgentChannel:
    def __init__(self, app: App) -> None:
        self.app = app
        self._events: dict[str, asyncio.Event] = {}
        self._polling: Counter[str] = Counter()
        #: per instance key: task id -> the fixed part of its poll item (_answer)
        self._items: dict[str, dict[str, Doc]] = {}
        #: the tasks' CPU and memory use the agents report (``usage``), for the metrics
        self.usage = UsageSamples()
        #: the server is shutting down: polls are answered at once, none is held
        self.closing = False

    # -- for the control plane --------------------------------------------------------

    def notify(self, instance_key: str) -> None:
        """Wake the poll of the instance stored under ``instance_key`` (its version changed)."""
        event = self._events.pop(instance_key, None)
        if event is not None:
            event.set()

    def release_all(self) -> None:
        """Answer every held poll now and hold no more (the server is shutting down, and
        would otherwise wait for the long polls to end before stopping)."""
        self.closing = True
        events, self._events = self._events, {}
        for event in events.values():
            event.set()

    def is_polling(self, instance_key: str) -> bool:
        """Whether a poll of this instance is being held right now (its agent is there)."""
        return self._polling[instance_key] > 0

    # -- HTTP -------------------------------------------------------------------------

    async def handle(self, req: HttpRequest) -> HttpResponse:
        if req.path != POLL_PATH:
            return json_response(404, {"__type": "NotFoundException", "message": f"No {req.path}"})
        if req.method != "POST":
            return json_response(405, {"__type": "MethodNotAllowed", "message": "Use POST"})
        try:
            return json_response(200, await self._poll(req.body))
        except AgentRequestError as e:
            return json_response(e.status, {"__type": e.code, "message": e.message})

    async def _poll(self, raw: bytes) -> Doc:
        body = self._body(raw)
        key = self._key(body["containerInstanceArn"])
        doc = self._live_instance(key, body)
        self._heartbeat(key, doc, body)
        hold = min(float(body.get("wait", MAX_HOLD)), MAX_HOLD, self.app.config.agent_timeout / 3)
        if int(doc.get("_version", 0)) <= body["version"] and hold > 0 and not self.closing:
            self._polling[key] += 1
            try:
                await self._wait(key, hold)
            finally:
                self._polling[key] -= 1
                if self._polling[key] <= 0:
                    del self._polling[key]
            # no second write of _lastSeen: the hold is at most a third of the agent
            # timeout, and the agent's next poll (at once) records it again
            doc = self._live_instance(key, body)
        return self._answer(key, doc)

    @staticmethod
    def _body(raw: bytes) -> Doc:
        try:
            body = orjson.loads(raw) if raw.strip() else None
        except orjson.JSONDecodeError:
            raise _bad("The body is not JSON.") from None
        if not isinstance(body, dict):
            raise _bad("The body must be a JSON object.")
        if not isinstance(body.get("containerInstanceArn"), str):
            raise _bad("containerInstanceArn is required.")
        version = body.get("version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise _bad("version must be a whole number, 0 or more.")
        body["version"] = version
        wait = body.get("wait", MAX_HOLD)
        if not isinstance(wait, int | float) or isinstance(wait, bool) or wait < 0:
            raise _bad("wait must be a number of seconds, 0 or more.")
        for member in ("health", "instanceHealth", "usage"):
            if member in body and not isinstance(body[member], dict | list):
                raise _bad(f"{member} has the wrong shape.")
        if "cluster" in body and not isinstance(body["cluster"], str):
            raise _bad("cluster must be a string.")
        return body

    def _key(self, arn: str) -> str:
        parsed = arns.parse_arn(arn)
        parts = [] if parsed is None else parsed.resource.split("/")
        if (
            parsed is None
            or parsed.service != "ecs"
            or parsed.resource_type != "container-instance"
            or len(parts) != 2
            or not all(parts)
            or parsed.account_id != self.app.config.account_id
        ):
            raise AgentRequestError("UnknownInstanceException", f"No container instance {arn}.")
        return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"

    def _live_instance(self, key: str, body: Doc) -> Doc:
        doc = self.app.store.get(instances.TABLE, key)
        if doc is None:
            raise AgentRequestError(
                "UnknownInstanceException",
                f"No container instance {body['containerInstanceArn']}: register again.",
            )
        cluster = body.get("cluster")
        if cluster and cluster not in (doc["_cluster"], _cluster_arn(doc)):
            raise _bad(f"The container instance is not in cluster {cluster}.")
        if doc["status"] == instances.INACTIVE:
            raise AgentRequestError(
                "InactiveInstanceException",
                f"The container instance {doc['containerInstanceArn']} has been deregistered.",
            )
        return doc

    def _heartbeat(self, key: str, doc: Doc, body: Doc) -> None:
        """Record the poll (lastSeen, agentConnected) and the health it carries."""
        now = self.app.clock.now()
        store = self.app.store
        doc["_lastSeen"] = now
        if not doc.get("agentConnected"):
            doc["agentConnected"] = True
            doc["version"] = int(doc.get("version", 0)) + 1
        self._instance_health(doc, body.get("instanceHealth"), now)
        with store.batch():
            store.put(instances.TABLE, key, doc)
            placement_index.observe(store, key, doc)
            health = body.get("health")
            if isinstance(health, dict):
                self._task_health(key, doc, health)
        usage = body.get("usage")
        if isinstance(usage, dict):
            self._task_usage(key, doc, usage, now)

    def _task_usage(self, key: str, inst: Doc, usage: Doc, now: float) -> None:
        """Keep the CPU and memory use of the instance's own tasks (metrics_publisher)."""
        prefix = key.rsplit("/", 1)[0]
        held = inst.get("_tasks", {})
        for task_arn, sample in usage.items():
            task_id = str(task_arn).rsplit("/", 1)[-1]
            if task_id in held:
                self.usage.record(f"{prefix}/{task_id}", sample, now)

    @staticmethod
    def _instance_health(doc: Doc, reports: Any, now: float) -> None:
        if not isinstance(reports, list):
            return
        current: Doc = doc.setdefault("_health", {})
        for r in reports:
            if not isinstance(r, dict):
                continue
            kind, status = r.get("type"), r.get("status")
            if kind not in INSTANCE_HEALTH_TYPES or status not in INSTANCE_HEALTH:
                continue
            before = current.get(kind) or {}
            entry: Doc = {"type": kind, "status": status}
            if isinstance(r.get("statusReason"), str):
                entry["statusReason"] = r["statusReason"]
            entry["lastUpdated"] = now
            entry["lastStatusChange"] = (
                before.get("lastStatusChange", now) if before.get("status") == status else now
            )
            current[kind] = entry

    def _task_health(self, key: str, inst: Doc, health: Doc) -> None:
        store = self.app.store
        prefix = key.rsplit("/", 1)[0]
        for task_arn, by_container in health.items():
            task_id = str(task_arn).rsplit("/", 1)[-1]
            if task_id not in inst.get("_tasks", {}) or not isinstance(by_container, dict):
                continue
            task = store.get(tasks.TABLE, f"{prefix}/{task_id}")
            if task is None or task["lastStatus"] == "STOPPED":
                continue
            if apply_health(task, by_container):
                store.put(tasks.TABLE, f"{prefix}/{task_id}", task)
                service_tasks.observe(store, task)  # the scheduler sees health change

    async def _wait(self, key: str, seconds: float) -> None:
        """Until :meth:`notify` for ``key``, or ``seconds`` on the app's clock."""
        event = self._events.get(key)
        if event is None:
            event = self._events[key] = asyncio.Event()
        await wait_event(self.app.clock, event, seconds)

    def _answer(self, key: str, doc: Doc) -> Doc:
        """The instance's whole desired set (docs/agent-protocol.md §2).

        What a task's item shows is fixed at launch except its desired status and stop
        reason/code, which the instance's ``_tasks`` entry carries (task_writes): the
        fixed part is read from the task document once and kept per instance, so an
        answer reads no task document it has read before."""
        store = self.app.store
        prefix = key.rsplit("/", 1)[0]
        before = self._items.get(key, {})
        kept: dict[str, Doc] = {}
        out: list[Doc] = []
        for task_id, entry in doc.get("_tasks", {}).items():
            fixed = before.get(task_id)
            desired = entry.get("desired")
            stop = {
                "stopReason": entry.get("stopReason", ""),
                "stopCode": entry.get("stopCode", ""),
            }
            if fixed is None or desired is None:
                task = store.get(tasks.TABLE, f"{prefix}/{task_id}")
                if task is None or task["lastStatus"] == "STOPPED":
                    continue
                fixed = _fixed(task) | assignment_volumes(self.app, task)
                desired = task["desiredStatus"]
                stop = {
                    "stopReason": task.get("stoppedReason", ""),
                    "stopCode": task.get("stopCode", ""),
                }
            kept[task_id] = fixed
            item: Doc = {"taskArn": fixed["taskArn"], "desiredStatus": desired}
            if desired == "STOPPED":
                item.update(stop)
            item.update(fixed)
            out.append(item)
        self._items[key] = kept
        return {"version": int(doc.get("_version", 0)), "tasks": out}


def _fixed(task: Doc) -> Doc:
    """The part of a task's poll item that does not change after launch."""
    item: Doc = {
        "taskArn": task["taskArn"],
        "taskDefinition": task["_taskDefinition"],
        "overrides": task["overrides"],
        "group": task["group"],
        "launchType": task.get("launchType", "EC2"),
        "createdAt": task["createdAt"],
        "clusterArn": task["clusterArn"],
        "containerInstanceArn": task["containerInstanceArn"],
        "containers": [
            {"name": c["name"], "containerArn": c["containerArn"]} for c in task["containers"]
        ],
    }
    if "startedBy" in task:
        item["startedBy"] = task["startedBy"]
    if "availabilityZone" in task:
        item["availabilityZone"] = task["availabilityZone"]
    return item


def _cluster_arn(doc: Doc) -> str:
    arn: str = doc["containerInstanceArn"]
    head, _, rest = arn.partition(":container-instance/")
    return f"{head}:cluster/{rest.split('/', 1)[0]}"
