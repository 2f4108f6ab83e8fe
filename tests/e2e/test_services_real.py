"""ECS services on real tasks: a ``cargobay server`` (child process), real agents (threads
of this process) running every task as a process (and, in one test, as a Docker
container), boto3 as the client.

- a service reaches its steady state, a killed task is replaced, scaling up and down;
- a rolling update from revision 1 to 2, sampled all along: never below
  minimumHealthyPercent RUNNING, never above maximumPercent RUNNING or PENDING;
- a deployment whose tasks cannot start trips the circuit breaker and rolls back;
- DAEMON follows instances joining and draining;
- kill -9 of the server: services resume, no task is started twice.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.agent import AgentConfig
from cargobay.agent.runtime.docker import engine_answers
from tests.e2e.agent.harness import AgentThread
from tests.support import ServerProcess, client

ROOT = Path(__file__).resolve().parents[2]
TEST_IMAGE = "cargobay-test/busybox:latest"
WAIT = 30.0
#: agent timeouts long enough for a server restart in the kill -9 test
PLANE_ENV = {"CARGOBAY_AGENT_TIMEOUT": "10", "CARGOBAY_AGENT_TASK_TIMEOUT": "60"}
LIVE = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


def until(check: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout}s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def plane() -> Iterator[str]:
    srv = ServerProcess(env=PLANE_ENV).start()
    try:
        yield srv.url
    finally:
        srv.stop()
        assert srv.proc is not None and srv.proc.stderr is not None
        log = srv.proc.stderr.read().decode()
        assert "Traceback" not in log, log[-5000:]  # no pass of the scheduler failed


@dataclass
class Env:
    url: str
    cluster: str
    tmp: Path
    runtime: str = "process"
    ecs: Any = None
    agents: list[AgentThread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ecs = client("ecs", self.url)
        self.ecs.create_cluster(clusterName=self.cluster)
        (self.tmp / "pids").mkdir(exist_ok=True)

    def agent(self, **kw: Any) -> AgentThread:
        a = AgentThread(AgentConfig(
            endpoint=self.url, cluster=self.cluster, runtime=self.runtime,
            data_dir=str(self.tmp / f"agent-{len(self.agents)}"), **kw,
        )).start()
        self.agents.append(a)
        return a

    def taskdef(self, family: str = "web", command: list[str] | None = None) -> str:
        """A task whose process writes its pid to a file and waits for SIGTERM; the
        family is the cluster's own (task definitions are the account's)."""
        family = f"{self.cluster}-{family}"
        script = (f'echo $$ > {self.tmp}/pids/$(head -c 12 /proc/sys/kernel/random/uuid); '
                  'trap "exit 0" TERM; while true; do sleep 0.1; done')
        arn: str = self.ecs.register_task_definition(
            family=family, networkMode="host", containerDefinitions=[{
                "name": "app", "image": TEST_IMAGE, "memory": 32, "cpu": 16,
                "command": command or ["sh", "-c", script], "stopTimeout": 2,
            }])["taskDefinition"]["taskDefinitionArn"]
        return arn

    def service(self, name: str = "web") -> dict[str, Any]:
        out = self.ecs.describe_services(cluster=self.cluster, services=[name])
        svc: dict[str, Any] = out["services"][0]
        return svc

    def tasks(self, name: str = "web", desired: str = "RUNNING") -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster=self.cluster, serviceName=name,
                                   desiredStatus=desired)["taskArns"]
        if not arns:
            return []
        out: list[dict[str, Any]] = self.ecs.describe_tasks(cluster=self.cluster,
                                                            tasks=arns)["tasks"]
        return out

    def steady(self, name: str = "web", count: int | None = None) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            svc = self.service(name)
            d = svc["deployments"]
            done = (len(d) == 1 and d[0]["rolloutState"] == "COMPLETED"
                    and svc["runningCount"] == svc["desiredCount"] and svc["pendingCount"] == 0
                    and (count is None or svc["runningCount"] == count))
            return svc if done else None

        found: dict[str, Any] = until(check, what=f"{name} steady")
        return found

    def messages(self, name: str = "web") -> list[str]:
        return [e["message"] for e in reversed(self.service(name)["events"])]


@pytest.fixture
def env(plane: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(plane, f"svc-{uuid.uuid4().hex[:8]}", tmp_path)
    try:
        yield e
    finally:
        stop_all(e)


def stop_all(e: Env) -> None:
    for name in e.ecs.list_services(cluster=e.cluster)["serviceArns"]:
        e.ecs.delete_service(cluster=e.cluster, service=name, force=True)
    for a in e.agents:
        a.stop()
    if e.runtime == "docker":
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label=com.amazonaws.ecs.cluster={e.cluster}"],
            capture_output=True, text=True, timeout=30).stdout.split()
        if ids:
            subprocess.run(["docker", "rm", "-f", *ids], capture_output=True, timeout=60)


def kill_one(e: Env) -> int:
    """SIGKILL one task's process (from the pid files its tasks write)."""
    for f in sorted((e.tmp / "pids").iterdir()):
        pid = int(f.read_text().split()[0])
        f.unlink()
        try:
            os.kill(pid, signal.SIGKILL)
            return pid
        except ProcessLookupError:
            continue
    raise AssertionError("no task process to kill")


# -- steady state, replacement, scaling --------------------------------------------------------


def test_a_service_reaches_steady_state_replaces_a_killed_task_and_scales(env: Env) -> None:
    env.agent()
    td = env.taskdef()
    env.ecs.create_service(cluster=env.cluster, serviceName="web", taskDefinition=td,
                           desiredCount=2)
    env.steady(count=2)
    assert env.messages()[-1] == "(service web) has reached a steady state."
    before = {t["taskArn"] for t in env.tasks()}
    until(lambda: len(list((env.tmp / "pids").iterdir())) == 2, what="pid files")
    kill_one(env)

    def replaced() -> bool:
        now = {t["taskArn"] for t in env.tasks() if t["lastStatus"] == "RUNNING"}
        return len(now) == 2 and now != before

    until(replaced, what="killed task replaced")
    (gone,) = before - {t["taskArn"] for t in env.tasks()}
    task = env.ecs.describe_tasks(cluster=env.cluster, tasks=[gone])["tasks"][0]
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["containers"][0]["exitCode"] == 137
    env.steady(count=2)

    env.ecs.update_service(cluster=env.cluster, service="web", desiredCount=4)
    env.steady(count=4)
    env.ecs.update_service(cluster=env.cluster, service="web", desiredCount=1)
    env.steady(count=1)
    stopped = env.tasks(desired="STOPPED")
    assert sum(t["stopCode"] == "ServiceSchedulerInitiated" for t in stopped) == 3
    until(lambda: all(t["lastStatus"] == "STOPPED" for t in env.tasks(desired="STOPPED")),
          what="scaled-in tasks stopped")


# -- rolling update ----------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Counts the service's tasks by lastStatus all along: (RUNNING, RUNNING or PENDING)."""

    def __init__(self, env: Env) -> None:
        super().__init__(daemon=True)
        self.ecs = client("ecs", env.url)
        self.cluster = env.cluster
        self.samples: list[tuple[int, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            arns = self.ecs.list_tasks(cluster=self.cluster, serviceName="web")["taskArns"]
            tasks = self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"] \
                if arns else []
            running = sum(t["lastStatus"] == "RUNNING" for t in tasks)
            live = sum(t["lastStatus"] in LIVE for t in tasks)
            self.samples.append((running, live))
            time.sleep(0.01)


@pytest.mark.parametrize(("desired", "low", "high"), [(4, 50, 150), (3, 100, 200)])
def test_a_rolling_update_stays_within_min_healthy_and_max_percent(
    env: Env, desired: int, low: int, high: int
) -> None:
    env.agent()
    first = env.taskdef()
    second = env.taskdef()
    env.ecs.create_service(cluster=env.cluster, serviceName="web", taskDefinition=first,
                           desiredCount=desired, deploymentConfiguration={
                               "minimumHealthyPercent": low, "maximumPercent": high})
    env.steady(count=desired)
    sampler = Sampler(env)
    sampler.start()
    try:
        until(lambda: len(sampler.samples) > 3, what="sampling")
        env.ecs.update_service(cluster=env.cluster, service="web", taskDefinition=second)
        svc = env.steady(count=desired)
        time.sleep(0.2)
    finally:
        sampler.done.set()
        sampler.join(10)
    assert svc["taskDefinition"] == second
    assert {t["taskDefinitionArn"] for t in env.tasks()} == {second}
    floor, ceiling = math.ceil(desired * low / 100), math.floor(desired * high / 100)
    assert len(sampler.samples) > 10
    assert min(r for r, _ in sampler.samples) >= floor, sampler.samples
    assert max(n for _, n in sampler.samples) <= ceiling, sampler.samples
    # the order the configuration allows: with 100 % healthy, start before any stop
    msgs = env.messages()
    rollout = msgs[msgs.index("(service web) has reached a steady state.") + 1:]
    first_start = next(i for i, m in enumerate(rollout) if " has started " in m)
    first_stop = next(i for i, m in enumerate(rollout) if " has stopped " in m)
    assert (first_start < first_stop) if low == 100 else (first_stop < first_start), rollout


# -- circuit breaker ---------------------------------------------------------------------------


def test_a_deployment_whose_tasks_cannot_start_trips_the_breaker_and_rolls_back(
    env: Env,
) -> None:
    env.agent()
    first = env.taskdef()
    crashing = env.taskdef(command=["/nonexistent/cargobay-crash"])
    env.ecs.create_service(
        cluster=env.cluster, serviceName="web", taskDefinition=first, desiredCount=2,
        deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    good = env.steady(count=2)["deployments"][0]["id"]
    old = {t["taskArn"] for t in env.tasks()}
    bad = env.ecs.update_service(cluster=env.cluster, service="web",
                                 taskDefinition=crashing)["service"]["deployments"][0]["id"]

    def rolled_back() -> bool:
        d = env.service()["deployments"]
        return [(x["id"], x["rolloutState"]) for x in d] == [(good, "COMPLETED")]

    try:
        until(rolled_back, what="rollback")
    except AssertionError:
        print(env.service()["deployments"], env.messages(),
              [(t["lastStatus"], t.get("stopCode"), t["startedBy"]) for t in
               env.tasks(desired="STOPPED") + env.tasks()])
        raise
    msgs = env.messages()
    assert f"(service web) (deployment {bad}) deployment failed: tasks failed to start." in msgs
    assert f"(service web) rolling back to deployment {good}." in msgs
    failed = env.tasks(desired="STOPPED")
    assert {t["startedBy"] for t in failed} == {bad}
    codes = [t["stopCode"] for t in failed]
    assert codes.count("TaskFailedToStart") >= 3
    # one still starting when the breaker tripped is stopped by the scheduler
    assert set(codes) <= {"TaskFailedToStart", "ServiceSchedulerInitiated"}
    # minimumHealthyPercent 100: the first revision's tasks never stopped
    assert {t["taskArn"] for t in env.tasks() if t["lastStatus"] == "RUNNING"} == old
    assert env.service()["taskDefinition"] == first


# -- DAEMON --------------------------------------------------------------------------------------


def test_a_daemon_follows_instances_joining_and_draining(env: Env) -> None:
    first = env.agent()
    td = env.taskdef("agentd")
    env.ecs.create_service(cluster=env.cluster, serviceName="dd", taskDefinition=td,
                           schedulingStrategy="DAEMON")
    env.steady("dd", count=1)
    second = env.agent()
    svc = env.steady("dd", count=2)
    hosts = {t["containerInstanceArn"] for t in env.tasks("dd")}
    assert hosts == {first.instance_arn, second.instance_arn}
    assert svc["desiredCount"] == 2
    env.ecs.update_container_instances_state(
        cluster=env.cluster, containerInstances=[second.instance_arn], status="DRAINING")
    env.steady("dd", count=1)
    assert {t["containerInstanceArn"] for t in env.tasks("dd")} == {first.instance_arn}
    until(lambda: all(t["lastStatus"] == "STOPPED" for t in env.tasks("dd", "STOPPED")),
          what="the drained instance's daemon stopped")


# -- kill -9 -------------------------------------------------------------------------------------


def test_after_kill_9_services_resume_and_no_task_is_started_twice(tmp_path: Path) -> None:
    data = tmp_path / "plane"
    srv = ServerProcess(data_dir=str(data), env=PLANE_ENV).start()
    e = Env(srv.url, "restart", tmp_path)
    try:
        e.agent()
        td = e.taskdef()
        e.ecs.create_service(cluster=e.cluster, serviceName="web", taskDefinition=td,
                             desiredCount=3)
        e.steady(count=3)
        tasks = {t["taskArn"] for t in e.tasks()}
        started = [m for m in e.messages() if " has started " in m]
        srv.kill9()
        srv = ServerProcess(data_dir=str(data), env=PLANE_ENV, port=srv.port).start()
        e.ecs = client("ecs", srv.url)
        time.sleep(2)  # several scheduler passes, agents reconnecting
        svc = e.steady(count=3)
        assert {t["taskArn"] for t in e.tasks()} == tasks
        assert [m for m in e.messages() if " has started " in m] == started
        assert svc["deployments"][0]["rolloutState"] == "COMPLETED"
        # and the scheduler is at work: a killed task is replaced
        until(lambda: len(list((e.tmp / "pids").iterdir())) == 3, what="pid files")
        kill_one(e)
        until(lambda: len({t["taskArn"] for t in e.tasks()} - tasks) == 1,
              what="replacement after restart")
        e.steady(count=3)
    finally:
        stop_all(e)
        srv.stop()


# -- Docker ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docker_image() -> None:
    if not engine_answers():
        if os.environ.get("CARGOBAY_REQUIRE_DOCKER") == "1":
            pytest.fail("CARGOBAY_REQUIRE_DOCKER=1 but no Docker engine answers")
        pytest.skip("no Docker engine answers")
    subprocess.run(["bash", str(ROOT / "tests/images/build.sh")], check=True, timeout=300,
                   capture_output=True)


def test_on_docker_a_service_keeps_its_containers_running(
    plane: str, tmp_path: Path, docker_image: None
) -> None:
    e = Env(plane, f"svc-{uuid.uuid4().hex[:8]}", tmp_path, runtime="docker")
    try:
        e.agent()
        td = e.taskdef(command=["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 0.1; done'])
        e.ecs.create_service(cluster=e.cluster, serviceName="web", taskDefinition=td,
                             desiredCount=2)
        e.steady(count=2)
        before = {t["taskArn"]: t for t in e.tasks()}
        victim = next(iter(before.values()))["containers"][0]["runtimeId"]
        subprocess.run(["docker", "kill", victim], check=True, capture_output=True, timeout=30)

        def replaced() -> bool:
            now = {t["taskArn"] for t in e.tasks() if t["lastStatus"] == "RUNNING"}
            return len(now) == 2 and now != set(before)

        until(replaced, what="killed container replaced")
        e.steady(count=2)
        running = subprocess.run(
            ["docker", "ps", "-q", "--filter", f"label=com.amazonaws.ecs.cluster={e.cluster}"],
            capture_output=True, text=True, timeout=30).stdout.split()
        assert len(running) == 2
    finally:
        stop_all(e)
