"""Placement throughput: RunTask decisions per second on a large simulated fleet.

    python benchmarks/placement.py                      # 5,000 instances, 50,000 tasks
    python benchmarks/placement.py --instances 500 --tasks 5000

In-process, no HTTP: an App on the in-memory store; its ECS handlers are called
directly (RegisterContainerInstance for every simulated instance, then RunTask with
count 10 until N tasks are placed).  Nothing runs the tasks: placement, task documents,
resource accounting on the instances, cluster counters and tags are all written as for
a real RunTask.  Two scenarios, each on a fresh App:

- binpack: strategy binpack(memory); instances of 4 sizes in 3 zones;
- spread+memberOf: strategies spread(attribute:ecs.availability-zone) then
  spread(instanceId) with the constraint ``memberOf(attribute:tier != batch)`` (2 of 3
  instances qualify).

Reported: placements per second (wall clock over all RunTask calls, and per CPU-second
of this process, which the other work on a shared machine changes less), the load
average around the run, and a check that no instance is over-committed and the
constraint held for every task.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from cargobay.app import App
from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import placement
from cargobay.store.memory import MemoryStore

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
SIZES = [(2048, 4096), (4096, 8192), (8192, 16384), (16384, 32768)]


def ctx(op: str) -> RequestContext:
    return RequestContext("ecs", op, "us-east-1", "000000000000", uuid.uuid4().hex, "json")


def fleet(ecs: Any, n: int) -> None:
    ecs.create_cluster(ctx("CreateCluster"), {"clusterName": "bench"})
    for i in range(n):
        cpu, mem = SIZES[i % len(SIZES)]
        ecs.register_container_instance(
            ctx("RegisterContainerInstance"),
            {
                "cluster": "bench",
                "totalResources": [
                    {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": mem},
                ],
                "attributes": [
                    {"name": "ecs.availability-zone", "value": ZONES[i % 3]},
                    {"name": "tier", "value": ["web", "api", "batch"][(i // 3) % 3]},
                ],
            },
        )


def run(n_instances: int, n_tasks: int, strategy: list[dict[str, str]],
        constraints: list[dict[str, str]]) -> dict[str, Any]:
    app = App(store=MemoryStore())
    ecs = app.services["ecs"]
    fleet(ecs, n_instances)
    ecs.register_task_definition(
        ctx("RegisterTaskDefinition"),
        {
            "family": "bench",
            "containerDefinitions": [
                {"name": "app", "image": "busybox", "cpu": 128, "memory": 256}
            ],
        },
    )
    placed = 0
    failures = 0
    calls = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while placed < n_tasks:
        out = ecs.run_task(
            ctx("RunTask"),
            {
                "cluster": "bench",
                "taskDefinition": "bench",
                "count": min(10, n_tasks - placed),
                "placementStrategy": strategy,
                "placementConstraints": constraints,
            },
        )
        calls += 1
        placed += len(out["tasks"])
        if out["failures"]:
            failures += 1
            break
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    # checks: nothing over-committed, the constraint held
    over = 0
    wrong_tier = 0
    per_instance: Counter[str] = Counter()
    for _, doc in app.store.scan("ecs.instances"):
        rem = {r["name"]: r["integerValue"] for r in doc["remainingResources"]
               if r["name"] in ("CPU", "MEMORY")}
        if rem["CPU"] < 0 or rem["MEMORY"] < 0:
            over += 1
        recomputed = {r["name"]: r for r in placement.remaining(doc)}
        assert recomputed["MEMORY"]["integerValue"] == rem["MEMORY"], "drift"
        tier = {a["name"]: a.get("value") for a in doc["attributes"]}.get("tier")
        n = len(doc.get("_tasks", {}))
        per_instance[doc["containerInstanceArn"]] = n
        if constraints and tier == "batch" and n:
            wrong_tier += 1
    return {
        "placed": placed,
        "seconds": elapsed,
        "per_second": placed / elapsed,
        "per_cpu_second": placed / cpu if cpu > 0 else 0.0,
        "calls": calls,
        "overcommitted": over,
        "constraint_violations": wrong_tier,
        "instances_used": sum(1 for v in per_instance.values() if v),
        "stopped_early": bool(failures),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--instances", type=int, default=5000)
    p.add_argument("--tasks", type=int, default=50000)
    p.add_argument("--scenario", choices=("all", "binpack", "spread"), default="all")
    a = p.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"python {sys.version.split()[0]} on {platform.platform()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"command: python benchmarks/placement.py --instances {a.instances} --tasks {a.tasks}")
    scenarios = {
        "binpack(memory)": ([{"type": "binpack", "field": "memory"}], []),
        "spread(zone)+spread(instanceId)+memberOf": (
            [
                {"type": "spread", "field": "attribute:ecs.availability-zone"},
                {"type": "spread", "field": "instanceId"},
            ],
            [{"type": "memberOf", "expression": "attribute:tier != batch"}],
        ),
    }
    for name, (strategy, constraints) in scenarios.items():
        if a.scenario != "all" and not name.startswith(a.scenario):
            continue
        load_before = os.getloadavg()[0]
        r = run(a.instances, a.tasks, strategy, constraints)
        load_after = os.getloadavg()[0]
        print(
            f"{name:45s} {r['placed']:6d} tasks in {r['seconds']:7.2f} s = "
            f"{r['per_second']:8.0f} placements/s ({r['per_cpu_second']:.0f} per CPU-second); "
            f"instances used {r['instances_used']}, over-committed {r['overcommitted']}, "
            f"constraint violations {r['constraint_violations']}; load average "
            f"{load_before:.2f} -> {load_after:.2f}"
        )


if __name__ == "__main__":
    main()
