"""CloudWatch: the cost of one alarm evaluation tick, and PutMetricData ingestion.

    python benchmarks/alarms.py                      # 10,000 alarms, default sizes
    python benchmarks/alarms.py --alarms 1000 --requests 200   # a quick run

1. Evaluation tick: 10,000 metrics with five minutes of 1-minute data each (in-process,
   SQLite store in a temporary directory, SimClock), 10,000 alarms (3 of 3, period 60,
   one per metric).  Timed: the first tick (every alarm leaves INSUFFICIENT_DATA: 10,000
   alarm and history writes in one store batch) and a steady tick (no change of state).
   Bar: under 1 s.
2. PutMetricData in-process through ``app.dispatcher.call`` (as the ECS metrics
   publisher sends it): calls of 20 datums on 1,000 metrics, datums per second (each
   call is one durable store batch).
3. PutMetricData through boto3 against ``cargobay server`` (SQLite): N client threads,
   calls of 20 datums; datums per second acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cargobay.app import App
from cargobay.clock import SimClock, perf_counter
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch.service import CloudWatchService
from cargobay.store.sqlite import SqliteStore

T0 = 1_800_000_000.0
CTX = RequestContext("cloudwatch", "", "us-east-1", "000000000000", "bench", "json")


def make_app(path: str) -> App:
    return App(Config(), clock=SimClock(start=T0), store=SqliteStore(path),
               services=lambda app: {"cloudwatch": CloudWatchService(app)})


def dims(i: int) -> list[dict[str, str]]:
    return [{"Name": "ClusterName", "Value": "bench"}, {"Name": "ServiceName",
                                                       "Value": f"svc-{i:05d}"}]


def bench_tick(alarms: int, tmp: str) -> dict[str, float]:
    async def go() -> dict[str, float]:
        app = make_app(os.path.join(tmp, "tick.db"))
        svc = app.services["cloudwatch"]
        assert isinstance(svc, CloudWatchService)
        await app.clock.advance(600)  # type: ignore[attr-defined]
        now = app.clock.now()
        for base in range(0, alarms, 200):
            datums = [{"MetricName": "CPUUtilization", "Dimensions": dims(i),
                       "Timestamp": now - 60 * (k + 1), "Value": float((i + k) % 100)}
                      for i in range(base, min(alarms, base + 200)) for k in range(5)]
            svc.put_metric_data(CTX, {"Namespace": "Bench", "MetricData": datums})
        for i in range(alarms):
            svc.put_metric_alarm(CTX, {
                "AlarmName": f"alarm-{i:05d}", "MetricName": "CPUUtilization",
                "Namespace": "Bench", "Dimensions": dims(i), "Statistic": "Average",
                "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 3,
                "Threshold": 50.0, "ComparisonOperator": "GreaterThanThreshold"})
        t = perf_counter()
        changed = await svc.evaluate_all(now)
        first = perf_counter() - t
        steady: list[float] = []
        for _ in range(3):
            t = perf_counter()
            assert await svc.evaluate_all(now) == 0
            steady.append(perf_counter() - t)
        app.store.close()
        return {"alarms": alarms, "changed_first_tick": changed, "first_tick_s": first,
                "steady_tick_s": sorted(steady)[1]}

    return asyncio.run(go())


def bench_put_in_process(requests: int, tmp: str) -> dict[str, float]:
    """Through ``app.dispatcher.call`` (input checked against the model, as the ECS
    metrics publisher calls it)."""

    async def go() -> float:
        app = make_app(os.path.join(tmp, "put.db"))
        t = perf_counter()
        for r in range(requests):
            await app.dispatcher.call("cloudwatch", "PutMetricData", {
                "Namespace": "Bench", "MetricData": [
                    {"MetricName": "Req", "Dimensions": dims((r * 20 + j) % 1000),
                     "Value": float(j), "Timestamp": T0 - 30} for j in range(20)]},
                region="us-east-1")
        took = perf_counter() - t
        app.store.close()
        return took

    took = asyncio.run(go())
    return {"calls": requests, "datums": requests * 20, "datums_per_s": requests * 20 / took}


def bench_put_boto3(requests: int, threads: int, tmp: str) -> dict[str, float]:
    from tests.support import ServerProcess, client

    srv = ServerProcess(data_dir=os.path.join(tmp, "server")).start()
    try:
        per = requests // threads
        errors: list[BaseException] = []

        def worker(n: int) -> None:
            cw: Any = client("cloudwatch", srv.url)
            try:
                for r in range(per):
                    cw.put_metric_data(Namespace="Bench", MetricData=[
                        {"MetricName": "Req", "Dimensions": dims((n * per + r + j) % 1000),
                         "Value": float(j)} for j in range(20)])
            except BaseException as err:  # reported below
                errors.append(err)

        warm: Any = client("cloudwatch", srv.url)
        warm.list_metrics()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
        t = perf_counter()
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        took = perf_counter() - t
        if errors:
            raise errors[0]
        return {"threads": threads, "calls": per * threads, "datums": per * threads * 20,
                "datums_per_s": per * threads * 20 / took,
                "calls_per_s": per * threads / took}
    finally:
        srv.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alarms", type=int, default=10_000)
    ap.add_argument("--requests", type=int, default=2_000)
    ap.add_argument("--boto-requests", type=int, default=1_200)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cpus, python {platform.python_version()}, "
          f"load {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        print("tick:", bench_tick(args.alarms, tmp))
        print("put in-process:", bench_put_in_process(args.requests, tmp))
        print("put boto3:", bench_put_boto3(args.boto_requests, args.threads, tmp))


if __name__ == "__main__":
    main()
