"""An EC2-launch task and a Fargate task mount the same EFS file system at the same
time: one writes, the other reads and answers (issue 10; ECS Developer Guide, "Amazon
EFS volumes": "usable by EC2 and Fargate tasks at the same time")."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.agent import AgentConfig
from tests.e2e.agent.harness import AgentThread
from tests.e2e.fargate.conftest import TEST_IMAGE, until
from tests.support import client

NETWORK = {
    "awsvpcConfiguration": {
        "subnets": ["subnet-0a1b2c3d"],
        "securityGroups": ["sg-1"],
        "assignPublicIp": "DISABLED",
    }
}


def _wait_for(path: str) -> str:
    return f"i=0; while [ ! -s {path} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; "


@pytest.mark.parametrize("runtime_kind", ["process"])
def test_ec2_and_fargate_tasks_share_one_file_system(
    fecs: Any, fargate_url: str, tmp_path: Path
) -> None:
    ecs = fecs
    efs = client("efs", fargate_url)
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    volume = [{"name": "shared", "efsVolumeConfiguration": {"fileSystemId": fs_id}}]
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    mount = [{"sourceVolume": "shared", "containerPath": mnt}]
    ec2_script = (
        f"echo hello-from-ec2 > {mnt}/ping; "
        + _wait_for(f"{mnt}/pong")
        + f"grep -q hello-from-ec2 {mnt}/pong"
    )
    fg_script = (
        _wait_for(f"{mnt}/ping")
        + f"cat {mnt}/ping > {mnt}/pong.tmp && mv {mnt}/pong.tmp {mnt}/pong"
    )
    ecs.register_task_definition(
        family="efs-ec2",
        networkMode="host",
        containerDefinitions=[
            {
                "name": "main",
                "image": TEST_IMAGE,
                "memory": 64,
                "command": ["sh", "-c", ec2_script],
                "mountPoints": mount,
            }
        ],
        volumes=volume,
    )
    ecs.register_task_definition(
        family="efs-fg",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "main",
                "image": TEST_IMAGE,
                "command": ["sh", "-c", fg_script],
                "mountPoints": mount,
            }
        ],
        volumes=volume,
    )
    agent = AgentThread(
        AgentConfig(
            endpoint=fargate_url,
            cluster=ecs.cluster,
            runtime="process",
            data_dir=str(tmp_path / "agent"),
            create_cluster=False,
        )
    ).start()
    try:
        ec2 = ecs.run_task(cluster=ecs.cluster, taskDefinition="efs-ec2", launchType="EC2")[
            "tasks"
        ][0]["taskArn"]
        fg = ecs.run_task(
            cluster=ecs.cluster,
            taskDefinition="efs-fg",
            launchType="FARGATE",
            networkConfiguration=NETWORK,
        )["tasks"][0]["taskArn"]
        done = until(
            lambda: (
                [
                    t
                    for t in ecs.describe_tasks(cluster=ecs.cluster, tasks=[ec2, fg])["tasks"]
                    if t["lastStatus"] == "STOPPED"
                ]
                if all(
                    t["lastStatus"] == "STOPPED"
                    for t in ecs.describe_tasks(cluster=ecs.cluster, tasks=[ec2, fg])["tasks"]
                )
                else None
            )
        )
    finally:
        agent.stop()
        with contextlib.suppress(OSError):  # the mount point the process runtime made
            os.rmdir(mnt)
    by_type = {t["launchType"]: t for t in done}
    assert set(by_type) == {"EC2", "FARGATE"}
    for t in done:
        assert t["containers"][0].get("exitCode") == 0, t
    root = Path(tempfile.gettempdir()) / f"cargobay-efs-{os.getuid()}" / fs_id
    assert (root / "pong").read_text() == "hello-from-ec2\n"
