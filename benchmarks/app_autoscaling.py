"""Application Auto Scaling: the cost of a scaling decision, and replaying a day of
scheduled actions on the simulated clock.

    python benchmarks/app_autoscaling.py                         # 500 services, 1 day
    python benchmarks/app_autoscaling.py --services 50 --actions 500   # a quick run

In-process (no HTTP), SQLite store in a temporary directory, SimClock; ECS, CloudWatch
and Application Auto Scaling only, ECS's own loops not started.

1. Alarm actions: S ECS services, each a scalable target (1–100) with a CPU target
   tracking policy (target 50, cooldowns 0).  Timed: ``on_alarm_action`` calls
   alternating the high alarm (metric 100: double) and the low alarm (metric 25: halve),
   so every call reads the service (DescribeServices), changes it (UpdateService),
   updates the target and records an activity — each a durable store write.
2. Scheduled actions: the same S targets with two cron actions each (every hour at :00
   MinCapacity 4, at :30 MaxCapacity 2, Europe/Paris), one simulated day replayed:
   48 × S firings, each setting min/max and the desired count.  Wall time per day.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cargobay.app import App
from cargobay.clock import SimClock, perf_counter
from cargobay.config import Config
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.application_autoscaling.service import ApplicationAutoScalingService
from cargobay.services.cloudwatch.service import CloudWatchService
from cargobay.services.ecs.service import EcsService
from cargobay.store.sqlite import SqliteStore

T0 = 1_800_000_000.0
REGION, ACCOUNT = "us-east-1", "000000000000"


def make_app(path: str) -> App:
    def services(app: App) -> dict[str, object]:
        return {"ecs": EcsService(app), "cloudwatch": CloudWatchService(app),
                "application-autoscaling": ApplicationAutoScalingService(app)}

    return App(Config(data_dir=None, auth_mode="off"), clock=SimClock(start=T0),
               store=SqliteStore(path), services=services)


async def call(app: App, service: str, op: str, params: dict[str, Any]) -> dict[str, Any]:
    return await app.dispatcher.call(service, op, params, region=REGION, account_id=ACCOUNT)


def target(i: int) -> dict[str, str]:
    return {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
            "ResourceId": f"service/bench/svc-{i:04d}"}


async def setup(app: App, services: int) -> list[dict[str, Any]]:
    await call(app, "ecs", "CreateCluster", {"clusterName": "bench"})
    await call(app, "ecs", "RegisterTaskDefinition", {"family": "web", "containerDefinitions": [
        {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}]})
    policies = []
    for i in range(services):
        await call(app, "ecs", "CreateService", {"cluster": "bench", "serviceName":
                                                 f"svc-{i:04d}", "taskDefinition": "web",
                                                 "desiredCount": 4})
        await call(app, "application-autoscaling", "RegisterScalableTarget",
                   {**target(i), "MinCapacity": 1, "MaxCapacity": 100})
        out = await call(app, "application-autoscaling", "PutScalingPolicy", {
            **target(i), "PolicyName": "cpu", "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 50.0, "ScaleOutCooldown": 0, "ScaleInCooldown": 0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}})
        policies.append(out)
    return policies


def bench_actions(services: int, actions: int, tmp: str) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        app = make_app(os.path.join(tmp, "actions.db"))
        svc = app.services["application-autoscaling"]
        assert isinstance(svc, ApplicationAutoScalingService)
        policies = await setup(app, services)
        lat: list[float] = []
        t_all = perf_counter()
        for n in range(actions):
            p = policies[n % services]
            high = (n // services) % 2 == 0
            alarm = p["Alarms"][0 if high else 1]
            firing = AlarmFiring(alarm["AlarmName"], alarm["AlarmARN"], "ALARM",
                                 50.0 if high else 45.0,
                                 "GreaterThanThreshold" if high else "LessThanThreshold",
                                 [100.0 if high else 25.0], app.clock.now())
            t = perf_counter()
            await svc.on_alarm_action(p["PolicyARN"], firing)
            lat.append(perf_counter() - t)
        total = perf_counter() - t_all
        acts = await call(app, "application-autoscaling", "DescribeScalingActivities",
                          {"ServiceNamespace": "ecs", **{"ResourceId": target(0)["ResourceId"]}})
        app.store.close()
        lat.sort()
        return {"services": services, "actions": actions, "actions_per_s": actions / total,
                "p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[int(len(lat) * .99)] * 1000,
                "activities_of_svc0": len(acts["ScalingActivities"])}

    return asyncio.run(go())


def bench_schedule(services: int, tmp: str) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        app = make_app(os.path.join(tmp, "schedule.db"))
        svc = app.services["application-autoscaling"]
        assert isinstance(svc, ApplicationAutoScalingService)
        await setup(app, services)
        for i in range(services):
            for name, expr, action in (("up", "cron(0 * * * ? *)", {"MinCapacity": 4}),
                                       ("down", "cron(30 * * * ? *)", {"MaxCapacity": 2})):
                await call(app, "application-autoscaling", "PutScheduledAction", {
                    **target(i), "ScheduledActionName": name, "Schedule": expr,
                    "Timezone": "Europe/Paris", "ScalableTargetAction": action})
        await svc.start()
        clock = app.clock
        assert isinstance(clock, SimClock)
        t = perf_counter()
        await clock.advance(86_400)
        took = perf_counter() - t
        fired = svc.scheduler.fired
        await svc.stop()
        app.store.close()
        return {"services": services, "firings": fired, "wall_s_per_simulated_day": took,
                "firings_per_s": fired / took}

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=500)
    ap.add_argument("--actions", type=int, default=5000)
    args = ap.parse_args()
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        print("alarm actions:", bench_actions(args.services, args.actions, tmp))
        print("scheduled actions:", bench_schedule(args.services, tmp))


if __name__ == "__main__":
    main()
