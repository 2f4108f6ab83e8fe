"""Real load scales a service out, and its end scales it back in (issue 7).

The whole chain, nothing faked: a service whose tasks are real processes (the process
runtime) that burn CPU while a flag file exists; a real agent that samples their real
CPU time per second of real elapsed time and sends it on its poll; the ECS control
plane that turns it into AWS/ECS CPUUtilization once a minute (used ÷ reserved × 100,
"Amazon ECS service utilization metrics"); CloudWatch alarms; Application Auto Scaling
that resizes the service; the scheduler that starts and stops real processes.

- On the simulated clock, with a target tracking policy at 50 % CPU (the alarms AWS
  makes for it: 3 of 3 one-minute points above 50 to scale out, 15 of 15 below 45 to
  scale in, "Target tracking scaling policies for Application Auto Scaling"): about 25
  simulated minutes in a few real seconds.  The server, CloudWatch, Application Auto
  Scaling and the agent share one event loop and one SimClock; the test moves the clock
  10 s at a time and lets real time pass between moves, so the tasks' real CPU use is
  measured (on the real clock) while time in the control plane comes from the sim clock.
- On the real clock, target tracking cannot finish in a minute (its alarms need three
  one-minute points to scale out and fifteen to scale in).  The faithful shortcut:
  ECS's publisher sends the same metrics every 10 s as high-resolution datapoints,
  and two 10 s alarms (the period AWS allows for high-resolution metrics) drive a step
  scaling policy each way.  Everything else is the same chain, in real time.

Each task bounds its own life (it exits after ``TASK_LIFETIME`` real seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.agent import Agent, AgentConfig
from cargobay.agent.runtime.process import ProcessRuntime
from cargobay.agent.usage_sampler import UsageSampler
from cargobay.app import App
from cargobay.clock import Clock, RealClock, SimClock
from cargobay.config import Config
from tests.support import client, free_port, wait_healthy

CLUSTER = "load"
SERVICE = "burner"
RESOURCE = f"service/{CLUSTER}/{SERVICE}"
TASK_LIFETIME = 180  # real seconds: no burner outlives the test by much
#: each task burns up to ~30 % of a core while the flag exists: 0.3 × 1024 ÷ 128
#: reserved units ≈ 240 % utilization, still well above 50 % on a machine so busy that
#: the task gets a third of that; idle it uses ~1 % of a core (≈ 10 %)
BURNER = """
import os, sys, time
flag, end = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    if os.path.exists(flag):
        t = time.monotonic() + 0.03
        while time.monotonic() < t:
            pass
        time.sleep(0.07)
    else:
        time.sleep(0.05)
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


class LoadPlane(App):
    """The control plane plus one real agent (process runtime) in the same event loop,
    on the same clock."""

    def __init__(self, config: Config, clock: Clock, agent: AgentConfig,
                 metrics_period: float) -> None:
        super().__init__(config, clock=clock)
        ecs: Any = self.services["ecs"]
        ecs.metrics.period = metrics_period  # before its loop starts sleeping
        self.agent_config = agent
        self.agent: Agent | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._agent_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self.loop = asyncio.get_running_loop()
        runtime = ProcessRuntime(self.clock, memory_poll_interval=0.5)
        self.agent = Agent(self.agent_config, clock=self.clock, runtime=runtime)
        # read the tasks' real CPU time every quarter of a real second
        self.agent.usage = UsageSampler(lambda: runtime, self.clock, refresh_every=0.25)
        self._agent_task = asyncio.create_task(self.agent.run(), name="load-agent")

    async def stop(self) -> None:
        if self._agent_task is not None:
            self._agent_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._agent_task
        await super().stop()


@dataclass
class Harness:
    url: str
    plane: LoadPlane
    flag: Path
    tmp: Path

    def __post_init__(self) -> None:
        self.ecs = client("ecs", self.url)
        self.aas = client("application-autoscaling", self.url)
        self.cw = client("cloudwatch", self.url)

    # -- time --------------------------------------------------------------------------

    def step(self, sim: float, real: float) -> None:
        """Move a simulated clock ``sim`` seconds (nothing on the real clock), then let
        ``real`` seconds of real time pass."""
        clock = self.plane.clock
        if isinstance(clock, SimClock):
            assert self.plane.loop is not None
            asyncio.run_coroutine_threadsafe(
                clock.advance(sim), self.plane.loop).result(10)
        time.sleep(real)

    def until(self, check: Callable[[], Any], *, steps: int, sim: float, real: float,
              what: str) -> Any:
        for _ in range(steps):
            value = check()
            if value:
                return value
            self.step(sim, real)
        raise AssertionError(f"{what}: not within {steps} steps; {self.service()}")

    # -- looking -----------------------------------------------------------------------

    def service(self) -> dict[str, Any]:
        svc: dict[str, Any] = self.ecs.describe_services(
            cluster=CLUSTER, services=[SERVICE])["services"][0]
        return svc

    def counts(self) -> tuple[int, int]:
        svc = self.service()
        return int(svc["desiredCount"]), int(svc["runningCount"])

    def agent_processes(self) -> int:
        """Task runners of the agent with a running container (real processes)."""
        agent = self.plane.agent
        assert agent is not None
        return sum(
            1 for r in list(agent.runners.values())
            if any(c.status == "RUNNING" for c in r.containers.values())
        )

    def cpu_points(self, since: float) -> list[dict[str, Any]]:
        now = self.plane.clock.now()
        out = self.cw.get_metric_statistics(
            Namespace="AWS/ECS", MetricName="CPUUtilization",
            Dimensions=[{"Name": "ClusterName", "Value": CLUSTER},
                        {"Name": "ServiceName", "Value": SERVICE}],
            StartTime=since, EndTime=now + 60, Period=self.plane_period(),
            Statistics=["Average", "Maximum"])
        return sorted(out["Datapoints"], key=lambda d: d["Timestamp"])

    def plane_period(self) -> int:
        return int(self.plane.services["ecs"].metrics.period)  # type: ignore[attr-defined]

    # -- setup -------------------------------------------------------------------------

    def service_of_burners(self) -> None:
        self.ecs.create_cluster(clusterName=CLUSTER)
        self.ecs.register_task_definition(
            family=SERVICE, networkMode="host",
            containerDefinitions=[{
                "name": "burn", "image": "cargobay-test/busybox", "cpu": 128, "memory": 96,
                "command": [sys.executable, "-c", BURNER, str(self.flag), str(TASK_LIFETIME)],
            }])
        self.ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=SERVICE,
                                desiredCount=1)
        self.aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=RESOURCE,
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=3)


@contextlib.contextmanager
def load_plane(tmp_path: Path, clock: Clock, *, poll_wait: float,
               metrics_period: float = 60.0) -> Iterator[Harness]:
    import uvicorn

    from cargobay.server import AsgiApp

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    agent = AgentConfig(endpoint=url, cluster=CLUSTER, runtime="process",
                        data_dir=str(tmp_path / "agent"), cpu=4096, memory=4096,
                        poll_wait=poll_wait, create_cluster=True)
    plane = LoadPlane(Config(data_dir=None), clock, agent, metrics_period)
    cfg = uvicorn.Config(AsgiApp(plane), host="127.0.0.1", port=port, lifespan="on",
                         log_level="warning", access_log=False)
    server = uvicorn.Server(cfg)
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    t.start()
    flag = tmp_path / "load-on"
    try:
        wait_healthy(url)
        yield Harness(url, plane, flag, tmp_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            flag.unlink()
        server.should_exit = True
        if isinstance(clock, SimClock) and plane.loop is not None:
            # the agent's shutdown waits on the clock: keep it moving while it stops
            for _ in range(200):
                if not t.is_alive():
                    break
                with contextlib.suppress(Exception):
                    asyncio.run_coroutine_threadsafe(clock.advance(1), plane.loop).result(1)
                t.join(0.05)
        t.join(timeout=30)


def test_target_tracking_scales_out_under_real_load_and_in_when_it_stops_sim(
    tmp_path: Path,
) -> None:
    # SigV4 allows 15 minutes of skew between client and server: the simulated clock
    # starts 14 minutes behind the real one, so ~28 simulated minutes are available
    clock = SimClock(start=float(int(time.time()) - 14 * 60))
    with load_plane(tmp_path, clock, poll_wait=20.0) as h:
        h.service_of_burners()
        policy = h.aas.put_scaling_policy(
            PolicyName="cpu50", ServiceNamespace="ecs", ResourceId=RESOURCE,
            ScalableDimension="ecs:service:DesiredCount", PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": 50.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "ScaleOutCooldown": 60, "ScaleInCooldown": 60,
            })
        assert len(policy["Alarms"]) == 2
        step = {"sim": 10.0, "real": 0.05}
        h.until(lambda: h.counts() == (1, 1) and h.agent_processes() == 1,
                steps=60, what="the first task running", **step)
        # two idle minutes, slow enough in real time (0.25 s a step) for the agent to take
        # fresh readings (at most one a real second): the interpreter's start-up CPU must
        # not stand for the idle minutes
        for _ in range(2 * 6):
            h.step(sim=10.0, real=0.25)
        assert h.counts() == (1, 1), "no load: no scaling"

        loaded_at = clock.now()
        h.flag.touch()
        h.until(lambda: h.counts()[0] > 1, steps=8 * 6, what="scale-out under load", **step)
        out_at = clock.now()
        # three one-minute points above 50 % are needed (AlarmHigh: 3 of 3), and ECS
        # publishes each minute; the first may be the minute in which the load began
        assert out_at - loaded_at >= 2 * 60, out_at - loaded_at
        desired = h.counts()[0]
        h.until(lambda: h.counts() == (desired, desired) and h.agent_processes() == desired,
                steps=30, what="the new tasks running as real processes", **step)
        high = [p["Average"] for p in h.cpu_points(loaded_at)]
        assert any(v > 50 for v in high), high

        h.flag.unlink()
        unloaded_at = clock.now()
        h.until(lambda: h.counts()[0] == 1, steps=20 * 6, what="scale-in after the load",
                **step)
        in_at = clock.now()
        # fifteen one-minute points below 45 % are needed before scaling in
        assert in_at - unloaded_at >= 15 * 60, in_at - unloaded_at
        h.until(lambda: h.counts() == (1, 1) and h.agent_processes() == 1,
                steps=30, what="the extra tasks stopped", **step)
        low = [p["Average"] for p in h.cpu_points(unloaded_at + 120)]
        assert low and all(v < 45 for v in low), low


def test_step_scaling_on_high_resolution_metrics_real_clock(tmp_path: Path) -> None:
    # high-resolution ECS metrics every 10 s (see the module docstring)
    with load_plane(tmp_path, RealClock(), poll_wait=1.0, metrics_period=10.0) as h:
        h.service_of_burners()
        arns = {}
        for name, adjustment, lower in (("out", 2, 0.0), ("in", -2, None)):
            step: dict[str, Any] = {"ScalingAdjustment": adjustment}
            if lower is None:
                step["MetricIntervalUpperBound"] = 0.0
            else:
                step["MetricIntervalLowerBound"] = lower
            arns[name] = h.aas.put_scaling_policy(
                PolicyName=f"step-{name}", ServiceNamespace="ecs", ResourceId=RESOURCE,
                ScalableDimension="ecs:service:DesiredCount", PolicyType="StepScaling",
                StepScalingPolicyConfiguration={
                    "AdjustmentType": "ChangeInCapacity", "Cooldown": 0,
                    "MetricAggregationType": "Average", "StepAdjustments": [step],
                })["PolicyARN"]
        dims = [{"Name": "ClusterName", "Value": CLUSTER},
                {"Name": "ServiceName", "Value": SERVICE}]
        for name, op, threshold in (("out", "GreaterThanThreshold", 50.0),
                                    ("in", "LessThanThreshold", 45.0)):
            h.cw.put_metric_alarm(
                AlarmName=f"burner-{name}", Namespace="AWS/ECS", MetricName="CPUUtilization",
                Dimensions=dims, Statistic="Average", Period=10, EvaluationPeriods=1,
                Threshold=threshold, ComparisonOperator=op, AlarmActions=[arns[name]])
        wait = {"sim": 0.0, "real": 0.25}
        h.until(lambda: h.counts() == (1, 1), steps=80, what="the first task running", **wait)
        started, loaded_at = time.monotonic(), h.plane.clock.now()
        h.flag.touch()
        h.until(lambda: h.counts()[0] == 3, steps=160, what="scale-out under load", **wait)
        h.until(lambda: h.counts() == (3, 3) and h.agent_processes() == 3, steps=80,
                what="the new tasks running", **wait)
        high = [p["Average"] for p in h.cpu_points(loaded_at - 10)]  # 10 s datapoints
        assert any(v > 50 for v in high), high
        h.flag.unlink()
        h.until(lambda: h.counts()[0] == 1, steps=160, what="scale-in after the load", **wait)
        h.until(lambda: h.agent_processes() == 1, steps=80, what="extra tasks stopped", **wait)
        assert time.monotonic() - started < 90
