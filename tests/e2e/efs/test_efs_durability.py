"""An EFS file system and its files outlive the tasks that wrote them and a server
restart: the file system's state is in the store, its files under <data dir>/efs."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

from cargobay.agent.agent import AgentConfig
from tests.e2e.agent.harness import AgentThread
from tests.support import ServerProcess, client, free_port


def _run_and_wait(
    url: str, cluster: str, instance: str, fs_id: str, script: str
) -> dict[str, Any]:
    ecs = client("ecs", url)
    family = f"dur-{uuid.uuid4().hex[:8]}"
    ecs.register_task_definition(
        family=family, networkMode="host",
        containerDefinitions=[{
            "name": "w", "image": "cargobay-test/busybox:latest", "memory": 64,
            "command": ["sh", "-c", script],
            "mountPoints": [{"sourceVolume": "v", "containerPath": "/mnt/cb-durable"}]}],
        volumes=[{"name": "v", "efsVolumeConfiguration": {"fileSystemId": fs_id}}])
    arn = ecs.start_task(cluster=cluster, taskDefinition=family,
                         containerInstances=[instance])["tasks"][0]["taskArn"]
    deadline = time.monotonic() + 30
    while True:
        task = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        if task["lastStatus"] == "STOPPED":
            return dict(task)
        assert time.monotonic() < deadline, task
        time.sleep(0.05)


def test_files_survive_tasks_and_a_server_restart(tmp_path: Path) -> None:
    data = tmp_path / "plane"
    port = free_port()
    cluster = f"c-{uuid.uuid4().hex[:8]}"
    srv = ServerProcess(data_dir=str(data), port=port).start()
    agent = None
    try:
        fs_id = client("efs", srv.url).create_file_system(CreationToken="durable")[
            "FileSystemId"]
        agent = AgentThread(AgentConfig(endpoint=srv.url, cluster=cluster, runtime="process",
                                        data_dir=str(tmp_path / "agent"))).start()
        wrote = _run_and_wait(
            srv.url, cluster, agent.instance_arn, fs_id, "echo kept > /mnt/cb-durable/f"
        )
        assert wrote["containers"][0].get("exitCode") == 0, wrote
        agent.stop()
        agent = None
        srv.stop()
        assert (data / "efs" / fs_id / "f").read_text() == "kept\n"
        srv = ServerProcess(data_dir=str(data), port=port).start()
        efs = client("efs", srv.url)
        again = efs.describe_file_systems(CreationToken="durable")["FileSystems"]
        assert [f["FileSystemId"] for f in again] == [fs_id]
        assert again[0]["SizeInBytes"]["Value"] == 5
        agent = AgentThread(AgentConfig(endpoint=srv.url, cluster=cluster, runtime="process",
                                        data_dir=str(tmp_path / "agent2"),
                                        create_cluster=False)).start()
        read = _run_and_wait(
            srv.url, cluster, agent.instance_arn, fs_id, "grep -qx kept /mnt/cb-durable/f"
        )
        assert read["containers"][0].get("exitCode") == 0, read
    finally:
        if agent is not None:
            agent.stop()
        srv.stop()
        with contextlib.suppress(OSError):  # the mount point the process runtime made
            os.rmdir("/mnt/cb-durable")
