"""The agent's side of task volumes: host path checks, mount points, volumesFrom, the
process runtime's mount namespace wrapper."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.assignment import Assignment
from cargobay.agent.runtime import ContainerSpec, Mount
from cargobay.agent.runtime.base import CannotStartContainerError
from cargobay.agent.runtime.mount_ns import mount_prefix
from cargobay.agent.task_iam import TaskStartError
from cargobay.agent.volumes import TaskVolumes, check_host_path


class _Rt:
    name = "process"


def _task(volumes: list[dict[str, Any]], containers: list[dict[str, Any]],
          resolved: list[dict[str, Any]] | None = None) -> Assignment:
    return Assignment.from_doc({
        "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/0123456789abcdef",
        "taskDefinition": {"family": "f", "revision": 1, "volumes": volumes,
                           "containerDefinitions": containers},
        "volumes": resolved or [],
    })


def test_host_path_rules(tmp_path: Path) -> None:
    assert check_host_path("/data/x", []) == "/data/x"
    with pytest.raises(ValueError, match="absolute"):
        check_host_path("data", [])
    with pytest.raises(ValueError, match=r"'\.\.'"):
        check_host_path("/data/../etc", [])
    allowed = tmp_path / "allowed"
    (allowed / "sub").mkdir(parents=True)
    os.symlink("/etc", allowed / "etc")
    assert check_host_path(str(allowed / "sub"), [str(allowed)]) == str(allowed / "sub")
    with pytest.raises(ValueError, match="outside the allowed roots"):
        check_host_path(str(allowed / "etc"), [str(allowed)])
    with pytest.raises(ValueError, match="outside the allowed roots"):
        check_host_path("/tmp", [str(allowed)])


def test_mount_points_volumes_from_and_efs_user(tmp_path: Path) -> None:
    efs_dir = tmp_path / "fs"
    efs_dir.mkdir()
    containers = [
        {"name": "a", "mountPoints": [
            {"sourceVolume": "scratch", "containerPath": "/s"},
            {"sourceVolume": "e", "containerPath": "/e", "readOnly": False}]},
        {"name": "b", "volumesFrom": [{"sourceContainer": "a", "readOnly": True}]},
    ]
    task = _task([{"name": "scratch", "host": {}},
                  {"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
                 containers,
                 [{"name": "e", "efs": {"hostPath": str(efs_dir), "readOnly": True,
                                        "posixUser": {"Uid": 7, "Gid": 8}}}])
    vols = TaskVolumes(_Rt(), str(tmp_path / "root"), task)  # type: ignore[arg-type]
    asyncio.run(vols.prepare())
    scratch = str(tmp_path / "root" / "tasks" / "0123456789abcdef" / "scratch")
    a = ContainerSpec(task_id="t", name="a", image="i")
    vols.apply(a, containers[0])
    assert a.mounts == [Mount(scratch, "/s", False), Mount(str(efs_dir), "/e", True)]
    assert a.user == "7:8"
    b = ContainerSpec(task_id="t", name="b", image="i")
    vols.apply(b, containers[1])
    assert b.mounts == [Mount(scratch, "/s", True), Mount(str(efs_dir), "/e", True)]
    asyncio.run(vols.release())
    assert not os.path.exists(scratch)


def test_refusals_stop_the_task(tmp_path: Path) -> None:
    for volumes, resolved, text in [
        ([{"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}],
         [{"name": "e", "error": "ResourceInitializationError: denied"}], "denied"),
        ([{"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}], [],
         "not resolved"),
        ([{"name": "h", "host": {"sourcePath": "/x/../y"}}], [], "'..'"),
        ([{"name": "d", "dockerVolumeConfiguration": {"scope": "shared"}}], [],
         "no such volume"),
        ([{"name": "d", "dockerVolumeConfiguration": {"driver": "rexray"}}], [],
         "docker runtime"),
        ([{"name": "l", "configuredAtLaunch": True}], [], "without a configuration"),
    ]:
        vols = TaskVolumes(_Rt(), str(tmp_path), _task(volumes, [], resolved))  # type: ignore[arg-type]
        with pytest.raises(TaskStartError, match=text):
            asyncio.run(vols.prepare())


def test_mount_prefix_as_root(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    assert mount_prefix([]) == []
    argv = mount_prefix([Mount(str(tmp_path), "/mnt/x y", True)])
    assert argv[1:5] == ["--mount", "--propagation", "private", "--"]
    script = argv[7]
    assert f"mount --bind {tmp_path} '/mnt/x y'" in script
    assert "mount -o remount,bind,ro '/mnt/x y'" in script
    assert script.endswith('exec "$@"')
    with pytest.raises(CannotStartContainerError, match="containerPath"):
        mount_prefix([Mount(str(tmp_path), "rel/path")])
    with pytest.raises(CannotStartContainerError, match="docker runtime"):
        mount_prefix([Mount("vol", "/x", docker_volume=True)])


def test_efs_path_under_this_agents_own_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = tmp_path / "nfs-here"
    (mine / "fs-1" / "dir").mkdir(parents=True)
    monkeypatch.setenv("CARGOBAY_EFS_ROOT", str(mine))
    volumes = [{"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]

    def prepared(path: str) -> TaskVolumes:
        entry = {"name": "e", "efs": {"hostPath": "/plane/only/fs-1/dir", "path": path}}
        vols = TaskVolumes(_Rt(), str(tmp_path / "r"), _task(volumes, [], [entry]))  # type: ignore[arg-type]
        asyncio.run(vols.prepare())
        return vols

    assert prepared("fs-1/dir").volumes["e"].source == str(mine / "fs-1" / "dir")
    for bad in ("../outside", "/etc"):  # never leaves this agent's root: hostPath is tried
        with pytest.raises(TaskStartError, match="not reachable"):
            prepared(bad)


def test_host_view_maps_container_paths_into_volumes() -> None:
    from cargobay.agent.runtime.mount_ns import host_view

    mounts = [Mount("/h/a", "/data"), Mount("/h/b", "/data/inner/"), Mount("v", "/v", True, True)]
    assert host_view("/data", mounts) == "/h/a"
    assert host_view("/data/x/run.sh", mounts) == "/h/a/x/run.sh"
    assert host_view("/data/inner/y", mounts) == "/h/b/y"
    assert host_view("/database", mounts) == "/database"
    assert host_view("/v/x", mounts) == "/v/x"
