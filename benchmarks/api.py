"""API throughput and latency: cargobay vs moto's server, with boto3, in one run.

    python benchmarks/api.py            # defaults: 4 client processes x 400 calls per op
    python benchmarks/api.py --workers 4 --calls 400 --json out.json

For each server (``cargobay server`` with SQLite state in a temporary directory, and
``python -m moto.server``), and for each operation (RegisterTaskDefinition,
DescribeTaskDefinition), N client processes each make M calls with their own boto3
client as fast as they can.  Requests per second = all calls / wall time from the first
call to the last; latencies are per call as the client sees them.  Client and server
share the machine's cores, the same for both servers.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from typing import Any

from _support import client, each_server, machine, save_json

CONTAINERS = [
    {
        "name": "web",
        "image": "public.ecr.aws/nginx/nginx:latest",
        "cpu": 256,
        "memory": 512,
        "essential": True,
        "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
        "environment": [{"name": "MODE", "value": "bench"}, {"name": "LEVEL", "value": "3"}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": "/ecs/bench", "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "web"},
        },
    },
    {
        "name": "sidecar",
        "image": "busybox",
        "cpu": 64,
        "memory": 128,
        "essential": False,
        "command": ["sh", "-c", "sleep 3600"],
    },
]


def _worker(args: tuple[str, str, int, int, Any]) -> tuple[list[float], float, float]:
    url, op, calls, idx, start_at = args
    ecs = client("ecs", url)
    # warm the client (model loading, connection) before the clock starts
    ecs.describe_task_definition(taskDefinition="bench")
    while time.time() < start_at:
        time.sleep(0.001)
    lat: list[float] = []
    first = time.time()
    for _ in range(calls):
        a = time.perf_counter()
        if op == "RegisterTaskDefinition":
            ecs.register_task_definition(family=f"bench-w{idx}", containerDefinitions=CONTAINERS)
        else:
            ecs.describe_task_definition(taskDefinition="bench")
        lat.append(time.perf_counter() - a)
    return lat, first, time.time()


def measure(url: str, op: str, workers: int, calls: int) -> dict[str, Any]:
    seed = client("ecs", url)
    seed.register_task_definition(family="bench", containerDefinitions=CONTAINERS)
    start_at = time.time() + 3.0  # every worker starts together, warmed up
    with mp.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_worker, [(url, op, calls, i, start_at) for i in range(workers)])
    lat = sorted(x for r in results for x in r[0])
    first = min(r[1] for r in results)
    last = max(r[2] for r in results)
    n = len(lat)
    return {
        "calls": n,
        "rps": n / (last - first),
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[min(n - 1, int(n * 0.99))] * 1000,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--calls", type=int, default=400, help="calls per worker per operation")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--only", choices=["cargobay", "moto"], help="measure one server only")
    a = ap.parse_args()

    ops = ["RegisterTaskDefinition", "DescribeTaskDefinition"]
    out: dict[str, Any] = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "workers": a.workers,
        "calls_per_worker": a.calls,
        "results": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, srv in each_server(tmp, a.only):
            for op in ops:
                r = measure(srv.url, op, a.workers, a.calls)
                out["results"].setdefault(op, {})[name] = r
                print(f"{name:9s} {op:24s} {r['rps']:8.0f} req/s  "
                      f"p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms", flush=True)
    if not a.only:
        for op in ops:
            res = out["results"][op]
            res["ratio"] = res["cargobay"]["rps"] / res["moto"]["rps"]
            print(f"{op}: cargobay / moto = {res['ratio']:.2f}x")
    save_json(a.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
