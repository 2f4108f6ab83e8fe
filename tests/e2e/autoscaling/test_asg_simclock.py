"""On the simulated clock, real agent processes: the reconcile loop runs only when the
clock is advanced, and an instance still comes up and goes away (what issue 9's
capacity-provider runs rely on)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.server import AsgiApp
from cargobay.store.memory import MemoryStore
from tests.e2e.autoscaling.procs import pids_with
from tests.e2e.autoscaling.test_asg_instances import USER_DATA
from tests.support import client, free_port, wait_healthy


class SimServer:
    def __init__(self) -> None:
        cfg = Config()
        cfg.data_dir = None
        cfg.port = free_port()
        self.clock = SimClock(start=time.time())  # SigV4 allows 15 min of skew
        self.app = App(cfg, clock=self.clock, store=MemoryStore())
        self.url = f"http://127.0.0.1:{cfg.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            AsgiApp(self.app), host="127.0.0.1", port=cfg.port, lifespan="on",
            log_level="warning", access_log=False))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self.server.serve(),), daemon=True)

    def advance(self, seconds: float) -> None:
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), self.loop).result(10)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    s = SimServer()
    s.thread.start()
    wait_healthy(s.url)
    try:
        yield s
    finally:
        s.server.should_exit = True
        s.thread.join(timeout=30)


def step_until(sim: SimServer, check: Any, steps: int = 200) -> Any:
    for _ in range(steps):
        sim.advance(1.0)
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("not reached")


def test_a_group_comes_up_and_down_on_the_simulated_clock(sim: SimServer) -> None:
    asg, ecs = client("autoscaling", sim.url), client("ecs", sim.url)
    ecs.create_cluster(clusterName="X")
    asg.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-1",
                                    InstanceType="m5.xlarge", UserData=USER_DATA)
    asg.create_auto_scaling_group(AutoScalingGroupName="g", LaunchConfigurationName="lc",
                                  MinSize=0, MaxSize=2, DesiredCapacity=1,
                                  AvailabilityZones=["us-east-1a"])

    def instances() -> list[dict[str, Any]]:
        return list(asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"])

    (inst,) = step_until(sim, lambda: [i for i in instances()
                                       if i["LifecycleState"] == "InService"])
    arns = ecs.list_container_instances(cluster="X")["containerInstanceArns"]
    (ci,) = ecs.describe_container_instances(cluster="X", containerInstances=arns)[
        "containerInstances"]
    assert ci["ec2InstanceId"] == inst["InstanceId"]
    res = {r["name"]: r.get("integerValue") for r in ci["registeredResources"]}
    assert (res["CPU"], res["MEMORY"]) == (4096, 16384)
    asg.set_desired_capacity(AutoScalingGroupName="g", DesiredCapacity=0)
    step_until(sim, lambda: not instances())
    assert pids_with(inst["InstanceId"]) == []
