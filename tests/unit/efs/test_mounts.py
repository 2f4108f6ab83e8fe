"""The control plane's decision for a task's EFS volume (services/efs/mounts.py): the
directory, read-only without ClientWrite, refusals with ECS's reason."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cargobay.app import App
from cargobay.config import Config
from cargobay.iam.names import name_key
from cargobay.services.efs import names
from cargobay.services.efs.mounts import ACCESS_DENIED, resolve
from cargobay.store.memory import MemoryStore

ACCOUNT, REGION = "000000000000", "us-east-1"
FS = "fs-0123456789abcdef0"
FS_ARN = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/{FS}"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.delenv("CARGOBAY_EFS_ROOT", raising=False)
    a = App(Config(data_dir=str(tmp_path)), store=MemoryStore(), services=lambda app: {})
    a.store.put(names.FILE_SYSTEMS, f"{ACCOUNT}/{REGION}/{FS}",
                {"FileSystemId": FS, "FileSystemArn": FS_ARN})
    os.makedirs(tmp_path / "efs" / FS / "data")
    return a


def _role(app: App, name: str, *actions: str) -> str:
    arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": list(actions), "Resource": FS_ARN}]}
    app.store.put("iam.roles", name_key(ACCOUNT, name), {
        "RoleName": name, "Arn": arn, "RoleId": "AROA" + name.upper(),
        "InlinePolicies": {"p": json.dumps(policy)}, "AttachedPolicies": []})
    return arn


def _resolve(app: App, cfg: dict[str, Any], role: str | None = None) -> dict[str, Any]:
    return resolve(app, ACCOUNT, REGION, "v", {"fileSystemId": FS, **cfg}, role)


def test_plain_mount_is_the_file_system_directory(app: App, tmp_path: Path) -> None:
    got = _resolve(app, {"rootDirectory": "/data"})
    assert got == {"name": "v", "efs": {"hostPath": str(tmp_path / "efs" / FS / "data"),
                                        "path": f"{FS}/data", "readOnly": False}}


def test_iam_decides_mount_and_write(app: App) -> None:
    iam = {"authorizationConfig": {"iam": "ENABLED"}, "transitEncryption": "ENABLED"}
    assert ACCESS_DENIED in _resolve(app, iam)["error"]  # no task role
    assert ACCESS_DENIED in _resolve(app, iam, _role(app, "none", "ecs:ListTasks"))["error"]
    ro = _resolve(app, iam, _role(app, "ro", "elasticfilesystem:ClientMount"))
    assert ro["efs"]["readOnly"] is True
    rw = _resolve(app, iam, _role(app, "rw", "elasticfilesystem:Client*"))
    assert rw["efs"]["readOnly"] is False
    missing = _resolve(app, iam, f"arn:aws:iam::{ACCOUNT}:role/gone")
    assert ACCESS_DENIED in missing["error"]


def test_file_system_policy(app: App) -> None:
    doc = app.store.get(names.FILE_SYSTEMS, f"{ACCOUNT}/{REGION}/{FS}")
    assert doc is not None
    doc["_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": "elasticfilesystem:ClientMount", "Resource": FS_ARN}]})
    app.store.put(names.FILE_SYSTEMS, f"{ACCOUNT}/{REGION}/{FS}", doc)
    anonymous = _resolve(app, {})
    assert anonymous["efs"]["readOnly"] is True  # the policy grants mount, not write
    iam = {"authorizationConfig": {"iam": "ENABLED"}, "transitEncryption": "ENABLED"}
    role = _role(app, "writer", "elasticfilesystem:ClientWrite")
    assert _resolve(app, iam, role)["efs"]["readOnly"] is False  # either policy may allow


def test_access_point_root_created_and_confined(app: App, tmp_path: Path) -> None:
    ap = {"AccessPointId": "fsap-0123456789abcdef0", "FileSystemId": FS,
          "AccessPointArn": "arn:ap", "PosixUser": {"Uid": 5, "Gid": 6},
          "RootDirectory": {"Path": "/srv/app", "CreationInfo": {
              "OwnerUid": 5, "OwnerGid": 6, "Permissions": "0700"}}}
    app.store.put(names.ACCESS_POINTS, f"{ACCOUNT}/{REGION}/{ap['AccessPointId']}", ap)
    got = _resolve(app, {"authorizationConfig": {"accessPointId": ap["AccessPointId"]}})
    root = tmp_path / "efs" / FS / "srv" / "app"
    assert got["efs"]["hostPath"] == str(root)
    assert got["efs"]["posixUser"] == {"Uid": 5, "Gid": 6}
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    other = _resolve(app, {"authorizationConfig": {"accessPointId": "fsap-0000000000000000a"}})
    assert ACCESS_DENIED in other["error"]


def test_escapes_and_missing_directories(app: App, tmp_path: Path) -> None:
    os.symlink(tmp_path, tmp_path / "efs" / FS / "out")
    assert "must not contain '..'" in _resolve(app, {"rootDirectory": "/data/../.."})["error"]
    assert "outside its file system" in _resolve(app, {"rootDirectory": "/out"})["error"]
    assert "No such file or directory" in _resolve(app, {"rootDirectory": "/nope"})["error"]
    gone = resolve(app, ACCOUNT, REGION, "v", {"fileSystemId": "fs-00000000000000001"}, None)
    assert "Failed to resolve server fs-00000000000000001.efs.us-east-1" in gone["error"]
