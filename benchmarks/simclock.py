"""The simulated clock's promise: real seconds per simulated day.

    python benchmarks/simclock.py                       # every scenario, one day each
    python benchmarks/simclock.py idle services --days 0.25 --store sqlite

An App (every default service and its loops) on a SimClock, in this process; the clock
is moved a simulated hour at a time (``SimClock.advance``) and the real time that takes
is measured, then scaled to a day.

- ``idle``: one cluster, one task definition, 10 services at desiredCount 0 (steady),
  no instance: the cost of the control plane's loops doing nothing.
- ``services``: 10 services x 2 tasks on 2 container instances served by in-process
  scripted agents (each long-polls the agent channel on the clock, as the real agent
  does, reports RUNNING / STOPPED through SubmitTaskStateChange, runs nothing); the
  day starts once every service is at its steady state.
- ``fargate``: the same with one FARGATE service of 1 task on the process runtime: a
  real ``sleep`` process supervised by the agent's task runner in the Fargate fleet
  (the agent's code in-process, no HTTP), if the fleet can run here.

For each: real seconds per simulated day, the sleepers woken per simulated hour
(``SimClock.woken``; 0 on a clock without that counter), and a check that nothing
changed over the day (running counts, no service event but the 6-hourly steady state,
the fake agents' tasks still RUNNING).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cargobay.app import App  # noqa: E402
from cargobay.clock import SimClock  # noqa: E402
from cargobay.config import Config  # noqa: E402
from cargobay.protocol.base import RequestContext  # noqa: E402
from cargobay.protocol.http import HttpRequest  # noqa: E402

CTX = RequestContext("ecs", "bench", "us-east-1", "000000000000", "bench", "internal",
                     principal_arn="arn:aws:iam::000000000000:root")
SERVICES = 10
DAY = 86400.0


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


class ScriptedAgent:
    """A container instance whose agent lives in this process: it long-polls the agent
    channel (held on the clock, ``wait`` 20 s) and reports what it is asked to run as
    RUNNING and what it is asked to stop as STOPPED, at once."""

    def __init__(self, app: App, zone: str, index: int) -> None:
        self.app = app
        ecs: Any = app.services["ecs"]
        self.ecs = ecs
        ci = ecs.register_container_instance(CTX, {
            "totalResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": 4096},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 8192},
            ],
            "instanceIdentityDocument": json.dumps(
                {"instanceId": f"i-{index:017x}", "availabilityZone": zone}),
        })["containerInstance"]
        self.arn: str = ci["containerInstanceArn"]
        self.version = 0
        self.reported: dict[str, str] = {}
        self.polls = 0

    async def poll(self, wait: float) -> None:
        body = {"containerInstanceArn": self.arn, "version": self.version, "wait": wait}
        resp = await self.app.agent_channel.handle(
            HttpRequest("POST", "/_cargobay/agent/poll", body=orjson.dumps(body)))
        assert resp.status == 200, resp.body
        answer = orjson.loads(resp.body)
        self.polls += 1
        self.version = int(answer["version"])
        for t in answer["tasks"]:
            arn, desired = t["taskArn"], t["desiredStatus"]
            if self.reported.get(arn) == desired:
                continue
            status = "RUNNING" if desired == "RUNNING" else "STOPPED"
            self.ecs.submit_task_state_change(CTX, {"task": arn, "status": status})
            self.reported[arn] = desired

    async def run(self) -> None:
        for _ in range(10**9):  # bounded: each poll is held on the clock or answered
            await self.poll(20.0)


def describe(app: App, names: list[str]) -> list[dict[str, Any]]:
    ecs: Any = app.services["ecs"]
    out: list[dict[str, Any]] = []
    for i in range(0, len(names), 10):
        out += ecs.describe_services(CTX, {"services": names[i:i + 10]})["services"]
    return out


def steady(app: App, names: list[str]) -> bool:
    out = describe(app, names)
    return all(
        len(s["deployments"]) == 1
        and s["deployments"][0]["rolloutState"] == "COMPLETED"
        and s["runningCount"] == s["desiredCount"]
        and s["events"] and "has reached a steady state" in s["events"][0]["message"]
        for s in out
    )


def snapshot(app: App, names: list[str]) -> list[tuple[str, int, int, int]]:
    out = describe(app, names)
    return [(s["serviceName"], s["runningCount"], s["pendingCount"], len(s["events"]))
            for s in out]


async def scenario(kind: str, days: float, store: str) -> dict[str, Any]:
    tmp = tempfile.mkdtemp(prefix="cargobay-simclock-") if store == "sqlite" else None
    clock = SimClock()
    app = App(Config(data_dir=tmp, auth_mode="off"), clock=clock)
    await app.start()
    ecs: Any = app.services["ecs"]
    agents: list[ScriptedAgent] = []
    loops: list[asyncio.Task[None]] = []
    try:
        ecs.create_cluster(CTX, {"clusterName": "default"})
        ecs.register_task_definition(CTX, {
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64,
                                      "cpu": 64, "command": ["sleep", "infinity"]}],
        })
        desired = 0 if kind == "idle" else 2
        if kind != "idle":
            agents = [ScriptedAgent(app, f"us-east-1{'ab'[i]}", i) for i in range(2)]
            loops = [asyncio.create_task(a.run(), name=f"agent-{i}")
                     for i, a in enumerate(agents)]
        names = [f"s{i}" for i in range(SERVICES)]
        for name in names:
            ecs.create_service(CTX, {"serviceName": name, "taskDefinition": "web",
                                     "desiredCount": desired})
        if kind == "fargate":
            ecs.register_task_definition(CTX, {
                "family": "fg", "requiresCompatibilities": ["FARGATE"],
                "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "containerDefinitions": [{"name": "app", "image": "busybox",
                                          "command": ["sleep", "infinity"]}],
            })
            ecs.create_service(CTX, {
                "serviceName": "fg", "taskDefinition": "fg", "desiredCount": 1,
                "launchType": "FARGATE",
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
            })
            names.append("fg")
        t0 = time.perf_counter()
        for _ in range(600):  # bounded: a few simulated minutes to converge
            if steady(app, names):
                break
            await clock.advance(1.0)
            if kind == "fargate":
                await asyncio.sleep(0.01)  # the real process starts in real time
        else:
            raise SystemExit(f"{kind}: the services did not reach a steady state: "
                             f"{snapshot(app, names)}")
        converge = time.perf_counter() - t0
        before = snapshot(app, names)
        woken0, polls0 = getattr(clock, "woken", 0), sum(a.polls for a in agents)
        hours = max(1, round(days * 24))
        step = days * DAY / hours
        t0 = time.perf_counter()
        for _ in range(hours):
            await clock.advance(step)
        real = time.perf_counter() - t0
        after = snapshot(app, names)
        assert [a[:3] for a in after] == [b[:3] for b in before], (before, after)
        events = sum(a[3] - b[3] for a, b in zip(after, before, strict=True))
        # a steady service says so again every 6 hours, and nothing else
        assert events <= len(names) * (int(days * 4) + 1), (before, after)
        for a in agents:
            assert all(v == "RUNNING" for v in a.reported.values()), a.reported
        sim_hours = days * 24
        return {
            "scenario": kind,
            "store": store,
            "simulated_days": days,
            "real_s": round(real, 2),
            "real_s_per_simulated_day": round(real / days, 2),
            "wakeups_per_simulated_hour": round(
                (getattr(clock, "woken", 0) - woken0) / sim_hours),
            "agent_polls_per_simulated_hour": round(
                (sum(a.polls for a in agents) - polls0) / sim_hours, 1),
            "converge_real_s": round(converge, 2),
            "tasks": sum(s[1] for s in after),
            "service_events": events,
        }
    finally:
        for t in loops:
            t.cancel()
        for t in loops:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await app.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", default=["idle", "services", "fargate"],
                    choices=["idle", "services", "fargate"])
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--store", choices=["memory", "sqlite"], default="sqlite")
    args = ap.parse_args()
    print(f"# {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    for kind in args.scenarios:
        print(json.dumps(asyncio.run(scenario(kind, args.days, args.store))), flush=True)


if __name__ == "__main__":
    main()
