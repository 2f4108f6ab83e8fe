"""A small in-test ECS control plane, for the agent's tests until the real one lands.

Just enough of ECS for an agent and a boto3 client: CreateCluster,
RegisterContainerInstance, DescribeContainerInstances, RegisterTaskDefinition, RunTask
(count 1, on the one instance), StopTask, DescribeTasks, SubmitTaskStateChange,
SubmitContainerStateChange, and the poll endpoint, following docs/agent-protocol.md
(including its stopCode rules).  It answers through the real dispatcher, so every
request the agent sends is checked against botocore's model.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
import uuid
from typing import Any

from cargobay.app import App
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.store.memory import MemoryStore

Req = dict[str, Any]
PREFIX = "arn:aws:ecs:us-east-1:000000000000"
ORDER = [
    "PROVISIONING",
    "PENDING",
    "ACTIVATING",
    "RUNNING",
    "DEACTIVATING",
    "STOPPING",
    "DEPROVISIONING",
    "STOPPED",
]


class ClientException(AwsError):
    def __init__(self, message: str, code: str = "ClientException") -> None:
        super().__init__(message, code, 400)


class FakeEcs:
    def __init__(self, heartbeat_timeout: float = 30.0, task_timeout: float = 300.0) -> None:
        self.lock = threading.Lock()
        self.clusters: set[str] = set()
        self.instances: dict[str, Req] = {}
        self.taskdefs: dict[str, Req] = {}
        self.tasks: dict[str, Req] = {}
        self.reports: list[Req] = []
        self.container_reports: list[Req] = []
        self.registrations: list[Req] = []
        self.version = 0
        self.heartbeat_timeout = heartbeat_timeout
        self.task_timeout = task_timeout

    # -- ECS API ---------------------------------------------------------------------

    def create_cluster(self, ctx: RequestContext, req: Req) -> Req:
        name = req.get("clusterName", "default")
        self.clusters.add(name)
        return {
            "cluster": {
                "clusterName": name,
                "clusterArn": f"{PREFIX}:cluster/{name}",
                "status": "ACTIVE",
            }
        }

    def register_container_instance(self, ctx: RequestContext, req: Req) -> Req:
        cluster = req.get("cluster", "default").rsplit("/", 1)[-1]
        if cluster not in self.clusters:
            raise ClientException("Cluster not found.", "ClusterNotFoundException")
        with self.lock:
            self.registrations.append(req)
            arn = req.get("containerInstanceArn")
            if arn and arn not in self.instances:
                raise ClientException("unknown container instance", "InvalidParameterException")
            if not arn:
                arn = f"{PREFIX}:container-instance/{cluster}/{uuid.uuid4().hex}"
            inst = self.instances.setdefault(arn, {"containerInstanceArn": arn})
            inst.update(
                {
                    "status": "ACTIVE",
                    "agentConnected": True,
                    "lastSeen": time.time(),
                    "attributes": req.get("attributes", []),
                    "registeredResources": req.get("totalResources", []),
                    "versionInfo": req.get("versionInfo", {}),
                }
            )
            return {"containerInstance": {k: v for k, v in inst.items() if k != "lastSeen"}}

    def describe_container_instances(self, ctx: RequestContext, req: Req) -> Req:
        with self.lock:
            self._liveness()
            out = [
                {k: v for k, v in self.instances[a].items() if k != "lastSeen"}
                for a in req["containerInstances"]
                if a in self.instances
            ]
        return {"containerInstances": out, "failures": []}

    def register_task_definition(self, ctx: RequestContext, req: Req) -> Req:
        family = req["family"]
        rev = 1 + sum(1 for d in self.taskdefs.values() if d["family"] == family)
        arn = f"{PREFIX}:task-definition/{family}:{rev}"
        doc = {
            **copy.deepcopy(req),
            "taskDefinitionArn": arn,
            "revision": rev,
            "status": "ACTIVE",
            "networkMode": req.get("networkMode", "bridge"),
        }
        self.taskdefs[arn] = doc
        return {"taskDefinition": doc}

    def run_task(self, ctx: RequestContext, req: Req) -> Req:
        td = (
            self.taskdefs[req["taskDefinition"]]
            if req["taskDefinition"].startswith("arn:")
            else max(
                (d for d in self.taskdefs.values() if d["family"] == req["taskDefinition"]),
                key=lambda d: d["revision"],
            )
        )
        cluster = req.get("cluster", "default").rsplit("/", 1)[-1]
        with self.lock:
            self._liveness()
            live = [
                a
                for a, i in self.instances.items()
                if a.split("/")[-2] == cluster and i["agentConnected"]
            ]
            if not live:
                return {"tasks": [], "failures": [{"reason": "AGENT"}]}
            inst = live[-1]
            arn = f"{PREFIX}:task/{cluster}/{uuid.uuid4().hex}"
            task = {
                "taskArn": arn,
                "clusterArn": f"{PREFIX}:cluster/{cluster}",
                "taskDefinitionArn": td["taskDefinitionArn"],
                "containerInstanceArn": inst,
                "lastStatus": "PROVISIONING",
                "desiredStatus": "RUNNING",
                "createdAt": time.time(),
                "launchType": "EC2",
                "overrides": req.get("overrides", {}),
                "containers": [
                    {
                        "name": c["name"],
                        "lastStatus": "PENDING",
                        "containerArn": f"{PREFIX}:container/{uuid.uuid4().hex}",
                        "taskArn": arn,
                    }
                    for c in td["containerDefinitions"]
                ],
                "_td": td,
                "_history": [["PROVISIONING", time.time()]],
            }
            self.tasks[arn] = task
            self.version += 1
        return {"tasks": [self._public(task)], "failures": []}

    def stop_task(self, ctx: RequestContext, req: Req) -> Req:
        with self.lock:
            task = self._task(req["task"])
            if task["desiredStatus"] != "STOPPED":
                task["desiredStatus"] = "STOPPED"
                task["stoppedReason"] = req.get("reason") or "Task stopped by user"
                task["stopCode"] = "UserInitiated"
                task["stoppingAt"] = time.time()
                self.version += 1
            return {"task": self._public(task)}

    def describe_tasks(self, ctx: RequestContext, req: Req) -> Req:
        with self.lock:
            self._liveness()
            return {
                "tasks": [self._public(self.tasks[a]) for a in req["tasks"] if a in self.tasks],
                "failures": [],
            }

    def submit_task_state_change(self, ctx: RequestContext, req: Req) -> Req:
        with self.lock:
            self.reports.append(req)
            task = self._task(req["task"])
            status = req.get("status")
            if status not in ORDER or ORDER.index(status) <= ORDER.index(task["lastStatus"]):
                return {"acknowledgment": "ACK"}
            now = time.time()
            task["lastStatus"] = status
            task["_history"].append([status, now])
            for k in ("pullStartedAt", "pullStoppedAt", "executionStoppedAt"):
                if k in req:
                    task[k] = req[k]
            for c in req.get("containers", []):
                self._apply_container(task, c)
            if status == "RUNNING":
                task["startedAt"] = now
            if status == "STOPPED":
                task["stoppedAt"] = now
                if task["desiredStatus"] != "STOPPED":
                    task["desiredStatus"] = "STOPPED"
                    task["stoppedReason"] = req.get("reason", "")
                    task["stopCode"] = (
                        "EssentialContainerExited"
                        if req.get("reason") == "Essential container in task exited"
                        else "TaskFailedToStart"
                    )
                self.version += 1
        return {"acknowledgment": "ACK"}

    def submit_container_state_change(self, ctx: RequestContext, req: Req) -> Req:
        with self.lock:
            self.container_reports.append(req)
            task = self._task(req["task"])
            self._apply_container(task, {**req, "containerName": req.get("containerName")})
        return {"acknowledgment": "ACK"}

    # -- the poll --------------------------------------------------------------------

    async def poll(self, req: HttpRequest) -> HttpResponse:
        body = json.loads(req.body)
        arn = body["containerInstanceArn"]
        wait = min(float(body.get("wait", 20)), self.heartbeat_timeout / 3)
        deadline = time.monotonic() + wait
        while True:
            with self.lock:
                inst = self.instances.get(arn)
                if inst is None:
                    return _json(
                        400,
                        {
                            "__type": "InvalidParameterException",
                            "message": "unknown container instance",
                        },
                    )
                inst["lastSeen"] = time.time()
                inst["agentConnected"] = True
                for task_arn, health in (body.get("health") or {}).items():
                    task = self.tasks.get(task_arn)
                    for c in (task or {}).get("containers", []):
                        if c["name"] in health:
                            c["healthStatus"] = health[c["name"]]
                if self.version > body.get("version", 0) or time.monotonic() >= deadline:
                    return _json(200, {"version": self.version, "tasks": self._assigned(arn)})
            await asyncio.sleep(0.005)

    def _assigned(self, inst: str) -> list[Req]:
        out = []
        for t in self.tasks.values():
            if t["containerInstanceArn"] != inst or t["lastStatus"] == "STOPPED":
                continue
            doc = {
                "taskArn": t["taskArn"],
                "desiredStatus": t["desiredStatus"],
                "taskDefinition": t["_td"],
                "overrides": t["overrides"],
                "launchType": "EC2",
                "createdAt": t["createdAt"],
            }
            if t["desiredStatus"] == "STOPPED":
                doc["stopReason"] = t.get("stoppedReason")
            out.append(doc)
        return out

    # -- helpers ---------------------------------------------------------------------

    def _task(self, ref: str) -> Req:
        task = self.tasks.get(ref)
        if task is None:
            raise ClientException("task not found", "InvalidParameterException")
        return task

    def _apply_container(self, task: Req, c: Req) -> None:
        for mine in task["containers"]:
            if mine["name"] == c.get("containerName"):
                mine["lastStatus"] = c.get("status", mine["lastStatus"])
                for k in ("exitCode", "reason", "runtimeId", "networkBindings"):
                    if k in c:
                        mine[k] = c[k]

    def _public(self, task: Req) -> Req:
        return {k: v for k, v in task.items() if not k.startswith("_")}

    def _liveness(self) -> None:
        now = time.time()
        for arn, inst in self.instances.items():
            if now - inst["lastSeen"] > self.heartbeat_timeout:
                inst["agentConnected"] = False
            if now - inst["lastSeen"] > self.task_timeout:
                for t in self.tasks.values():
                    if t["containerInstanceArn"] == arn and t["lastStatus"] != "STOPPED":
                        t.update(
                            lastStatus="STOPPED",
                            desiredStatus="STOPPED",
                            stoppedAt=now,
                            stopCode="TaskFailedToStart",
                            stoppedReason="Task stopped: the container instance's agent "
                            "stopped answering",
                        )
                        t["_history"].append(["STOPPED", now])

    def history(self, arn: str) -> list[str]:
        with self.lock:
            return [s for s, _ in self.tasks[arn]["_history"]]


class FakeChannel:
    def __init__(self, ecs: FakeEcs) -> None:
        self.ecs = ecs

    async def handle(self, req: HttpRequest) -> HttpResponse:
        if req.path == "/_cargobay/agent/poll" and req.method == "POST":
            return await self.ecs.poll(req)
        return HttpResponse(404, [], b"")

    def notify(self, instance_key: str) -> None:
        pass


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], json.dumps(body).encode())


def fake_app(ecs: FakeEcs) -> App:
    app = App(Config(data_dir=None), store=MemoryStore(), services=lambda a: {"ecs": ecs})
    app.agent_channel = FakeChannel(ecs)  # type: ignore[assignment]
    return app
