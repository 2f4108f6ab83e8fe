"""The service scheduler on a simulated clock: an in-process App (the ECS service's
loops running on a SimClock) and scripted agents that poll the agent channel and report
through SubmitTaskStateChange, one step at a time (as tests/fake_agent.py does over
HTTP).  Each test states the documented rule it checks.

The harness here (Plane, Host) is used by the other test_scheduler_* modules too.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.http import HttpRequest
from tests.fake_agent import CAPABILITIES

START = 1_700_000_000.0
CTX = RequestContext("ecs", "op", "us-east-1", "000000000000", "req", "json",
                     principal_arn="arn:aws:iam::000000000000:root")
ESSENTIAL_EXITED = "Essential container in task exited"


@dataclass
class Host:
    """A scripted container instance: registers, polls, reports, runs nothing."""

    plane: Plane
    zone: str = "us-east-1a"
    cpu: int = 2048
    memory: int = 4096
    attributes: dict[str, str] = field(default_factory=dict)
    arn: str = ""
    version: int = 0
    desired: dict[str, dict[str, Any]] = field(default_factory=dict)

    def register(self) -> Host:
        ec2 = "i-" + secrets.token_hex(9)[:17]
        ci = self.plane.ecs.register_container_instance(CTX, {
            "totalResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": self.cpu},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": self.memory},
            ],
            "attributes": [
                *({"name": c} for c in CAPABILITIES),
                {"name": "ecs.capability.container-health-check"},
                *({"name": k, "value": v} for k, v in self.attributes.items()),
            ],
            "instanceIdentityDocument": json.dumps(
                {"instanceId": ec2, "availabilityZone": self.zone}
            ),
        })["containerInstance"]
        self.arn = ci["containerInstanceArn"]
        return self

    async def poll(self, health: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"containerInstanceArn": self.arn, "version": 0, "wait": 0}
        if health is not None:
            body["health"] = health
        resp = await self.plane.app.agent_channel.handle(
            HttpRequest("POST", "/_cargobay/agent/poll", body=json.dumps(body).encode())
        )
        assert resp.status == 200, resp.body
        answer: dict[str, Any] = json.loads(resp.body)
        self.desired = {t["taskArn"]: t for t in answer["tasks"]}
        return answer

    def report(self, arn: str, status: str, reason: str | None = None) -> None:
        req: dict[str, Any] = {"task": arn, "status": status}
        if reason is not None:
            req["reason"] = reason
        self.plane.ecs.submit_task_state_change(CTX, req)

    async def converge(self) -> tuple[list[str], list[str]]:
        """Start what should run, stop what should stop: (started, stopped)."""
        await self.poll()
        started, stopped = [], []
        for arn, t in self.desired.items():
            status = self.plane.task(arn)["lastStatus"]
            if t["desiredStatus"] == "RUNNING" and status in ("PENDING", "PROVISIONING"):
                self.report(arn, "RUNNING")
                started.append(arn)
            elif t["desiredStatus"] == "STOPPED":
                self.report(arn, "STOPPED", t.get("stopReason"))
                stopped.append(arn)
        return started, stopped

    async def fail_all(self, reason: str = "CannotStartContainerError: no such file",
                       revision: str = "") -> int:
        """Every task waiting to start (of the task definition ``revision``, e.g.
        "web:2", if given) fails to start; those asked to stop stop."""
        await self.poll()
        n = 0
        for arn, t in self.desired.items():
            status = self.plane.task(arn)["lastStatus"]
            mine = t["taskDefinition"]["taskDefinitionArn"].endswith(revision)
            if t["desiredStatus"] == "RUNNING" and status in ("PENDING", "PROVISIONING") and (
                mine
            ):
                self.report(arn, "STOPPED", reason)
                n += 1
            elif t["desiredStatus"] == "STOPPED":
                self.report(arn, "STOPPED", t.get("stopReason"))
        return n

    def set_status(self, status: str) -> None:
        self.plane.ecs.update_container_instances_state(
            CTX, {"containerInstances": [self.arn], "status": status}
        )


class Plane:
    def __init__(self, data_dir: str | None = None) -> None:
        self.clock = SimClock(START)
        self.app = App(Config(data_dir=data_dir, agent_timeout=3600, agent_task_timeout=7200),
                       clock=self.clock)
        self.ecs: Any = self.app.services["ecs"]
        self.hosts: list[Host] = []
        self.ecs.create_cluster(CTX, {})

    # -- setup -----------------------------------------------------------------------------

    def host(self, **kw: Any) -> Host:
        h = Host(self, **kw).register()
        self.hosts.append(h)
        return h

    def hosts_from_store(self) -> Host:
        """A Host for the (first) instance already registered (after a restart)."""
        arn = self.ecs.list_container_instances(CTX, {})["containerInstanceArns"][0]
        h = Host(self, arn=arn)
        self.hosts.append(h)
        return h

    def taskdef(self, family: str = "web", *, health: bool = False, cpu: int = 128,
                memory: int = 128, **extra: Any) -> str:
        c: dict[str, Any] = {"name": "app", "image": "busybox", "cpu": cpu, "memory": memory}
        if health:
            c["healthCheck"] = {"command": ["CMD-SHELL", "true"]}
        arn: str = self.ecs.register_task_definition(
            CTX, {"family": family, "containerDefinitions": [c], **extra}
        )["taskDefinition"]["taskDefinitionArn"]
        return arn

    def create(self, name: str = "web", **req: Any) -> dict[str, Any]:
        req.setdefault("taskDefinition", "web")
        if req.get("schedulingStrategy") != "DAEMON":
            req.setdefault("desiredCount", 3)
        out: dict[str, Any] = self.ecs.create_service(CTX, {"serviceName": name, **req})
        return out["service"]

    def update(self, name: str = "web", **req: Any) -> dict[str, Any]:
        out: dict[str, Any] = self.ecs.update_service(CTX, {"service": name, **req})
        return out["service"]

    # -- looking ---------------------------------------------------------------------------

    def service(self, name: str = "web") -> dict[str, Any]:
        out = self.ecs.describe_services(CTX, {"services": [name]})
        assert out["failures"] == [], out["failures"]
        svc: dict[str, Any] = out["services"][0]
        return svc

    def messages(self, name: str = "web") -> list[str]:
        """The service's event messages, oldest first."""
        return [e["message"] for e in reversed(self.service(name)["events"])]

    def task(self, arn: str) -> dict[str, Any]:
        task: dict[str, Any] = self.ecs.describe_tasks(CTX, {"tasks": [arn]})["tasks"][0]
        return task

    def tasks(self, name: str = "web", desired: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(CTX, {"serviceName": name, "desiredStatus": desired})
        if not arns["taskArns"]:
            return []
        out: list[dict[str, Any]] = self.ecs.describe_tasks(
            CTX, {"tasks": arns["taskArns"]})["tasks"]
        return out

    def running(self, name: str = "web") -> list[dict[str, Any]]:
        return [t for t in self.tasks(name) if t["lastStatus"] == "RUNNING"]

    # -- time ------------------------------------------------------------------------------

    async def settle(self, seconds: float = 0.0) -> None:
        """Let the loops run (woken by what changed), moving the clock ``seconds``."""
        await self.clock.advance(seconds)
        for _ in range(5):
            await self.clock.advance(0)

    async def converge(self, rounds: int = 10, seconds: float = 1.0) -> None:
        """Agents follow the control plane until nothing changes."""
        for _ in range(rounds):
            moved = False
            for h in self.hosts:
                started, stopped = await h.converge()
                moved = moved or bool(started or stopped)
            await self.settle(seconds)
            if not moved:
                return


Scenario = Callable[[Plane], Awaitable[None]]


def run(scenario: Scenario, data_dir: str | None = None) -> None:
    """Run ``scenario`` with the ECS loops (liveness, scheduler) going on the clock."""

    async def main() -> None:
        plane = Plane(data_dir)
        await plane.app.start()
        try:
            await scenario(plane)
        finally:
            await plane.app.stop()

    asyncio.run(main())


# -- steady state, replacement, scaling ------------------------------------------------------


def test_a_service_places_its_tasks_and_reaches_a_steady_state() -> None:
    async def scenario(p: Plane) -> None:
        p.host(zone="us-east-1a")
        p.host(zone="us-east-1b")
        p.taskdef()
        svc = p.create(desiredCount=4)
        assert svc["deployments"][0]["rolloutState"] == "IN_PROGRESS"
        await p.settle()
        svc = p.service()
        assert (svc["pendingCount"], svc["runningCount"]) == (4, 0)
        tasks = p.tasks()
        assert len(tasks) == 4
        assert {t["group"] for t in tasks} == {"service:web"}
        assert {t["startedBy"] for t in tasks} == {svc["deployments"][0]["id"]}
        # spread over the zones, then the instances: two on each
        zones = [t["availabilityZone"] for t in tasks]
        assert sorted(zones) == ["us-east-1a"] * 2 + ["us-east-1b"] * 2
        await p.converge()
        svc = p.service()
        assert (svc["runningCount"], svc["pendingCount"]) == (4, 0)
        d = svc["deployments"][0]
        assert (d["rolloutState"], d["rolloutStateReason"]) == (
            "COMPLETED", f"ECS deployment {d['id']} completed.")
        ids = " ".join(f"(task {t['taskArn'].rsplit('/', 1)[1]})" for t in tasks)
        messages = p.messages()
        assert messages[0] == f"(service web) has started 4 tasks: {ids}." or (
            messages[0].startswith("(service web) has started 4 tasks: (task "))
        assert messages[-2:] == [
            f"(service web) (deployment {d['id']}) deployment completed.",
            "(service web) has reached a steady state.",
        ]
        # a steady service stays quiet; the steady state is written again after 6 hours
        await p.settle(3600)
        assert p.messages()[-1] == "(service web) has reached a steady state."
        n = len(p.messages())
        await p.settle(5 * 3600 + 60)
        assert len(p.messages()) == n + 1

    run(scenario)


def test_a_task_that_stops_is_replaced_at_once() -> None:
    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef()
        p.create(desiredCount=2)
        await p.settle()
        await p.converge()
        victim = p.running()[0]["taskArn"]
        h.report(victim, "STOPPED", ESSENTIAL_EXITED)
        await p.settle()  # no time passes: the stop wakes the scheduler
        tasks = p.tasks()
        assert len(tasks) == 2 and victim not in {t["taskArn"] for t in tasks}
        new = next(t for t in tasks if t["lastStatus"] == "PENDING")
        assert p.messages()[-1] == (
            f"(service web) has started 1 tasks: (task {new['taskArn'].rsplit('/', 1)[1]}).")
        await p.converge()
        assert p.service()["runningCount"] == 2

    run(scenario)


def test_scaling_up_and_down() -> None:
    async def scenario(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.create(desiredCount=1)
        await p.settle()
        await p.converge()
        p.update(desiredCount=5)
        await p.settle()
        assert len(p.tasks()) == 5
        await p.converge()
        assert p.service()["runningCount"] == 5
        assert p.service()["deployments"][0]["desiredCount"] == 5
        p.update(desiredCount=2)
        await p.settle()
        stopping = p.tasks(desired="STOPPED")
        assert len(stopping) == 3
        assert {t["stopCode"] for t in stopping} == {"ServiceSchedulerInitiated"}
        d = p.service()["deployments"][0]["id"]
        assert {t["stoppedReason"] for t in stopping} == {
            f"Scaling activity initiated by (deployment {d})"}
        assert p.messages()[-1].startswith("(service web) has stopped 3 running tasks: (task ")
        await p.converge()
        svc = p.service()
        assert (svc["runningCount"], svc["desiredCount"]) == (2, 2)
        assert p.messages()[-1] == "(service web) has reached a steady state."

    run(scenario)


def test_no_capacity_writes_the_placement_failure_once_until_resolved() -> None:
    async def scenario(p: Plane) -> None:
        p.taskdef(cpu=1024)
        p.create(desiredCount=2)
        await p.settle()
        assert p.messages() == [
            "(service web) was unable to place a task because no container instance met all "
            "of its requirements. Reason: No Container Instances were found in your cluster. "
            "For more information, see the Troubleshooting section of the Amazon ECS "
            "Developer Guide."]
        small = p.host(cpu=1536)
        await p.settle(5)
        assert len(p.tasks()) == 1
        ci = small.arn.rsplit("/", 1)[1]
        assert p.messages()[-1] == (
            "(service web) was unable to place a task because no container instance met all "
            f"of its requirements. The closest matching (container-instance {ci}) has "
            "insufficient CPU units available. For more information, see the Troubleshooting "
            "section of the Amazon ECS Developer Guide.")
        n = len(p.messages())
        await p.settle(60)  # the same cause: not written again
        assert len(p.messages()) == n
        p.host(cpu=1024)
        await p.settle(1)
        assert len(p.tasks()) == 2

    run(scenario)


def test_delete_drains_the_service_then_it_is_inactive_and_purged_after_an_hour() -> None:
    async def scenario(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.create(desiredCount=2)
        await p.settle()
        await p.converge()
        stats = p.ecs.describe_clusters(CTX, {"include": ["STATISTICS"]})["clusters"][0]
        assert stats["activeServicesCount"] == 1
        svc = p.ecs.delete_service(CTX, {"service": "web", "force": True})["service"]
        assert (svc["status"], svc["desiredCount"]) == ("DRAINING", 0)
        assert p.ecs.list_services(CTX, {})["serviceArns"] == []
        await p.settle()
        assert p.service()["status"] == "INACTIVE"  # every task STOPPING or STOPPED
        await p.converge()
        assert p.tasks() == []
        stats = p.ecs.describe_clusters(CTX, {"include": ["STATISTICS"]})["clusters"][0]
        counters = {s["name"]: s["value"] for s in stats["statistics"]}
        assert stats["activeServicesCount"] == 0
        assert counters["activeEC2ServiceCount"] == counters["drainingEC2ServiceCount"] == "0"
        await p.settle(3700)
        out = p.ecs.describe_services(CTX, {"services": ["web"]})
        assert out["failures"][0]["reason"] == "MISSING"
        p.create(desiredCount=1)  # the name is free again

    run(scenario)
