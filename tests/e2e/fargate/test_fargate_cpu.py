"""On the process runtime a Fargate task's processes share a CPU quota of cpu/1024
cores (a CFS quota on the task's own cgroup) where the host lets the server set one."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from cargobay.fargate import cpu_quota
from tests.e2e.fargate.conftest import until
from tests.e2e.fargate.test_fargate_tasks import NETWORK, register

pytestmark = pytest.mark.skipif(
    cpu_quota._v1_root() is None, reason="no writable cgroup v1 cpu controller here"
)


def pids_of(task_id: str) -> list[int]:
    """The processes of the task's containers (their metadata endpoint names the task)."""
    mark = f"/v4/{task_id}-".encode()
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(e.startswith(b"ECS_CONTAINER_METADATA_URI_V4=") and mark in e for e in env):
                out.append(int(pid))
    return out


@pytest.mark.parametrize("runtime_kind", ["process"])
def test_a_busy_fargate_task_is_held_to_its_cpu(fecs: Any) -> None:
    ecs = fecs
    td = register(ecs, "fg-busy", ["sh", "-c", "while :; do :; done"])
    task = ecs.run_task(cluster=ecs.cluster, taskDefinition=td, launchType="FARGATE",
                        networkConfiguration=NETWORK)["tasks"][0]
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    (pid,) = until(lambda: pids_of(task_id))
    group = Path(cpu_quota._v1_root() or "", cpu_quota.GROUP, task_id)
    assert f"/{cpu_quota.GROUP}/{task_id}" in Path(f"/proc/{pid}/cgroup").read_text()
    assert (group / "cpu.cfs_quota_us").read_text().strip() == "25000"  # 256/1024 cores
    start = time.monotonic()
    until(lambda: time.monotonic() - start > 1.0, every=0.1)
    stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
    assert int(stat["nr_throttled"]) > 0
    ecs.stop_task(cluster=ecs.cluster, task=task["taskArn"])
    until(lambda: not group.exists())
