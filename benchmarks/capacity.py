"""Managed scaling from empty: N tasks arrive on a cluster with no instance.

    python benchmarks/capacity.py                   # 10,000 tasks
    python benchmarks/capacity.py --tasks 1000

In-process, on the simulated clock, no HTTP and no agent processes: an App on the
in-memory store and a SimClock; the Auto Scaling group's "instances" are simulated (the
group's process launcher is replaced by one that registers each instance in ECS
``--boot`` simulated seconds after its launch, with the instance type's CPU and
memory), and a simulated agent reports every task placed on a registered instance
RUNNING at the next step.  Everything else is the real control plane: the service
scheduler, the capacity provider strategy, the provider's managed scaling
(CapacityProviderReservation to CloudWatch each minute, SetDesiredCapacity), the group's
reconcile loop.

Setup: a group of m5.4xlarge (16 vCPU, 64 GiB) with MinSize 0, MaxSize 400, a capacity
provider with managed scaling (targetCapacity 100, default steps), a service of N tasks
of 256 CPU / 512 MiB (64 per instance) with the provider as its strategy.

Reported: simulated time until every task is RUNNING, the instances launched (and the
minimum that holds the tasks), wall-clock and CPU seconds of the run, load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling.agent_processes import AgentProcesses
from cargobay.services.ecs import task_store as tasks
from cargobay.store.memory import MemoryStore

REGION, ACCOUNT = "us-east-1", "000000000000"
USER_DATA = "#!/bin/bash\necho ECS_CLUSTER=bench >> /etc/ecs/ecs.config\n"


class SimInstances(AgentProcesses):
    """The group's instances without processes: each registers after ``boot`` seconds."""

    def __init__(self, clock: SimClock, boot: float) -> None:
        super().__init__(None)
        self.clock = clock
        self.boot = boot
        self.waiting: list[tuple[float, dict[str, Any]]] = []
        self.pids: dict[int, str] = {}
        self.next_pid = 10_000_000

    def launch(self, *, instance_id: str, endpoint: str, cluster: str, region: str,
               cpu: int, memory: int, attributes: dict[str, str],
               env: dict[str, str]) -> int:
        self.next_pid += 1
        self.pids[self.next_pid] = instance_id
        self.waiting.append((self.clock.now() + self.boot, {
            "instance_id": instance_id, "cluster": cluster, "cpu": cpu, "memory": memory,
            "attributes": attributes}))
        return self.next_pid

    def alive(self, pid: int | None, instance_id: str) -> bool:
        return pid is not None and self.pids.get(pid) == instance_id

    def signal(self, pid: int | None, instance_id: str, sig: int = 15) -> None:
        if pid is not None:
            self.pids.pop(pid, None)

    def due(self) -> list[dict[str, Any]]:
        now = self.clock.now()
        ready = [spec for at, spec in self.waiting if at <= now]
        self.waiting = [(at, spec) for at, spec in self.waiting if at > now]
        return ready


def ctx(service: str, op: str) -> RequestContext:
    return RequestContext(service, op, REGION, ACCOUNT, uuid.uuid4().hex, "json")


async def call(app: App, service: str, op: str, params: dict[str, Any]) -> dict[str, Any]:
    return await app.dispatcher.call(service, op, params, region=REGION, account_id=ACCOUNT)


async def run(n_tasks: int, boot: float, step: float, limit: float) -> dict[str, Any]:
    cfg = Config()
    cfg.data_dir = None
    clock = SimClock(start=1_800_000_000.0)
    app = App(cfg, clock=clock, store=MemoryStore())
    asg = app.services["autoscaling"]
    ecs: Any = app.services["ecs"]
    sim = SimInstances(clock, boot)
    asg.processes = sim  # type: ignore[attr-defined]
    await app.start()
    try:
        await call(app, "ecs", "CreateCluster", {"clusterName": "bench"})
        await call(app, "autoscaling", "CreateLaunchConfiguration", {
            "LaunchConfigurationName": "lc", "ImageId": "ami-1",
            "InstanceType": "m5.4xlarge", "UserData": USER_DATA})
        await call(app, "autoscaling", "CreateAutoScalingGroup", {
            "AutoScalingGroupName": "g", "LaunchConfigurationName": "lc", "MinSize": 0,
            "MaxSize": 400, "DesiredCapacity": 0, "AvailabilityZones": [f"{REGION}a"]})
        group = (await call(app, "autoscaling", "DescribeAutoScalingGroups", {}))[
            "AutoScalingGroups"][0]
        await call(app, "ecs", "CreateCapacityProvider", {
            "name": "cp", "autoScalingGroupProvider": {
                "autoScalingGroupArn": group["AutoScalingGroupARN"],
                "managedScaling": {"status": "ENABLED", "targetCapacity": 100}}})
        await call(app, "ecs", "PutClusterCapacityProviders", {
            "cluster": "bench", "capacityProviders": ["cp"],
            "defaultCapacityProviderStrategy": [{"capacityProvider": "cp", "weight": 1}]})
        await call(app, "ecs", "RegisterTaskDefinition", {
            "family": "small", "cpu": "256", "memory": "512", "containerDefinitions": [{
                "name": "main", "image": "busybox", "command": ["sleep", "3600"]}]})
        start_sim = clock.now()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        await call(app, "ecs", "CreateService", {
            "cluster": "bench", "serviceName": "s", "taskDefinition": "small",
            "desiredCount": n_tasks})
        prefix = f"{ACCOUNT}/{REGION}/bench/"
        running = 0
        while clock.now() - start_sim < limit:
            await clock.advance(step)
            for spec in sim.due():
                ident = {"instanceId": spec["instance_id"], "region": REGION,
                         "instanceType": spec["attributes"]["ecs.instance-type"],
                         "availabilityZone": spec["attributes"]["ecs.availability-zone"]}
                ecs.register_container_instance(ctx("ecs", "RegisterContainerInstance"), {
                    "cluster": spec["cluster"],
                    "instanceIdentityDocument": json.dumps(ident),
                    "totalResources": [
                        {"name": "CPU", "type": "INTEGER", "integerValue": spec["cpu"]},
                        {"name": "MEMORY", "type": "INTEGER", "integerValue": spec["memory"]},
                    ]})
            running = 0
            for _, t in list(app.store.scan(tasks.TABLE, prefix)):
                if t["desiredStatus"] != "RUNNING":
                    continue
                if t["lastStatus"] == "RUNNING":
                    running += 1
                elif t.get("containerInstanceArn"):
                    ecs.submit_task_state_change(ctx("ecs", "SubmitTaskStateChange"), {
                        "cluster": "bench", "task": t["taskArn"], "status": "RUNNING"})
                    running += 1
            if running >= n_tasks:
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        sim_seconds = clock.now() - start_sim
        group = (await call(app, "autoscaling", "DescribeAutoScalingGroups", {}))[
            "AutoScalingGroups"][0]
        return {
            "tasks": n_tasks, "running": running, "simulated_s": sim_seconds,
            "instances": len(group["Instances"]), "desired": group["DesiredCapacity"],
            "minimum_instances": math.ceil(n_tasks / 64), "wall_s": wall, "cpu_s": cpu,
        }
    finally:
        await app.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--boot", type=float, default=60.0,
                    help="simulated seconds from launch to registration")
    ap.add_argument("--step", type=float, default=5.0, help="simulated seconds per step")
    ap.add_argument("--limit", type=float, default=4 * 3600.0,
                    help="give up after this many simulated seconds")
    args = ap.parse_args()
    load0 = os.getloadavg()
    out = asyncio.run(run(args.tasks, args.boot, args.step, args.limit))
    load1 = os.getloadavg()
    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"tasks {out['tasks']}: {out['running']} RUNNING after {out['simulated_s']:.0f} "
          f"simulated s ({out['simulated_s'] / 60:.1f} min); instances "
          f"{out['instances']} (desired {out['desired']}, minimum "
          f"{out['minimum_instances']})")
    print(f"wall {out['wall_s']:.1f} s, CPU {out['cpu_s']:.1f} s; load average "
          f"{load0[0]:.2f} before, {load1[0]:.2f} after")


if __name__ == "__main__":
    main()
