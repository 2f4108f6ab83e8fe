"""Several container instances on one machine (issue 4): three real ``cargobay agent``
processes against one ``cargobay server``, each declaring its own size and attributes
(``--runtime --cpu --memory --attribute KEY=VALUE --data-dir``; process and docker
runtimes), and placement
across them shown with boto3 (ECS Developer Guide, "Amazon ECS task placement"):

- the declared size is what placement accounts against (registeredResources);
- binpack(memory) fills the instance with the least remaining memory first;
- spread over ``attribute:ecs.availability-zone`` balances the zones;
- distinctInstance never puts two tasks of the group on one instance, and what cannot
  be placed comes back in failures with its reason;
- memberOf selects exactly the instances the expression names;
- resources return to the instances when the tasks stop (the agents really run and
  stop them).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.agent.conftest import TEST_IMAGE, WAIT, remove_containers
from tests.support import ServerProcess, client

#: sleeps, and exits at once on SIGTERM (a shell as PID 1 would ignore it in Docker)
STOPS_ON_TERM = "trap 'exit 0' TERM; sleep 120 & wait"
#: name -> (cpu units, MiB, zone, tier)
AGENTS: dict[str, tuple[int, int, str, str]] = {
    "small": (1024, 1024, "us-east-1a", "web"),
    "medium": (2048, 2048, "us-east-1b", "api"),
    "large": (4096, 4096, "us-east-1a", "batch"),
}


def until(check: Any, what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout}s"
        time.sleep(0.05)


class Fleet:
    def __init__(self, url: str, cluster: str, tmp: Path, runtime: str) -> None:
        self.url = url
        self.cluster = cluster
        self.tmp = tmp
        self.runtime = runtime
        self.ecs = client("ecs", url)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.arn: dict[str, str] = {}  # agent name -> container instance ARN

    def start(self) -> None:
        for name, (cpu, memory, zone, tier) in AGENTS.items():
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "cargobay", "agent", "--endpoint", self.url,
                 "--cluster", self.cluster, "--runtime", self.runtime,
                 "--cpu", str(cpu), "--memory", str(memory),
                 "--attribute", f"ecs.availability-zone={zone}",
                 "--attribute", f"tier={tier}", "--attribute", f"agent={name}",
                 "--data-dir", str(self.tmp / name)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )

        def connected() -> bool:
            arns = self.ecs.list_container_instances(cluster=self.cluster)[
                "containerInstanceArns"]
            if len(arns) < len(AGENTS):
                return False
            found = self.describe(arns)
            if not all(d["agentConnected"] for d in found):
                return False
            for d in found:
                attrs = {a["name"]: a.get("value") for a in d["attributes"]}
                self.arn[str(attrs["agent"])] = d["containerInstanceArn"]
            return True

        until(connected, "three agents registered and connected", timeout=60)

    def stop(self) -> None:
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)

    def describe(self, arns: list[str] | None = None) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = self.ecs.describe_container_instances(
            cluster=self.cluster, containerInstances=arns or list(self.arn.values())
        )["containerInstances"]
        return got

    def remaining(self) -> dict[str, tuple[int, int]]:
        by_arn = {v: k for k, v in self.arn.items()}
        out = {}
        for d in self.describe():
            rem = {r["name"]: r["integerValue"] for r in d["remainingResources"]}
            out[by_arn[d["containerInstanceArn"]]] = (rem["CPU"], rem["MEMORY"])
        return out

    def where(self, tasks: list[dict[str, Any]]) -> list[str]:
        by_arn = {v: k for k, v in self.arn.items()}
        return [by_arn[t["containerInstanceArn"]] for t in tasks]

    def taskdef(self, cpu: int, memory: int) -> str:
        family = f"multi-{uuid.uuid4().hex[:8]}"
        self.ecs.register_task_definition(
            family=family, networkMode="host",
            containerDefinitions=[{"name": "app", "image": TEST_IMAGE, "cpu": cpu,
                                   "memory": memory, "command": ["sh", "-c", STOPS_ON_TERM]}],
        )
        return family

    def run(self, family: str, count: int, **kw: Any) -> dict[str, Any]:
        out: dict[str, Any] = self.ecs.run_task(
            cluster=self.cluster, taskDefinition=family, count=count, **kw)
        return out

    def statuses(self, arns: list[str]) -> list[str]:
        got = self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"]
        return [t["lastStatus"] for t in got]

    def stop_all(self, arns: list[str]) -> None:
        for arn in arns:
            self.ecs.stop_task(cluster=self.cluster, task=arn)
        until(lambda: set(self.statuses(arns)) == {"STOPPED"}, "every task STOPPED",
              timeout=2 * WAIT)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """One ``cargobay server`` with the default agent timeouts (the agent suite's shared
    plane uses 2 s ones, which a busy machine can miss while three agents start)."""
    srv = ServerProcess().start()
    try:
        yield srv.url
    finally:
        srv.stop()


@pytest.fixture
def fleet(server_url: str, tmp_path: Path, runtime_kind: str) -> Iterator[Fleet]:
    cluster = f"multi-{uuid.uuid4().hex[:8]}"
    f = Fleet(server_url, cluster, tmp_path, runtime_kind)
    f.ecs.create_cluster(clusterName=cluster)
    try:
        f.start()
        yield f
    finally:
        try:
            running = f.ecs.list_tasks(cluster=cluster)["taskArns"]
            for arn in running:
                f.ecs.stop_task(cluster=cluster, task=arn)
            if running:
                until(lambda: set(f.statuses(running)) == {"STOPPED"}, "cleanup")
        finally:
            f.stop()
            if runtime_kind == "docker":
                remove_containers(cluster)


MEMBER_OF = [
    ("attribute:tier == web", {"small"}),
    ("attribute:tier != web", {"medium", "large"}),
    ("attribute:tier in [api, batch]", {"medium", "large"}),
    ("attribute:ecs.availability-zone == us-east-1a and not(attribute:tier == web)",
     {"large"}),
    ("attribute:agent =~ m.* or attribute:agent == small", {"small", "medium"}),
]


def test_three_agents_on_one_machine(fleet: Fleet) -> None:
    # the declared sizes are what placement accounts against
    assert fleet.remaining() == {n: (c, m) for n, (c, m, _, _) in AGENTS.items()}
    for d in fleet.describe():
        reg = {r["name"]: r["integerValue"] for r in d["registeredResources"]}
        name = {a["name"]: a.get("value") for a in d["attributes"]}["agent"]
        assert (reg["CPU"], reg["MEMORY"]) == AGENTS[str(name)][:2]

    # binpack(memory): the instance with the least memory left first, until it is full
    bp = fleet.taskdef(cpu=128, memory=256)
    out = fleet.run(bp, 4, placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert fleet.where(out["tasks"]) == ["small"] * 4
    more = fleet.run(bp, 1, placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert fleet.where(more["tasks"]) == ["medium"]  # small is full: the next fullest
    placed = [t["taskArn"] for t in out["tasks"] + more["tasks"]]
    # the agents really run them
    until(lambda: set(fleet.statuses(placed)) == {"RUNNING"}, "binpack tasks RUNNING")
    assert fleet.remaining() == {"small": (512, 0), "medium": (1920, 1792),
                                 "large": (4096, 4096)}
    # resources return to the instances when the tasks stop
    fleet.stop_all(placed)
    until(lambda: fleet.remaining() == {n: (c, m) for n, (c, m, _, _) in AGENTS.items()},
          "resources given back")

    # spread over the zone attribute: us-east-1a (small, large) and us-east-1b (medium)
    sp = fleet.taskdef(cpu=64, memory=64)
    out = fleet.run(sp, 6, placementStrategy=[
        {"type": "spread", "field": "attribute:ecs.availability-zone"}])
    zones = Counter(AGENTS[n][2] for n in fleet.where(out["tasks"]))
    assert zones == {"us-east-1a": 3, "us-east-1b": 3}
    fleet.stop_all([t["taskArn"] for t in out["tasks"]])

    # distinctInstance: one task of the group per instance; the rest fail with the reason
    out = fleet.run(sp, 5, group="distinct", placementConstraints=[
        {"type": "distinctInstance"}])
    assert sorted(fleet.where(out["tasks"])) == ["large", "medium", "small"]
    assert {f["reason"] for f in out["failures"]} == {
        "DistinctInstance placement constraint unsatisfied."}
    fleet.stop_all([t["taskArn"] for t in out["tasks"]])

    # memberOf: exactly the instances the expression selects
    for expression, expected in MEMBER_OF:
        out = fleet.run(sp, 3, group=f"m-{uuid.uuid4().hex[:6]}", placementConstraints=[
            {"type": "distinctInstance"}, {"type": "memberOf", "expression": expression}])
        assert set(fleet.where(out["tasks"])) == expected, expression
        assert len(out["tasks"]) == len(expected), expression
        fleet.stop_all([t["taskArn"] for t in out["tasks"]])

    # a task larger than every instance fits nowhere: RESOURCE:MEMORY from each
    huge = fleet.taskdef(cpu=64, memory=8192)
    out = fleet.run(huge, 1)
    assert out["tasks"] == []
    assert {f["arn"]: f["reason"] for f in out["failures"]} == {
        arn: "RESOURCE:MEMORY" for arn in fleet.arn.values()}
    until(lambda: fleet.remaining() == {n: (c, m) for n, (c, m, _, _) in AGENTS.items()},
          "everything given back")
