"""Instances across server restarts.

- ``cargobay server`` stopped with SIGTERM stops every agent it started.
- Started again on the same data directory, it starts a new agent for each instance
  (same instance id and agent data directory), which re-registers as the same
  container instance.
- Killed with -9, its agents keep running; the next server adopts them by PID."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.e2e.autoscaling.conftest import ASG_ENV
from tests.e2e.autoscaling.procs import pids_with
from tests.e2e.autoscaling.test_asg_instances import in_service, setup_group, wait_for
from tests.support import ServerProcess, client, free_port


def container_instances(ecs: Any) -> list[tuple[str, str]]:
    arns = ecs.list_container_instances(cluster="X")["containerInstanceArns"]
    if not arns:
        return []
    found = ecs.describe_container_instances(cluster="X", containerInstances=arns)
    return sorted((c["ec2InstanceId"], c["containerInstanceArn"])
                  for c in found["containerInstances"])


def test_stop_restart_and_adopt(tmp_path: Path) -> None:
    port = free_port()
    data = str(tmp_path / "data")

    def server() -> ServerProcess:
        return ServerProcess(data_dir=data, env=ASG_ENV, port=port).start()

    srv = server()
    try:
        asg, ecs = client("autoscaling", srv.url), client("ecs", srv.url)
        setup_group(asg, ecs, 1)
        (inst,) = wait_for(lambda: in_service(asg, 1))
        iid = inst["InstanceId"]
        assert os.path.isdir(os.path.join(data, "instances", iid))
        before = wait_for(lambda: container_instances(ecs))
    finally:
        assert srv.stop() == 0
    assert pids_with(iid) == [], "server stop stops its agents"

    srv = server()
    try:
        asg, ecs = client("autoscaling", srv.url), client("ecs", srv.url)
        assert [i["InstanceId"] for i in wait_for(lambda: in_service(asg, 1))] == [iid]
        (pid,) = wait_for(lambda: pids_with(iid))
        assert container_instances(ecs) == before, "the same container instance"
        srv.kill9()
        assert pids_with(iid) == [pid], "a killed server leaves its agents running"
        srv = server()
        asg = client("autoscaling", srv.url)
        assert [i["InstanceId"] for i in wait_for(lambda: in_service(asg, 1))] == [iid]
        assert pids_with(iid) == [pid], "adopted, not restarted"
    finally:
        srv.stop()
    assert wait_for(lambda: pids_with(iid) == [], timeout=10)
