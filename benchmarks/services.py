"""ECS services: the scheduler's cost per pass, and services converging on real tasks.

    python benchmarks/services.py pass                  # 5,000 services x 10 tasks
    python benchmarks/services.py pass --services 500 --tasks 10 --instances 50
    python benchmarks/services.py converge              # 100 services x 10 tasks
    python benchmarks/services.py converge --services 20 --agents 2

``pass`` (in-process, no HTTP): an App on a simulated clock with N simulated container
instances (registered through RegisterContainerInstance, large enough for every task;
no agent: their tasks are reported RUNNING in-process), S REPLICA services of T tasks
each, converged by the scheduler itself (reconcile passes until every deployment is
COMPLETED).  Then P full passes of ``reconcile()`` are timed: every service examined,
its tasks counted by deployment and health, the rolling-update plan computed, the
deployment and steady-state bookkeeping done.  The bar (issue 5): a full pass over
50,000 tasks (5,000 services x 10) in under 1 s.  Also reported: the time to converge
(placement of every task through the scheduler) and to rebuild the scheduler's task
index from the store (what a restart costs).

``converge`` (real tasks): ``cargobay server`` in a child process, A agents (threads of
this process, process runtime: every task is a real ``sleep`` process), S services of T
tasks each created at once through boto3; the time until DescribeServices shows every
service at its desired running count with its deployment COMPLETED.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cargobay.app import App  # noqa: E402
from cargobay.clock import SimClock  # noqa: E402
from cargobay.config import Config  # noqa: E402
from cargobay.protocol.base import RequestContext  # noqa: E402

CTX = RequestContext("ecs", "bench", "us-east-1", "000000000000", "bench", "internal")


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}")


# -- pass --------------------------------------------------------------------------------------


def run_pass(services: int, tasks: int, instances: int, passes: int) -> dict[str, Any]:
    app = App(Config(data_dir=None), clock=SimClock())
    ecs: Any = app.services["ecs"]
    ecs.create_cluster(CTX, {"clusterName": "bench"})
    ecs.register_task_definition(CTX, {
        "family": "app",
        "containerDefinitions": [{"name": "app", "image": "busybox", "cpu": 1, "memory": 4}],
    })
    per_instance = -(-services * tasks // instances)
    for i in range(instances):
        ecs.register_container_instance(CTX, {
            "cluster": "bench",
            "totalResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": 2 * per_instance},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 8 * per_instance},
            ],
            "instanceIdentityDocument": json.dumps({
                "instanceId": f"i-{i:017x}",
                "availabilityZone": f"us-east-1{'abc'[i % 3]}",
            }),
        })
    for s in range(services):
        ecs.create_service(CTX, {"cluster": "bench", "serviceName": f"svc-{s:05d}",
                                 "taskDefinition": "app", "desiredCount": tasks})

    t0 = time.perf_counter()
    while ecs.reconcile(budget=5000):
        pass
    placed = time.perf_counter() - t0
    t0 = time.perf_counter()
    started = 0
    for _, doc in list(app.store.scan("ecs.tasks")):
        if doc["lastStatus"] == "PENDING":
            ecs.submit_task_state_change(CTX, {"cluster": "bench", "task": doc["taskArn"],
                                               "status": "RUNNING"})
            started += 1
    reported = time.perf_counter() - t0
    t0 = time.perf_counter()
    ecs.reconcile()
    settle = time.perf_counter() - t0
    assert started == services * tasks, started
    described = ecs.describe_services(CTX, {"cluster": "bench", "services": ["svc-00000"]})
    d = described["services"][0]["deployments"][0]
    assert (d["runningCount"], d["rolloutState"]) == (tasks, "COMPLETED"), d

    # as the loop runs them: one full pass a second (the instances' statuses are read
    # again every 5 s of it)
    times = []
    for _ in range(passes):
        asyncio.run(app.clock.advance(1.0))  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        more = ecs.reconcile()
        times.append(time.perf_counter() - t0)
        assert not more
    writes = app.store.count("ecs.service_events")
    assert writes == services  # nothing new to say about a steady service

    # the same passes with no shortcut: every service goes through the rolling update's
    # plan and the bookkeeping (the quiet check for steady services switched off)
    quiet = type(ecs)._quiet
    type(ecs)._quiet = lambda *a, **k: False
    try:
        thorough = []
        for _ in range(3):
            asyncio.run(app.clock.advance(1.0))  # type: ignore[attr-defined]
            t0 = time.perf_counter()
            ecs.reconcile()
            thorough.append(time.perf_counter() - t0)
    finally:
        type(ecs)._quiet = quiet
    assert app.store.count("ecs.service_events") == services

    t0 = time.perf_counter()
    ecs._index.load()
    rebuild = time.perf_counter() - t0
    return {
        "services": services,
        "tasks": services * tasks,
        "instances": instances,
        "converge_place_s": round(placed, 2),
        "report_running_s": round(reported, 2),
        "first_pass_s": round(settle, 3),
        "pass_min_s": round(min(times), 3),
        "pass_median_s": round(statistics.median(times), 3),
        "pass_max_s": round(max(times), 3),
        "passes": [round(t, 3) for t in times],
        "pass_no_shortcut_s": [round(t, 3) for t in thorough],
        "index_rebuild_s": round(rebuild, 3),
        "event_docs": writes,
    }


# -- converge ----------------------------------------------------------------------------------


def run_converge(services: int, tasks: int, agents: int, timeout: float) -> dict[str, Any]:
    from cargobay.agent.agent import AgentConfig
    from tests.e2e.agent.harness import AgentThread
    from tests.support import ServerProcess, client

    srv = ServerProcess(env={"CARGOBAY_AGENT_TIMEOUT": "30"}).start()
    threads: list[AgentThread] = []
    tmp = tempfile.mkdtemp(prefix="cargobay-bench-")
    try:
        ecs = client("ecs", srv.url, max_pool_connections=32)
        ecs.create_cluster(clusterName="bench")
        for a in range(agents):
            threads.append(AgentThread(AgentConfig(
                endpoint=srv.url, cluster="bench", runtime="process",
                data_dir=os.path.join(tmp, f"agent-{a}"), memory_poll_interval=10.0,
            ), memory_poll_interval=10.0).start())
        ecs.register_task_definition(family="sleeper", networkMode="host", containerDefinitions=[{
            "name": "app", "image": "busybox", "memory": 8, "cpu": 1,
            "command": ["sleep", "3600"], "stopTimeout": 2,
        }])
        names = [f"svc-{s:03d}" for s in range(services)]
        t0 = time.perf_counter()
        for n in names:
            ecs.create_service(cluster="bench", serviceName=n, taskDefinition="sleeper",
                               desiredCount=tasks)
        created = time.perf_counter() - t0
        waiting = set(names)
        while waiting:
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"{len(waiting)} services not steady in {timeout}s")
            batch = sorted(waiting)[:10]
            for s in ecs.describe_services(cluster="bench", services=batch)["services"]:
                d = s["deployments"][0]
                if s["runningCount"] == tasks and d["rolloutState"] == "COMPLETED":
                    waiting.discard(s["serviceName"])
            time.sleep(0.1)
        steady = time.perf_counter() - t0
        for n in names:
            ecs.delete_service(cluster="bench", service=n, force=True)
        return {"services": services, "tasks": services * tasks, "agents": agents,
                "create_calls_s": round(created, 2), "steady_s": round(steady, 2)}
    finally:
        for t in threads:
            t.stop()
        srv.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("pass")
    p.add_argument("--services", type=int, default=5000)
    p.add_argument("--tasks", type=int, default=10)
    p.add_argument("--instances", type=int, default=500)
    p.add_argument("--passes", type=int, default=10)
    c = sub.add_parser("converge")
    c.add_argument("--services", type=int, default=100)
    c.add_argument("--tasks", type=int, default=10)
    c.add_argument("--agents", type=int, default=4)
    c.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    print(f"# {machine()}")
    if args.mode == "pass":
        out = run_pass(args.services, args.tasks, args.instances, args.passes)
    else:
        out = run_converge(args.services, args.tasks, args.agents, args.timeout)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
