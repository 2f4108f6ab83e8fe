"""Fargate launch latency: RunTask (launchType FARGATE) → RUNNING, on each runtime.

    python benchmarks/fargate.py                       # 100 tasks per runtime, 10 in flight
    python benchmarks/fargate.py --tasks 20 --runtimes process

For each runtime, ``cargobay server --in-memory`` runs on a free port with
CARGOBAY_FARGATE_RUNTIME set (the Fargate fleet runs inside it: no agent, no
instance).  N Fargate tasks (cpu 256, memory 512, awsvpc, ``sh -c "sleep S"``) are
launched by C client threads (at most C in flight); one watcher thread calls
DescribeTasks for every task in flight every ``--poll`` seconds; a task's latency is
the time from just before its RunTask to the first answer that shows it RUNNING.
Also reported: ``startedAt - createdAt`` (the server's view), the server's CPU per
task, and that every task had its own 127.1.x.y address.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _support import RunningWatch, Server, cpu_seconds
from launch import cargobay_server, docker_ready, ecs_client, pct

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-bench"]}}


def start(runtime: str) -> Server:
    """``cargobay server --in-memory`` whose Fargate fleet runs tasks on ``runtime``."""
    return cargobay_server(CARGOBAY_FARGATE_RUNTIME=runtime)


def run(runtime: str, tasks: int, inflight: int, sleep: float, poll: float) -> dict[str, Any]:
    srv = start(runtime)
    ecs = ecs_client(srv.url)
    ecs.create_cluster(clusterName="default")
    family = f"fg-bench-{uuid.uuid4().hex[:6]}"
    ecs.register_task_definition(
        family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512",
        containerDefinitions=[{"name": "main", "image": "cargobay-test/busybox:latest",
                               "command": ["sh", "-c", f"sleep {sleep}"]}],
    )
    addresses: set[str] = set()

    def one(_: int) -> None:
        task = watch.launch(lambda: ecs.run_task(taskDefinition=family, launchType="FARGATE",
                                                 networkConfiguration=NETWORK))
        if task is not None:
            addresses.add(next(d["value"] for d in task["attachments"][0]["details"]
                               if d["name"] == "privateIPv4Address"))

    cpu0 = cpu_seconds(srv.pid)
    try:
        with RunningWatch(ecs, poll) as watch, ThreadPoolExecutor(inflight) as pool:
            list(pool.map(one, range(tasks)))
    finally:
        cpu = cpu_seconds(srv.pid) - cpu0
        srv.stop(60)
    return {"client": watch.client_side, "server": watch.server_side, "cpu": cpu,
            "addresses": len(addresses), "failures": watch.failures}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", type=int, default=100)
    p.add_argument("--inflight", type=int, default=10)
    p.add_argument("--sleep", type=float, default=1.0)
    p.add_argument("--poll", type=float, default=0.01)
    p.add_argument("--runtimes", default="process,docker")
    args = p.parse_args()
    runtimes = [r for r in args.runtimes.split(",") if r]
    if "docker" in runtimes and not docker_ready():
        print("docker: no engine or no test image; skipping docker")
        runtimes.remove("docker")
    print(f"# Fargate launch: {args.tasks} tasks per runtime, {args.inflight} in flight, "
          f"tasks sleep {args.sleep}s; {platform.platform()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}\n")
    print("| what | tasks | p50 ms | p99 ms | mean ms |\n|---|---:|---:|---:|---:|")
    for runtime in runtimes:
        got = run(runtime, args.tasks, args.inflight, args.sleep, args.poll)
        for side in ("client", "server"):
            v = got[side]
            what = "RunTask → RUNNING" if side == "client" else "startedAt − createdAt"
            name = f"{runtime}, {what}"
            if v:
                print(f"| {name} | {len(v)} | {pct(v, 50) * 1000:.1f} | {pct(v, 99) * 1000:.1f} "
                      f"| {statistics.fmean(v) * 1000:.1f} |")
        print(f"  {runtime}: server CPU {got['cpu'] / max(1, args.tasks) * 1000:.1f} ms per "
              f"task; {got['addresses']} distinct addresses for {args.tasks} tasks; "
              f"{len(got['failures'])} failures {got['failures'][:1]}")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
