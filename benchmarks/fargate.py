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
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from launch import ORDER, cpu_seconds, docker_ready, ecs_client, free_port, pct

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-bench"]}}


class Server:
    def __init__(self, runtime: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CARGOBAY_LOG_LEVEL": "warning",
               "CARGOBAY_FARGATE_RUNTIME": runtime}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cargobay", "server", "--in-memory", "--port",
             str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("cargobay server did not answer")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run(runtime: str, tasks: int, inflight: int, sleep: float, poll: float) -> dict[str, Any]:
    srv = Server(runtime)
    ecs = ecs_client(srv.url)
    ecs.create_cluster(clusterName="default")
    family = f"fg-bench-{uuid.uuid4().hex[:6]}"
    ecs.register_task_definition(
        family=family, requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512",
        containerDefinitions=[{"name": "main", "image": "cargobay-test/busybox:latest",
                               "command": ["sh", "-c", f"sleep {sleep}"]}],
    )
    client_side: list[float] = []
    server_side: list[float] = []
    addresses: set[str] = set()
    failures: list[str] = []
    lock = threading.Lock()
    waiting: dict[str, tuple[float, threading.Event]] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            with lock:
                arns = list(waiting)
            for i in range(0, len(arns), 100):
                for task in ecs.describe_tasks(tasks=arns[i:i + 100])["tasks"]:
                    if ORDER.index(task["lastStatus"]) < ORDER.index("RUNNING"):
                        continue
                    now = time.perf_counter()
                    with lock:
                        t0, event = waiting.pop(task["taskArn"])
                        client_side.append(now - t0)
                        if "startedAt" in task:
                            server_side.append(
                                (task["startedAt"] - task["createdAt"]).total_seconds())
                    event.set()
            time.sleep(poll)

    def one(_: int) -> None:
        event = threading.Event()
        t0 = time.perf_counter()
        resp = ecs.run_task(taskDefinition=family, launchType="FARGATE",
                            networkConfiguration=NETWORK)
        if not resp["tasks"]:
            with lock:
                failures.append(str(resp["failures"]))
            return
        task = resp["tasks"][0]
        ip = next(d["value"] for d in task["attachments"][0]["details"]
                  if d["name"] == "privateIPv4Address")
        with lock:
            addresses.add(ip)
            waiting[task["taskArn"]] = (t0, event)
        if not event.wait(120):
            with lock:
                failures.append("not RUNNING within 120 s")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    cpu0 = cpu_seconds(srv.proc.pid)
    try:
        with ThreadPoolExecutor(inflight) as pool:
            list(pool.map(one, range(tasks)))
    finally:
        done.set()
        watcher.join(10)
        cpu = cpu_seconds(srv.proc.pid) - cpu0
        srv.stop()
    return {"client": client_side, "server": server_side, "cpu": cpu,
            "addresses": len(addresses), "failures": failures}


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
