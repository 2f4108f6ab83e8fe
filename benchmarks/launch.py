"""Task launch latency: RunTask → RUNNING, on each runtime, and plain ``docker run``.

    python benchmarks/launch.py                       # 200 tasks per runtime, 10 in flight
    python benchmarks/launch.py --tasks 50 --runtimes process

For each runtime, ``cargobay up --in-memory --runtime R`` runs on a free port (the
control plane and its embedded agent in one process).  N tasks of a one-container
task definition (``sh -c "sleep S"``: they sleep, then exit) are launched by C client
threads (at most C in flight): each calls RunTask and waits; one watcher thread calls
DescribeTasks for all tasks in flight every ``--poll`` seconds (10 ms for processes, 50
ms for Docker containers, whose start takes ~1 s: polling costs the server CPU the
engine also needs), and a task's
latency is the time from just before its RunTask to the first answer that shows it
RUNNING (or later).  Also reported: the
server's own view, ``startedAt - createdAt``.

For Docker the same containers (same image, command, memory limit, host network) are
also started with plain ``docker run -d`` by C threads: latency is the time the
command takes (it returns once the container started).  The two alternate in
``--rounds`` batches (4), each round swapping which goes first, so load from other jobs
on the machine weighs on both alike.  Overhead = cargobay's docker
p50 / plain ``docker run`` p50 − 1.
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
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from _support import RunningWatch, Server, cargobay, client, cpu_seconds

IMAGE = "cargobay-test/busybox:latest"
#: the watcher's DescribeTasks interval per runtime (s): each poll costs the server (on
#: the same cores as the engine) while it adds at most the interval to a latency, so
#: it is a small fraction of what is measured: ~100 ms tasks, ~1 s containers
POLL = {"process": 0.01, "docker": 0.05}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[idx]


def ecs_client(url: str) -> Any:
    return client("ecs", url, max_pool_connections=64)


def cargobay_server(*args: str, command: str = "server", **env: str) -> Server:
    """``cargobay <command> --in-memory <args>`` with CARGOBAY_LOG_LEVEL=warning (and
    ``env``), once it answers /health."""
    return cargobay("--in-memory", *args, command=command,
                    env={"CARGOBAY_LOG_LEVEL": "warning", **env})


class Up:
    """``cargobay up`` in a child process."""

    def __init__(self, runtime: str) -> None:
        self.server = cargobay_server("--runtime", runtime, command="up")
        self.url = self.server.url

    def wait_ready(self, ecs: Any, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.proc.poll() is not None:
                raise RuntimeError(f"cargobay up exited with {self.server.proc.returncode}")
            try:
                if ecs.list_container_instances(cluster="default")["containerInstanceArns"]:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        raise TimeoutError("cargobay up did not get its instance registered")

    def stop(self) -> None:
        self.server.stop(30)


class CargobayLauncher:
    """RunTask batches against one ``cargobay up`` (see the module docstring)."""

    def __init__(self, runtime: str, sleep: float, poll: float) -> None:
        self.runtime = runtime
        self.poll = poll
        self.up = Up(runtime)
        self.ecs = ecs_client(self.up.url)
        self.up.wait_ready(self.ecs)
        self.family = f"bench-{uuid.uuid4().hex[:6]}"
        self.ecs.register_task_definition(
            family=self.family,
            networkMode="host",
            containerDefinitions=[
                {
                    "name": "main",
                    "image": IMAGE,
                    "memory": 16,
                    "command": ["sh", "-c", f"sleep {sleep}"],
                }
            ],
        )
        self.client_side: list[float] = []
        self.server_side: list[float] = []
        self.cpu_used = 0.0
        self.launched = 0

    def batch(self, tasks: int, inflight: int) -> None:
        ecs = self.ecs

        def one(_: int) -> None:
            watch.launch(lambda: ecs.run_task(cluster="default", taskDefinition=self.family))

        cpu0 = cpu_seconds(self.up.server.pid)
        with RunningWatch(ecs, self.poll) as watch, ThreadPoolExecutor(inflight) as pool:
            list(pool.map(one, range(tasks)))
        self.cpu_used += cpu_seconds(self.up.server.pid) - cpu0
        self.client_side += watch.client_side
        self.server_side += watch.server_side
        self.launched += tasks
        failures = watch.failures
        if failures:
            print(f"  {self.runtime}: {len(failures)} RunTask failures, e.g. {failures[0]}")

    def close(self) -> dict[str, list[float]]:
        self.up.stop()
        print(
            f"  {self.runtime}: `cargobay up` used {self.cpu_used:.2f} s of CPU, "
            f"{self.cpu_used / max(1, self.launched) * 1000:.1f} ms per task "
            "(control plane + agent)"
        )
        return {"client": self.client_side, "server": self.server_side}


def split(total: int, rounds: int) -> list[int]:
    """``total`` tasks in ``rounds`` batches of (nearly) equal size."""
    return [total // rounds + (1 if i < total % rounds else 0) for i in range(rounds)]


def launch_docker_run(tasks: int, inflight: int, sleep: float) -> list[float]:
    label = f"cargobay-bench={uuid.uuid4().hex[:8]}"
    times: list[float] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        t0 = time.perf_counter()
        subprocess.run(
            [
                "docker",
                "run",
                "-d",
                "--network",
                "host",
                "--memory",
                "16m",
                "--label",
                label,
                IMAGE,
                "sh",
                "-c",
                f"sleep {sleep}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with lock:
            times.append(time.perf_counter() - t0)

    try:
        with ThreadPoolExecutor(inflight) as pool:
            list(pool.map(one, range(tasks)))
    finally:
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True
        ).stdout.split()
        for i in range(0, len(ids), 50):
            subprocess.run(["docker", "rm", "-f", *ids[i : i + 50]], capture_output=True)
    return times


def docker_ready() -> bool:
    return (
        subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode == 0
    )


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name:<34} | {0:>5} | {'-':>9} | {'-':>9} | {'-':>9} |"
    ms: Callable[[float], str] = lambda v: f"{v * 1000:9.1f}"  # noqa: E731
    return (
        f"| {name:<34} | {len(values):>5} | {ms(pct(values, 50))} | {ms(pct(values, 99))} "
        f"| {ms(statistics.fmean(values))} |"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", type=int, default=200)
    p.add_argument("--inflight", type=int, default=10)
    p.add_argument("--sleep", type=float, default=1.0, help="seconds each task sleeps")
    p.add_argument(
        "--poll",
        type=float,
        default=None,
        help="DescribeTasks interval (s); default 0.01 for process, 0.05 for docker",
    )
    p.add_argument("--runtimes", default="process,docker")
    p.add_argument(
        "--rounds", type=int, default=4, help="docker: alternating cargobay/plain batches"
    )
    args = p.parse_args()
    runtimes = [r for r in args.runtimes.split(",") if r]
    if "docker" in runtimes and not docker_ready():
        print(f"docker: no engine or no {IMAGE} (run .ci/docker-setup.sh); skipping docker")
        runtimes.remove("docker")
    print(
        f"# launch latency: {args.tasks} tasks per runtime, {args.inflight} in flight, "
        f"tasks sleep {args.sleep}s; {platform.platform()}, {os.cpu_count()} cores\n"
    )
    lines = ["| what | tasks | p50 ms | p99 ms | mean ms |", "|---|---:|---:|---:|---:|"]
    p50: dict[str, float] = {}
    plain: list[float] = []
    for runtime in runtimes:
        poll = args.poll if args.poll is not None else POLL[runtime]
        launcher = CargobayLauncher(runtime, args.sleep, poll)
        try:
            if runtime == "docker":
                # rounds alternate cargobay and plain `docker run` (and which goes first),
                # so both see the same machine: load that comes and goes (other jobs on
                # the host) weighs on both sides alike
                for i, n in enumerate(split(args.tasks, max(1, args.rounds))):
                    if i % 2:
                        plain += launch_docker_run(n, args.inflight, args.sleep)
                    launcher.batch(n, args.inflight)
                    if not i % 2:
                        plain += launch_docker_run(n, args.inflight, args.sleep)
            else:
                launcher.batch(args.tasks, args.inflight)
        finally:
            res = launcher.close()
        lines.append(row(f"cargobay {runtime}: RunTask→RUNNING", res["client"]))
        lines.append(row(f"cargobay {runtime}: startedAt−createdAt", res["server"]))
        if res["client"]:
            p50[runtime] = pct(res["client"], 50)
    if plain:
        lines.append(row("plain docker run -d", plain))
        p50["plain"] = pct(plain, 50)
    print("\n".join(lines))
    print()
    if "process" in p50:
        verdict = "meets" if p50["process"] < 0.100 else "MISSES"
        print(f"process runtime p50 {p50['process'] * 1000:.1f} ms: {verdict} the < 100 ms bar")
    if "docker" in p50 and "plain" in p50:
        overhead = p50["docker"] / p50["plain"] - 1
        verdict = "meets" if overhead < 0.20 else "MISSES"
        print(
            f"docker runtime overhead over plain docker run (p50): {overhead * 100:+.1f}%: "
            f"{verdict} the < 20% bar"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
