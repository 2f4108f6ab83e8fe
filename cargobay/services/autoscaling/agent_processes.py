"""The ``cargobay agent`` processes that are an Auto Scaling group's instances.

Each instance is ``python -m cargobay agent`` started by the server in its own
session (so a terminal's Ctrl-C reaches the server only, and a server killed with
-9 leaves its instances running), with:

- ``--instance-id``: the instance's id, which the container instance reports as
  ``ec2InstanceId``;
- ``--cpu`` / ``--memory`` / ``--attribute ecs.instance-type=… ecs.availability-zone=…
  ecs.ami-id=…``: the launch configuration's instance type and image, the zone chosen;
- ``--runtime``: ``process`` (``CARGOBAY_ASG_RUNTIME`` to change);
- ``--data-dir <data dir>/instances/<id>`` (a temporary directory when the server keeps
  no state on disk); the agent's log is ``agent.log`` there.

Its environment is the server's less any AWS credentials, profile or config file, plus
the instance profile's credential endpoint (instance_credentials.py) when the launch
configuration names one; without one the agent signs with the root keys.

A process is known by PID.  One this server started is checked with ``poll()`` (which
also reaps it); one adopted after a restart is checked with ``kill(pid, 0)`` and its
``/proc/<pid>/cmdline`` naming the instance id (a recycled PID is not the instance).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable

from cargobay.clock import perf_counter

log = logging.getLogger("cargobay.autoscaling")

RUNTIME_ENV = "CARGOBAY_ASG_RUNTIME"
DEFAULT_RUNTIME = "process"

#: environment variables an instance never inherits from the server
_DROPPED_PREFIXES = ("AWS_",)


def instance_env(extra: dict[str, str], home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    none = os.path.join(home, "no-aws-config")
    env["AWS_CONFIG_FILE"] = none
    env["AWS_SHARED_CREDENTIALS_FILE"] = none
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


class AgentProcesses:
    def __init__(self, data_dir: str | None) -> None:
        self._root_given = data_dir
        self._tmp: str | None = None
        #: processes this server started, by PID
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        #: processes a previous server started and this one adopted: PID → instance id
        self.adopted: dict[int, str] = {}

    def root(self) -> str:
        if self._root_given is not None:
            return os.path.abspath(os.path.join(self._root_given, "instances"))
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="cargobay-instances-")
        return self._tmp

    def home(self, instance_id: str) -> str:
        return os.path.join(self.root(), instance_id)

    def launch(
        self,
        *,
        instance_id: str,
        endpoint: str,
        cluster: str,
        region: str,
        cpu: int,
        memory: int,
        attributes: dict[str, str],
        env: dict[str, str],
    ) -> int:
        home = self.home(instance_id)
        os.makedirs(home, exist_ok=True)
        runtime = os.environ.get(RUNTIME_ENV) or DEFAULT_RUNTIME
        cmd = [
            sys.executable, "-m", "cargobay", "agent",
            "--endpoint", endpoint, "--cluster", cluster, "--region", region,
            "--cpu", str(cpu), "--memory", str(memory),
            "--runtime", runtime, "--data-dir", home, "--instance-id", instance_id,
        ]
        for k, v in attributes.items():
            cmd += ["--attribute", f"{k}={v}"]
        with open(os.path.join(home, "agent.log"), "ab") as out:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                env=instance_env(env, home), start_new_session=True, cwd=home,
            )
        self.children[proc.pid] = proc
        return proc.pid

    def alive(self, pid: int | None, instance_id: str) -> bool:
        if not pid:
            return False
        proc = self.children.get(pid)
        if proc is not None:
            if proc.poll() is None:
                return True
            del self.children[pid]
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            return False
        if instance_id.encode() not in cmdline:
            return False
        return not _zombie(pid)

    def signal(self, pid: int | None, instance_id: str, sig: int = signal.SIGTERM) -> None:
        if pid and self.alive(pid, instance_id):
            with contextlib.suppress(OSError):
                os.kill(pid, sig)

    def adopt(self, pid: int, instance_id: str) -> None:
        self.adopted[pid] = instance_id

    def running(self) -> list[int]:
        """Every live agent process: children and adopted ones."""
        pids = [pid for pid, p in list(self.children.items()) if p.poll() is None]
        for pid, iid in list(self.adopted.items()):
            if self.alive(pid, iid):
                pids.append(pid)
            else:
                del self.adopted[pid]
        return pids

    def terminate_all(self, pids: Iterable[int] | None = None) -> list[int]:
        """SIGTERM every child (or ``pids``); the PIDs signalled."""
        sent = []
        for pid in list(pids if pids is not None else self.running()):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
                sent.append(pid)
        return sent

    def kill_all(self, pids: Iterable[int]) -> None:
        for pid in pids:
            proc = self.children.get(pid)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(OSError):
                    proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=1)

    def reap(self, pid: int | None, timeout: float = 1.0) -> None:
        """Wait (briefly) for a child that was signalled, so no zombie is left."""
        proc = self.children.get(pid or 0)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=timeout)
            if proc.poll() is not None:
                self.children.pop(proc.pid, None)

    def wait_gone(self, pids: list[int], timeout: float) -> list[int]:
        """Block (a worker thread's job) until every PID in ``pids`` has exited or
        ``timeout`` seconds pass; SIGKILL the ones left.  Returns those killed."""
        left: list[int] = []
        waiter = select.poll()
        fds: dict[int, int] = {}
        for pid in pids:
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                continue
            fds[fd] = pid
            waiter.register(fd, select.POLLIN)
        try:
            deadline_ms = int(timeout * 1000)
            pending = set(fds)
            while pending and deadline_ms > 0:
                before = _monotonic_ms()
                for fd, _ in waiter.poll(deadline_ms):
                    pending.discard(fd)
                    waiter.unregister(fd)
                deadline_ms -= _monotonic_ms() - before
            for fd in pending:
                pid = fds[fd]
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                left.append(pid)
        finally:
            for fd in fds:
                os.close(fd)
        for pid in pids:
            self.reap(pid, timeout=1.0)
        return left

    def forget(self, instance_id: str) -> None:
        """Remove a terminated instance's directory."""
        shutil.rmtree(self.home(instance_id), ignore_errors=True)

    def cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _monotonic_ms() -> int:
    return int(perf_counter() * 1000)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return bool(fields) and fields[0] == b"Z"
