"""What the benchmarks share: a free port, a server in a child process (``cargobay
server``/``cargobay up``, or moto's), boto3 clients, a process's CPU time, and the
watch of ECS tasks on their way to RUNNING.

Import it from a benchmark run as a script (``python benchmarks/x.py``: its folder is on
``sys.path``) as ``from _support import ...``.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cargobay.services.ecs.task_lifecycle import RANK

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """``python <argv>``, a server listening on 127.0.0.1:``port``; :attr:`url` is its
    endpoint.  The constructor returns once ``health`` answers over HTTP (any status)."""

    def __init__(self, argv: list[str], port: int, *, health: str = "/health",
                 env: dict[str, str] | None = None, timeout: float = 30.0) -> None:
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, *argv],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        try:
            self._wait(health, timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.proc.args!r} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=1):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"{self.url}{path} did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it is still there after ``timeout`` seconds."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def cargobay(*args: str, command: str = "server", env: dict[str, str] | None = None,
             timeout: float = 30.0) -> Server:
    """``python -m cargobay <command> --port <free port> <args>``, once it answers /health."""
    port = free_port()
    return Server(["-m", "cargobay", command, "--port", str(port), *args], port, env=env,
                  timeout=timeout)


def cargobay_on_disk(tmp: str, env: dict[str, str] | None = None) -> Server:
    """``cargobay server`` with its SQLite state in ``<tmp>/cargobay``."""
    return cargobay("--data-dir", os.path.join(tmp, "cargobay"), env=env)


def moto() -> Server:
    """``python -m moto.server``, once it answers."""
    port = free_port()
    return Server(["-m", "moto.server", "-H", HOST, "-p", str(port)], port,
                  health="/moto-api/")


def each_server(tmp: str, only: str | None = None,
                env: dict[str, str] | None = None) -> Iterator[tuple[str, Server]]:
    """("cargobay", :func:`cargobay_on_disk`), then ("moto", :func:`moto`) — or only the
    one named ``only`` — each stopped once the loop moves on (or leaves)."""
    starters: list[tuple[str, Callable[[], Server]]] = [
        ("cargobay", lambda: cargobay_on_disk(tmp, env=env)), ("moto", moto)]
    for name, start in starters:
        if only and only != name:
            continue
        with start() as srv:
            yield name, srv


def client(service: str, url: str, **config: Any) -> Any:
    """A boto3 client for ``url`` (test credentials, us-east-1, no retries)."""
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def machine() -> str:
    """"<arch>, <n> cores, <python version>" for a results file."""
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}"


def save_json(path: str | None, results: dict[str, Any]) -> None:
    """Write ``results`` to ``path`` (the --json option), if one was given."""
    if path:
        with open(path, "w") as f:
            json.dump(results, f, indent=2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RunningWatch:
    """ECS tasks launched from many threads and watched by one: a DescribeTasks for the
    tasks in flight (100 at a time) every ``poll`` seconds, the view a client has without
    one poller per task.  A task's latency (:attr:`client_side`) runs from just before
    its RunTask to the first answer that shows it RUNNING or later; :attr:`server_side`
    is the server's own view, ``startedAt - createdAt``.  Use it as a context manager
    around the calls to :meth:`launch`."""

    TIMEOUT = 120.0

    def __init__(self, ecs: Any, poll: float, cluster: str = "default") -> None:
        self.ecs = ecs
        self.poll = poll
        self.cluster = cluster
        self.client_side: list[float] = []
        self.server_side: list[float] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[float, threading.Event]] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def launch(self, run_task: Callable[[], Any]) -> dict[str, Any] | None:
        """Call ``run_task`` (a RunTask of one task) and wait until the task runs; the
        task RunTask answered, or None if it failed to launch."""
        event = threading.Event()
        t0 = time.perf_counter()
        resp = run_task()
        if not resp["tasks"]:
            with self._lock:
                self.failures.append(str(resp["failures"]))
            return None
        task: dict[str, Any] = resp["tasks"][0]
        with self._lock:
            self._waiting[task["taskArn"]] = (t0, event)
        if not event.wait(self.TIMEOUT):
            with self._lock:
                self.failures.append(f"not RUNNING within {self.TIMEOUT:.0f} s")
        return task

    def _watch(self) -> None:
        running = RANK["RUNNING"]
        while not self._done.is_set():
            with self._lock:
                arns = list(self._waiting)
            for i in range(0, len(arns), 100):
                for task in self.ecs.describe_tasks(cluster=self.cluster,
                                                    tasks=arns[i:i + 100])["tasks"]:
                    if RANK[task["lastStatus"]] < running:
                        continue
                    now = time.perf_counter()
                    with self._lock:
                        t0, event = self._waiting.pop(task["taskArn"])
                        self.client_side.append(now - t0)
                        if "startedAt" in task:
                            self.server_side.append(
                                (task["startedAt"] - task["createdAt"]).total_seconds())
                    event.set()
            time.sleep(self.poll)

    def __enter__(self) -> RunningWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join(10)
