"""Task volumes on real tasks: EFS file systems shared by tasks on several agents,
access points, IAM-authorized mounts, host and Docker volumes, path confinement
(ECS Developer Guide, "Storage options for Amazon ECS tasks"; EFS User Guide,
"Working with access points", "Using IAM to control file system data access").

The control plane is the suite's in-memory server (its EFS root: a temporary
directory on this machine, which the in-process agents share).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent.agent import AgentConfig
from tests.e2e.agent.conftest import Env, remove_containers
from tests.e2e.agent.harness import AgentThread
from tests.support import client

MOUNT_FAILED = "ResourceInitializationError: failed to invoke EFS utils commands"
ACCESS_DENIED = "mount.nfs4: access denied by server while mounting 127.0.0.1:/"


def _env(plane_url: str, tmp_path: Path, runtime: str) -> Iterator[Env]:
    e = Env(url=plane_url, cluster=f"c-{uuid.uuid4().hex[:8]}", runtime=runtime,
            data_dir=tmp_path / "agent", ecs=client("ecs", plane_url))
    e.start_agent()
    try:
        yield e
    finally:
        if e.agent is not None:
            e.agent.stop()
        if runtime == "docker":
            remove_containers(e.cluster)


@pytest.fixture(autouse=True)
def _no_leftover_mount_points() -> Iterator[None]:
    """The process runtime creates a missing containerPath on the host (empty, as a
    mount point): remove the ones this test made."""
    before = set(Path("/mnt").glob("cb-*"))
    yield
    for p in set(Path("/mnt").glob("cb-*")) - before:
        if p.is_dir() and not p.is_symlink() and not os.path.ismount(p):
            with contextlib.suppress(OSError):
                p.rmdir()


@pytest.fixture
def proc(plane_url: str, tmp_path: Path) -> Iterator[Env]:
    yield from _env(plane_url, tmp_path, "process")


@pytest.fixture
def efs(plane_url: str) -> Any:
    return client("efs", plane_url)


def _fs_dir(efs: Any, fs_id: str) -> Path:
    """The file system's directory: the server's EFS root is a temp dir on this host."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"cargobay-efs-{os.getuid()}" / fs_id


def _efs_volume(name: str, fs_id: str, **cfg: Any) -> dict[str, Any]:
    return {"name": name, "efsVolumeConfiguration": {"fileSystemId": fs_id, **cfg}}


def _run(e: Env, containers: list[dict[str, Any]], volumes: list[dict[str, Any]],
         instance: str | None = None, **taskdef: Any) -> str:
    family = f"vol-{uuid.uuid4().hex[:8]}"
    e.ecs.register_task_definition(family=family, containerDefinitions=containers,
                                   volumes=volumes, networkMode="host", **taskdef)
    if instance is None:
        resp = e.ecs.run_task(cluster=e.cluster, taskDefinition=family)
    else:
        resp = e.ecs.start_task(cluster=e.cluster, taskDefinition=family,
                                containerInstances=[instance])
    assert resp["tasks"], resp["failures"]
    return str(resp["tasks"][0]["taskArn"])


def _mp(volume: str, path: str, read_only: bool = False) -> list[dict[str, Any]]:
    return [{"sourceVolume": volume, "containerPath": path, "readOnly": read_only}]


def test_two_tasks_on_two_agents_append_to_one_file_and_nothing_is_lost(
    proc: Env, efs: Any, tmp_path: Path
) -> None:
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    second = AgentThread(AgentConfig(endpoint=proc.url, cluster=proc.cluster,
                                     runtime="process", data_dir=str(tmp_path / "agent2"),
                                     create_cluster=False)).start()
    try:
        arns = []
        for who, agent in (("a", proc.agent), ("b", second)):
            assert agent is not None
            script = f"i=0; while [ $i -lt 300 ]; do echo {who}$i >> {mnt}/log; i=$((i+1)); done"
            arns.append(_run(proc, [proc.container("w", script, mountPoints=_mp("shared", mnt))],
                             [_efs_volume("shared", fs_id)], instance=agent.instance_arn))
        done = [proc.wait(arn) for arn in arns]
        for task in done:
            assert task["containers"][0].get("exitCode") == 0, task
        assert {t["containerInstanceArn"] for t in done} == {
            proc.agent.instance_arn, second.instance_arn}  # type: ignore[union-attr]
    finally:
        second.stop()
    lines = (_fs_dir(efs, fs_id) / "log").read_text().split()
    assert sorted(lines) == sorted([f"a{i}" for i in range(300)] + [f"b{i}" for i in range(300)])
    assert not os.path.exists(os.path.join(mnt, "log"))  # the mount was the task's own


def test_access_point_confines_to_its_root_created_with_owner_and_mode(
    proc: Env, efs: Any
) -> None:
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    (_fs_dir(efs, fs_id) / "secret").write_text("outside the access point")
    ap = efs.create_access_point(
        ClientToken=uuid.uuid4().hex, FileSystemId=fs_id,
        PosixUser={"Uid": 4321, "Gid": 4322, "SecondaryGids": [4400, 4401]},
        RootDirectory={"Path": "/apps/one", "CreationInfo": {
            "OwnerUid": 4321, "OwnerGid": 4322, "Permissions": "750"}})
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    script = (f"id -u > {mnt}/who; id -G > {mnt}/groups; ls -a {mnt} > {mnt}/listing; "
              f"cat {mnt}/../secret; true")
    arn = _run(proc, [proc.container("w", script, mountPoints=_mp("data", mnt))],
               [_efs_volume("data", fs_id, transitEncryption="ENABLED",
                            authorizationConfig={"accessPointId": ap["AccessPointId"]})])
    task = proc.wait(arn)
    assert task["containers"][0].get("exitCode") == 0, task
    root = _fs_dir(efs, fs_id) / "apps" / "one"
    st = root.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4322, 0o750)
    assert (root / "who").read_text().strip() == "4321"
    assert (root / "who").stat().st_uid == 4321
    assert set((root / "groups").read_text().split()) == {"4322", "4400", "4401"}
    assert "secret" not in (root / "listing").read_text()


def _role(url: str, *actions: str) -> str:
    iam = client("iam", url)
    name = f"efs-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    arn: str = iam.create_role(RoleName=name,
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if actions:
        iam.put_role_policy(RoleName=name, PolicyName="efs", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": list(actions), "Resource": "*"}]}))
    return arn


def test_iam_mount_without_client_write_is_read_only_and_without_mount_refused(
    proc: Env, efs: Any
) -> None:
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    (_fs_dir(efs, fs_id) / "data").write_text("hello")
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    vol = [_efs_volume("d", fs_id, transitEncryption="ENABLED",
                       authorizationConfig={"iam": "ENABLED"})]
    script = f"cat {mnt}/data > /dev/null || exit 3; echo x > {mnt}/new && exit 0; exit 4"
    ro_role = _role(proc.url, "elasticfilesystem:ClientMount")
    ro = proc.wait(_run(proc, [proc.container("w", script, mountPoints=_mp("d", mnt))], vol,
                        taskRoleArn=ro_role))
    assert ro["containers"][0].get("exitCode") == 4, ro  # read, but no write
    rw_role = _role(proc.url, "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite")
    rw = proc.wait(_run(proc, [proc.container("w", script, mountPoints=_mp("d", mnt))], vol,
                        taskRoleArn=rw_role))
    assert rw["containers"][0].get("exitCode") == 0, rw
    assert (_fs_dir(efs, fs_id) / "new").exists()
    none_role = _role(proc.url, "ecs:ListClusters")
    refused = proc.wait(_run(proc, [proc.container("w", script, mountPoints=_mp("d", mnt))],
                             vol, taskRoleArn=none_role))
    assert refused["stoppedReason"].startswith(MOUNT_FAILED), refused
    assert ACCESS_DENIED in refused["stoppedReason"]
    # the file system policy can deny what the role allows
    efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "elasticfilesystem:ClientWrite", "Resource": "*"}]}))
    denied = proc.wait(_run(proc, [proc.container("w", script, mountPoints=_mp("d", mnt))],
                            vol, taskRoleArn=rw_role))
    assert denied["containers"][0].get("exitCode") == 4, denied


def test_path_escapes_are_refused(proc: Env, efs: Any, tmp_path: Path) -> None:
    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, _fs_dir(efs, fs_id) / "link")
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    c = [proc.container("w", "true", mountPoints=_mp("d", mnt))]
    dotdot = proc.wait(_run(proc, c, [_efs_volume("d", fs_id, rootDirectory="/a/../..")]))
    assert "must not contain '..'" in dotdot["stoppedReason"], dotdot
    link = proc.wait(_run(proc, c, [_efs_volume("d", fs_id, rootDirectory="/link")]))
    assert "resolves outside its file system" in link["stoppedReason"], link
    missing = proc.wait(_run(proc, c, [_efs_volume("d", fs_id, rootDirectory="/nope")]))
    assert "No such file or directory" in missing["stoppedReason"], missing
    host = proc.wait(_run(proc, c, [{"name": "d", "host": {"sourcePath": "/tmp/../etc"}}]))
    assert "must not contain '..'" in host["stoppedReason"], host
    unknown = proc.wait(_run(proc, c, [_efs_volume("d", "fs-0123456789abcdef0")]))
    assert unknown["stoppedReason"].startswith(MOUNT_FAILED), unknown


def test_host_and_task_volumes_mount_points_and_volumes_from(
    proc: Env, tmp_path: Path
) -> None:
    src = tmp_path / "hostdir"
    src.mkdir()
    (src / "in").write_text("from host")
    a, b = f"/mnt/cb-{uuid.uuid4().hex[:8]}", f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    writer = proc.container(
        "writer", f"cat {a}/in > {b}/copied && (echo no > {a}/ro 2>/dev/null && exit 5); exit 0",
        mountPoints=_mp("host", a, read_only=True) + _mp("scratch", b), essential=False)
    reader = proc.container(
        "reader",
        f"cat {b}/copied > {b}/again; cat {a}/in >/dev/null; "
        f"(echo no > {a}/x 2>/dev/null && exit 6); exit 0",
        volumesFrom=[{"sourceContainer": "writer", "readOnly": False}],
        dependsOn=[{"containerName": "writer", "condition": "SUCCESS"}])
    vols = [{"name": "host", "host": {"sourcePath": str(src)}}, {"name": "scratch", "host": {}}]
    task = proc.wait(_run(proc, [writer, reader], vols))
    codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
    assert codes == {"writer": 0, "reader": 0}, task
    assert not (src / "ro").exists() and not (src / "x").exists()
    task_dir = proc.data_dir / "volumes" / "tasks" / task["taskArn"].rsplit("/", 1)[-1]
    assert not task_dir.exists()  # the task's own volume went with it


def test_docker_volume_shared_scope_on_process_runtime(proc: Env) -> None:
    name = f"shared-{uuid.uuid4().hex[:6]}"
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    cfg = {"scope": "shared", "autoprovision": True, "driver": "local"}
    vols = [{"name": name, "dockerVolumeConfiguration": cfg}]
    first = proc.wait(_run(proc, [proc.container("w", f"echo kept > {mnt}/f",
                                                 mountPoints=_mp(name, mnt))], vols))
    assert first["containers"][0].get("exitCode") == 0, first
    second = proc.wait(_run(proc, [proc.container("w", f"grep -q kept {mnt}/f",
                                                  mountPoints=_mp(name, mnt))], vols))
    assert second["containers"][0].get("exitCode") == 0, second
    vols = [{"name": "other" + name, "dockerVolumeConfiguration": {"scope": "shared"}}]
    missing = proc.wait(_run(proc, [proc.container("w", "true",
                                                   mountPoints=_mp("other" + name, mnt))], vols))
    assert "no such volume" in missing["stoppedReason"], missing


@pytest.fixture
def dock(plane_url: str, tmp_path: Path, docker_engine: bool) -> Iterator[Env]:
    if not docker_engine:
        pytest.skip("no Docker engine answers")
    yield from _env(plane_url, tmp_path, "docker")


def test_docker_runtime_efs_access_point_user_and_task_scoped_docker_volume(
    dock: Env, efs: Any
) -> None:
    import docker

    fs_id = efs.create_file_system(CreationToken=uuid.uuid4().hex)["FileSystemId"]
    ap = efs.create_access_point(
        ClientToken=uuid.uuid4().hex, FileSystemId=fs_id,
        PosixUser={"Uid": 2345, "Gid": 2346, "SecondaryGids": [2400]},
        RootDirectory={"Path": "/d", "CreationInfo": {
            "OwnerUid": 2345, "OwnerGid": 2346, "Permissions": "700"}})
    script = ("id -u > /efs/who && id -G > /efs/groups && cat /scratch/t > /efs/copied || exit 4; "
              "(echo x > /ro/x 2>/dev/null && exit 5); exit 0")
    vols = [
        _efs_volume("e", fs_id, transitEncryption="ENABLED",
                    authorizationConfig={"accessPointId": ap["AccessPointId"]}),
        {"name": "s", "dockerVolumeConfiguration": {"scope": "task", "driver": "local",
                                                    "labels": {"purpose": "test"}}},
        {"name": "r", "host": {"sourcePath": "/tmp"}},
    ]
    first = dock.container("first", "echo t > /scratch/t", essential=False,
                           mountPoints=_mp("s", "/scratch"))
    c = dock.container("w", script, mountPoints=_mp("e", "/efs") + _mp("s", "/scratch")
                       + _mp("r", "/ro", read_only=True),
                       dependsOn=[{"containerName": "first", "condition": "SUCCESS"}])
    arn = _run(dock, [first, c], vols)
    task = dock.wait(arn, timeout=60)
    assert {x["name"]: x.get("exitCode") for x in task["containers"]} == {
        "first": 0, "w": 0}, task
    root = _fs_dir(efs, fs_id) / "d"
    assert (root / "who").read_text().strip() == "2345"
    assert set((root / "groups").read_text().split()) == {"2346", "2400"}
    assert (root / "copied").stat().st_uid == 2345
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    api = docker.from_env()
    task_id = arn.rsplit("/", 1)[-1]
    # the task-scoped volume goes with the task, once its containers are removed
    dock.until(lambda: not [v for v in api.volumes.list() if v.name.endswith(task_id)],
               what="task volume removed")


def test_volume_configured_at_launch_is_new_per_task_and_kept_per_its_policy(
    proc: Env,
) -> None:
    from tests.support import expect_error

    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    family = f"ebs-{uuid.uuid4().hex[:8]}"
    proc.ecs.register_task_definition(
        family=family, networkMode="host", volumes=[{"name": "data", "configuredAtLaunch": True}],
        containerDefinitions=[proc.container(
            "w", f"[ ! -e {mnt}/f ] || exit 7; echo mine > {mnt}/f", mountPoints=_mp("data", mnt))])

    def run(delete: bool) -> dict[str, Any]:
        arn = proc.ecs.run_task(cluster=proc.cluster, taskDefinition=family, volumeConfigurations=[{
            "name": "data", "managedEBSVolume": {
                "roleArn": "arn:aws:iam::000000000000:role/ecsInfrastructureRole",
                "sizeInGiB": 10, "terminationPolicy": {"deleteOnTermination": delete}}}],
        )["tasks"][0]["taskArn"]
        return proc.wait(arn)

    kept = run(False)
    gone = run(True)
    for task in (kept, gone):
        assert task["containers"][0].get("exitCode") == 0, task  # each task's volume is new
    managed = proc.data_dir / "volumes" / "managed"
    kept_id, gone_id = (t["taskArn"].rsplit("/", 1)[-1] for t in (kept, gone))
    assert (managed / f"{kept_id}-data" / "f").read_text() == "mine\n"
    proc.until(lambda: not (managed / f"{gone_id}-data").exists(), what="volume deleted")
    expect_error(lambda: proc.ecs.run_task(cluster=proc.cluster, taskDefinition=family),
                 "InvalidParameterException")
    expect_error(lambda: proc.ecs.run_task(
        cluster=proc.cluster, taskDefinition=family, volumeConfigurations=[{
            "name": "other", "managedEBSVolume": {"roleArn": "arn:aws:iam::000000000000:role/r"}}]),
        "InvalidParameterException")


def test_program_and_working_directory_inside_a_volume(proc: Env, tmp_path: Path) -> None:
    src = tmp_path / "tools"
    src.mkdir()
    script = src / "run.sh"
    script.write_text("#!/bin/sh\npwd > out\n")
    script.chmod(0o755)
    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    c = {"name": "w", "image": "img", "memory": 64, "entryPoint": [f"{mnt}/run.sh"],
         "workingDirectory": mnt, "mountPoints": _mp("t", mnt)}
    task = proc.wait(_run(proc, [c], [{"name": "t", "host": {"sourcePath": str(src)}}]))
    assert task["containers"][0].get("exitCode") == 0, (
        task["stoppedReason"], task["containers"][0].get("reason"))
    assert (src / "out").read_text().strip() == mnt


def test_docker_runtime_shared_volume_autoprovisioned_with_labels_and_kept(
    dock: Env, tmp_path: Path
) -> None:
    import docker

    api = docker.from_env()
    name = f"cb-shared-{uuid.uuid4().hex[:8]}"
    backing = tmp_path / "backing"
    backing.mkdir()
    opts = {"type": "none", "o": "bind", "device": str(backing)}
    cfg = {"scope": "shared", "autoprovision": True, "driver": "local",
           "labels": {"team": "a"}, "driverOpts": opts}
    vols = [{"name": name, "dockerVolumeConfiguration": cfg}]
    try:
        first = dock.wait(_run(dock, [dock.container("w", "echo kept > /v/f",
                                                     mountPoints=_mp(name, "/v"))], vols),
                          timeout=60)
        assert first["containers"][0].get("exitCode") == 0, first
        volume = api.volumes.get(name)  # kept after the task
        assert volume.attrs["Labels"] == {"team": "a"}
        assert volume.attrs["Options"] == opts
        assert (backing / "f").read_text() == "kept\n"
        second = dock.wait(_run(dock, [dock.container("w", "grep -qx kept /v/f",
                                                      mountPoints=_mp(name, "/v"))], vols),
                           timeout=60)
        assert second["containers"][0].get("exitCode") == 0, second
        missing = [{"name": name + "x", "dockerVolumeConfiguration": {"scope": "shared"}}]
        refused = dock.wait(_run(dock, [dock.container("w", "true",
                                                       mountPoints=_mp(name + "x", "/v"))],
                                 missing), timeout=60)
        assert "no such volume" in refused["stoppedReason"], refused
    finally:
        remove_containers(dock.cluster)
        with contextlib.suppress(docker.errors.APIError):
            api.volumes.get(name).remove(force=True)


def test_service_tasks_get_their_volume_configured_at_launch(proc: Env) -> None:
    from tests.support import expect_error

    mnt = f"/mnt/cb-{uuid.uuid4().hex[:8]}"
    family = f"svc-ebs-{uuid.uuid4().hex[:8]}"
    proc.ecs.register_task_definition(
        family=family, networkMode="host", volumes=[{"name": "data", "configuredAtLaunch": True}],
        containerDefinitions=[proc.container(
            "w", f"echo up > {mnt}/f; sleep 30", mountPoints=_mp("data", mnt), stopTimeout=1)])
    expect_error(lambda: proc.ecs.create_service(
        cluster=proc.cluster, serviceName="nocfg", taskDefinition=family, desiredCount=1),
        "InvalidParameterException")
    proc.ecs.create_service(
        cluster=proc.cluster, serviceName="ebs", taskDefinition=family, desiredCount=1,
        volumeConfigurations=[{"name": "data", "managedEBSVolume": {
            "roleArn": "arn:aws:iam::000000000000:role/ecsInfrastructureRole",
            "sizeInGiB": 5}}])
    managed = proc.data_dir / "volumes" / "managed"
    arn = proc.until(lambda: (proc.ecs.list_tasks(cluster=proc.cluster,
                                                  serviceName="ebs")["taskArns"] or [None])[0],
                     what="service task")
    task_id = arn.rsplit("/", 1)[-1]
    proc.until(lambda: (managed / f"{task_id}-data" / "f").exists(), what="volume written")
    proc.ecs.update_service(cluster=proc.cluster, service="ebs", desiredCount=0)
    proc.wait(arn)
    proc.until(lambda: not (managed / f"{task_id}-data").exists(), what="volume deleted")
    proc.ecs.delete_service(cluster=proc.cluster, service="ebs")
