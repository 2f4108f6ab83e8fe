"""A ``kill -9`` of the server: its Fargate tasks are found again (Docker: the containers
kept running and are adopted, StopTask still stops them) or stopped honestly (process
runtime: the task's leftover processes are killed and the task is STOPPED with stopCode
TerminationNotice and a reason that says the server restarted)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.fargate.conftest import until
from tests.e2e.fargate.test_fargate_tasks import NETWORK, register
from tests.support import ServerProcess, client


def _status(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_tasks(cluster="default", tasks=[arn])["tasks"][0])


def _sleepers(marker: str) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmd:
                out.append(int(pid))
    return out


def test_fargate_tasks_survive_or_stop_honestly_after_kill_9(
    runtime_kind: str, tmp_path: Path
) -> None:
    env = {"CARGOBAY_FARGATE_RUNTIME": runtime_kind}
    marker = f"{uuid.uuid4().int % 100000}.{uuid.uuid4().int % 1000 + 1}"
    srv = ServerProcess(data_dir=str(tmp_path), env=env).start()
    try:
        ecs = client("ecs", srv.url)
        ecs.create_cluster(clusterName="default")
        td = register(ecs, "fg-keep", ["sleep", marker])
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE",
                           networkConfiguration=NETWORK)["tasks"][0]["taskArn"]
        until(lambda: _status(ecs, arn)["lastStatus"] == "RUNNING")
        assert srv.proc is not None
        srv.proc.kill()
        srv.proc.wait()
    finally:
        srv.stop()
    if runtime_kind == "process":
        assert _sleepers(marker), "the task's process outlives a kill -9 of its server"
    again = ServerProcess(data_dir=str(tmp_path), env=env).start()
    try:
        ecs = client("ecs", again.url)
        if runtime_kind == "process":
            t = until(lambda: (d := _status(ecs, arn))["lastStatus"] == "STOPPED" and d)
            assert t["stopCode"] == "TerminationNotice"
            assert "server restarted" in t["stoppedReason"]
            assert until(lambda: not _sleepers(marker), timeout=5) is True
        else:
            t = _status(ecs, arn)
            assert t["lastStatus"] == "RUNNING"
            ecs.stop_task(task=arn, reason="after the restart")
            t = until(lambda: (d := _status(ecs, arn))["lastStatus"] == "STOPPED" and d)
            assert (t["stopCode"], t["stoppedReason"]) == ("UserInitiated", "after the restart")
            assert t["containers"][0]["exitCode"] in (137, 143)
        assert t["attachments"][0]["status"] == "DETACHED"
    finally:
        again.stop()


def test_a_clean_shutdown_stops_process_fargate_tasks(tmp_path: Path) -> None:
    """Process-runtime tasks are the server's children: a clean stop of the server stops
    them, with stopCode TerminationNotice, and the stored task says so after a restart."""
    env = {"CARGOBAY_FARGATE_RUNTIME": "process"}
    srv = ServerProcess(data_dir=str(tmp_path), env=env).start()
    try:
        ecs = client("ecs", srv.url)
        ecs.create_cluster(clusterName="default")
        td = register(ecs, "fg-bye", ["sleep", "600"])
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE",
                           networkConfiguration=NETWORK)["tasks"][0]["taskArn"]
        until(lambda: _status(ecs, arn)["lastStatus"] == "RUNNING")
    finally:
        assert srv.stop() == 0
    again = ServerProcess(data_dir=str(tmp_path), env=env).start()
    try:
        t = _status(client("ecs", again.url), arn)
        assert (t["lastStatus"], t["stopCode"]) == ("STOPPED", "TerminationNotice")
        assert "shut down" in t["stoppedReason"]
        assert t["containers"][0]["exitCode"] in (137, 143)
    finally:
        again.stop()
