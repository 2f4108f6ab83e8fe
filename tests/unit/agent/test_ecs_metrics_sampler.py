"""The agent's usage sampler (cargobay/agent/usage_sampler.py): CPU use is CPU-seconds
per second of *real* time (perf_counter), in ECS CPU units; memory in MiB; only
running containers; a task is reported once each of its running containers has a
measured rate.  One test runs real processes through the process runtime, on a
simulated clock that never moves: the rate still follows the real load."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.runtime import ContainerHandle, ContainerSpec, ContainerStats
from cargobay.agent.runtime.process import ProcessRuntime
from cargobay.agent.usage_sampler import MIN_WINDOW, UsageSampler
from cargobay.clock import SimClock

MIB = 1 << 20


@dataclass
class C:
    name: str
    handle: ContainerHandle | None
    status: str = "RUNNING"


@dataclass
class R:
    containers: dict[str, C] = field(default_factory=dict)


class FakeRuntime:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.mem: dict[str, int] = {}
        self.reads = 0

    async def stats(self, handle: ContainerHandle) -> ContainerStats:
        self.reads += 1
        return ContainerStats(self.cpu[handle.id], self.mem[handle.id], 0, 1, 0.0)


class Perf:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def runner(*names: str) -> R:
    return R({n: C(n, ContainerHandle(f"id-{n}", n)) for n in names})


def test_cpu_rate_is_per_real_second_in_cpu_units_summed_over_containers() -> None:
    async def main() -> None:
        rt, perf = FakeRuntime(), Perf()
        s = UsageSampler(lambda: rt, SimClock(), perf=perf)
        runners: dict[str, Any] = {"arn:t1": runner("a", "b")}
        rt.cpu.update({"id-a": 10.0, "id-b": 5.0})
        rt.mem.update({"id-a": 64 * MIB, "id-b": 32 * MIB})
        await s.refresh(runners)
        assert s.snapshot(runners) == {}  # one reading: no rate yet
        perf.t += 2.0  # two real seconds: a used 1 s of CPU, b 0.5 s
        rt.cpu.update({"id-a": 11.0, "id-b": 5.5})
        await s.refresh(runners)
        assert s.snapshot(runners) == {"arn:t1": {"cpu": 768.0, "memory": 96.0}}

    asyncio.run(main())


def test_a_window_shorter_than_the_minimum_keeps_the_last_rate() -> None:
    async def main() -> None:
        rt, perf = FakeRuntime(), Perf()
        s = UsageSampler(lambda: rt, SimClock(), perf=perf)
        runners: dict[str, Any] = {"arn:t1": runner("a")}
        rt.cpu["id-a"], rt.mem["id-a"] = 0.0, MIB
        await s.refresh(runners)
        perf.t += 1.0
        rt.cpu["id-a"] = 0.5
        await s.refresh(runners)
        assert s.snapshot(runners)["arn:t1"]["cpu"] == 512.0
        perf.t += MIN_WINDOW / 10  # too short to measure: the rate stands
        rt.cpu["id-a"] = 0.5 + MIN_WINDOW / 10
        await s.refresh(runners)
        assert s.snapshot(runners)["arn:t1"]["cpu"] == 512.0

    asyncio.run(main())


def test_stopped_containers_are_left_out_and_a_new_container_starts_afresh() -> None:
    async def main() -> None:
        rt, perf = FakeRuntime(), Perf()
        s = UsageSampler(lambda: rt, SimClock(), perf=perf)
        r = runner("a", "b")
        runners: dict[str, Any] = {"arn:t1": r}
        rt.cpu.update({"id-a": 1.0, "id-b": 1.0})
        rt.mem.update({"id-a": MIB, "id-b": MIB})
        await s.refresh(runners)
        perf.t += 1.0
        rt.cpu.update({"id-a": 2.0, "id-b": 1.0})
        await s.refresh(runners)
        r.containers["b"].status = "STOPPED"
        assert s.snapshot(runners) == {"arn:t1": {"cpu": 1024.0, "memory": 1.0}}
        # b restarted under a new runtime id: not measured yet, so the task waits
        r.containers["b"] = C("b", ContainerHandle("id-b2", "b"))
        rt.cpu["id-b2"], rt.mem["id-b2"] = 0.0, MIB
        assert s.snapshot(runners) == {}

    asyncio.run(main())


def test_report_refreshes_at_most_once_per_interval_and_sends_each_reading_once() -> None:
    async def main() -> None:
        rt, perf = FakeRuntime(), Perf()
        s = UsageSampler(lambda: rt, SimClock(), perf=perf, refresh_every=1.0)
        runners: dict[str, Any] = {"arn:t1": runner("a")}
        rt.cpu["id-a"], rt.mem["id-a"] = 0.0, MIB
        sent = []
        for _ in range(20):  # a burst of polls
            sent.append(s.report(runners))
            for _ in range(3):
                await asyncio.sleep(0)
        assert rt.reads == 1
        # nothing to send: no rate yet after one reading
        assert sent == [{}] * 20
        perf.t += 1.5
        rt.cpu["id-a"] = 0.75
        assert s.report(runners) == {}
        for _ in range(3):
            await asyncio.sleep(0)
        assert rt.reads == 2
        assert s.report(runners) == {"arn:t1": {"cpu": 512.0, "memory": 1.0}}
        assert s.report(runners) == {}  # sent once
        s.close()

    asyncio.run(main())


def test_a_runtime_with_costly_stats_is_read_further_apart() -> None:
    async def main() -> None:
        rt, perf = FakeRuntime(), Perf()
        rt.stats_interval = 10.0  # type: ignore[attr-defined]  # as DockerRuntime says
        s = UsageSampler(lambda: rt, SimClock(), perf=perf, refresh_every=1.0)
        runners: dict[str, Any] = {"arn:t1": runner("a")}
        rt.cpu["id-a"], rt.mem["id-a"] = 0.0, MIB
        for step in range(12):  # a poll every real second
            s.report(runners)
            for _ in range(3):
                await asyncio.sleep(0)
            assert rt.reads == (1 if step < 10 else 2), step
            perf.t += 1.0
        s.close()

    asyncio.run(main())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_real_processes_on_a_still_simulated_clock(tmp_path: Path) -> None:
    """A busy loop shows about a core's worth of units (less on a loaded machine), a
    sleeper none, though the simulated clock never moved."""

    async def main() -> None:
        clock = SimClock()
        rt = ProcessRuntime(clock, memory_poll_interval=0.05)
        try:
            handles = {}
            for name, script in (("busy", "while :; do :; done"), ("idle", "sleep 30")):
                h = await rt.create(ContainerSpec(task_id=name, name="c", image="x",
                                                  command=["sh", "-c", script]))
                await rt.start(h)
                handles[name] = h
            runners: dict[str, Any] = {
                f"arn:{n}": R({"c": C("c", h)}) for n, h in handles.items()
            }
            s = UsageSampler(lambda: rt, clock)
            await s.refresh(runners)
            time.sleep(0.8)  # real time passes; the simulated clock does not
            await s.refresh(runners)
            got = s.snapshot(runners)
            assert got["arn:busy"]["cpu"] > 0.25 * 1024, got
            assert got["arn:idle"]["cpu"] < 0.05 * 1024, got
            assert got["arn:busy"]["memory"] > 0
            for h in handles.values():
                await rt.remove(h)
        finally:
            await rt.close()

    asyncio.run(main())
