"""The EFS API through boto3 and the AWS CLI (EFS API reference: each action's errors)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import aws_cli, client, expect_error


@pytest.fixture
def efs(url: str) -> Any:
    return client("efs", url)


def test_create_file_system_is_idempotent_by_creation_token(efs: Any) -> None:
    fs = efs.create_file_system(
        CreationToken="tok-1",
        PerformanceMode="maxIO",
        ThroughputMode="elastic",
        Encrypted=True,
        Tags=[{"Key": "Name", "Value": "shared"}, {"Key": "team", "Value": "a"}],
    )
    assert fs["LifeCycleState"] == "creating"
    assert fs["FileSystemId"].startswith("fs-") and fs["Name"] == "shared"
    assert fs["PerformanceMode"] == "maxIO" and fs["ThroughputMode"] == "elastic"
    assert fs["Encrypted"] is True and fs["KmsKeyId"]
    assert fs["FileSystemArn"].endswith(f":file-system/{fs['FileSystemId']}")
    msg = expect_error(lambda: efs.create_file_system(CreationToken="tok-1"),
                       "FileSystemAlreadyExists", 409)
    assert fs["FileSystemId"] in msg
    with pytest.raises(ClientError) as info:  # the error's modelled FileSystemId member
        efs.create_file_system(CreationToken="tok-1")
    assert info.value.response["FileSystemId"] == fs["FileSystemId"]
    got = efs.describe_file_systems(FileSystemId=fs["FileSystemId"])["FileSystems"][0]
    assert got["LifeCycleState"] == "available" and got["SizeInBytes"]["Value"] == 0
    assert efs.describe_file_systems(CreationToken="tok-1")["FileSystems"][0]["FileSystemId"] \
        == fs["FileSystemId"]
    assert efs.describe_file_systems(CreationToken="nope")["FileSystems"] == []


def test_defaults_and_bad_input(efs: Any) -> None:
    fs = efs.create_file_system(CreationToken="d")
    assert fs["PerformanceMode"] == "generalPurpose" and fs["ThroughputMode"] == "bursting"
    assert fs["Encrypted"] is False and fs["NumberOfMountTargets"] == 0
    expect_error(lambda: efs.create_file_system(CreationToken="p", ThroughputMode="provisioned"),
                 "BadRequest")
    expect_error(lambda: efs.create_file_system(CreationToken="x", PerformanceMode="fast"),
                 "ValidationException")
    expect_error(lambda: efs.describe_file_systems(FileSystemId="fs-0123456789abcdef0"),
                 "FileSystemNotFound", 404)
    expect_error(lambda: efs.delete_file_system(FileSystemId="fs-0123456789abcdef0"),
                 "FileSystemNotFound", 404)


def test_paging_file_systems(efs: Any) -> None:
    ids = {efs.create_file_system(CreationToken=f"t{i}")["FileSystemId"] for i in range(5)}
    seen: list[str] = []
    marker = None
    for _ in range(10):
        kw = {"MaxItems": 2} | ({"Marker": marker} if marker else {})
        page = efs.describe_file_systems(**kw)
        seen += [f["FileSystemId"] for f in page["FileSystems"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert sorted(seen) == sorted(ids)


def test_delete_refused_while_mount_targets_or_access_points_exist(efs: Any) -> None:
    fs_id = efs.create_file_system(CreationToken="del")["FileSystemId"]
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId="subnet-0123456789abcdef0")
    assert mt["IpAddress"].startswith("127.") and mt["LifeCycleState"] == "creating"
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0][
        "NumberOfMountTargets"] == 1
    expect_error(lambda: efs.delete_file_system(FileSystemId=fs_id), "FileSystemInUse", 409)
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    ap = efs.create_access_point(ClientToken="c", FileSystemId=fs_id)
    expect_error(lambda: efs.delete_file_system(FileSystemId=fs_id), "FileSystemInUse", 409)
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])
    efs.delete_file_system(FileSystemId=fs_id)
    expect_error(lambda: efs.describe_file_systems(FileSystemId=fs_id), "FileSystemNotFound", 404)
    # the token is free again
    efs.create_file_system(CreationToken="del")


def test_mount_targets(efs: Any) -> None:
    fs_id = efs.create_file_system(CreationToken="mt")["FileSystemId"]
    mt = efs.create_mount_target(FileSystemId=fs_id, SubnetId="subnet-0aaaaaaaaaaaaaaaa",
                                 IpAddress="127.0.10.5", SecurityGroups=["sg-01234567"])
    assert mt["IpAddress"] == "127.0.10.5"
    expect_error(lambda: efs.create_mount_target(FileSystemId=fs_id,
                                                 SubnetId="subnet-0aaaaaaaaaaaaaaaa"),
                 "MountTargetConflict", 409)
    expect_error(lambda: efs.create_mount_target(FileSystemId=fs_id,
                                                 SubnetId="subnet-0bbbbbbbbbbbbbbbb",
                                                 IpAddress="127.0.10.5"),
                 "IpAddressInUse", 409)
    expect_error(lambda: efs.create_mount_target(FileSystemId=fs_id,
                                                 SubnetId="subnet-0bbbbbbbbbbbbbbbb",
                                                 IpAddress="10.0.0.5"), "BadRequest")
    got = efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]
    assert [m["MountTargetId"] for m in got] == [mt["MountTargetId"]]
    assert got[0]["LifeCycleState"] == "available"
    assert efs.describe_mount_target_security_groups(
        MountTargetId=mt["MountTargetId"])["SecurityGroups"] == ["sg-01234567"]
    expect_error(lambda: efs.describe_mount_targets(), "BadRequest")
    expect_error(lambda: efs.describe_mount_targets(MountTargetId="fsmt-0123456789abcdef0"),
                 "MountTargetNotFound", 404)
    efs.delete_mount_target(MountTargetId=mt["MountTargetId"])
    expect_error(lambda: efs.delete_mount_target(MountTargetId=mt["MountTargetId"]),
                 "MountTargetNotFound", 404)


def test_access_points(efs: Any) -> None:
    fs_id = efs.create_file_system(CreationToken="ap")["FileSystemId"]
    ap = efs.create_access_point(
        ClientToken="one", FileSystemId=fs_id,
        PosixUser={"Uid": 1000, "Gid": 1000, "SecondaryGids": [2000]},
        RootDirectory={"Path": "/app/data", "CreationInfo": {
            "OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "750"}},
        Tags=[{"Key": "Name", "Value": "app"}],
    )
    assert ap["AccessPointId"].startswith("fsap-") and ap["Name"] == "app"
    assert ap["PosixUser"] == {"Uid": 1000, "Gid": 1000, "SecondaryGids": [2000]}
    again = efs.create_access_point(ClientToken="one", FileSystemId=fs_id)
    assert again["AccessPointId"] == ap["AccessPointId"]
    got = efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]
    assert [a["AccessPointId"] for a in got] == [ap["AccessPointId"]]
    assert got[0]["RootDirectory"]["CreationInfo"]["Permissions"] == "750"
    expect_error(lambda: efs.create_access_point(ClientToken="two", FileSystemId=fs_id,
                                                 RootDirectory={"Path": "/a/../../etc"}),
                 "ValidationException")
    expect_error(lambda: efs.create_access_point(ClientToken="three",
                                                 FileSystemId="fs-0123456789abcdef0"),
                 "FileSystemNotFound", 404)
    expect_error(lambda: efs.describe_access_points(AccessPointId="fsap-0123456789abcdef0"),
                 "AccessPointNotFound", 404)
    mts = efs.describe_mount_targets(AccessPointId=ap["AccessPointId"])
    assert mts["MountTargets"] == []
    efs.delete_access_point(AccessPointId=ap["AccessPointId"])
    expect_error(lambda: efs.delete_access_point(AccessPointId=ap["AccessPointId"]),
                 "AccessPointNotFound", 404)


def test_file_system_policy(efs: Any) -> None:
    fs_id = efs.create_file_system(CreationToken="pol")["FileSystemId"]
    expect_error(lambda: efs.describe_file_system_policy(FileSystemId=fs_id),
                 "PolicyNotFound", 404)
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["elasticfilesystem:ClientMount"], "Resource": "*"}]}
    put = efs.put_file_system_policy(FileSystemId=fs_id, Policy=json.dumps(policy))
    assert json.loads(put["Policy"]) == policy
    got = efs.describe_file_system_policy(FileSystemId=fs_id)
    assert json.loads(got["Policy"]) == policy
    expect_error(lambda: efs.put_file_system_policy(FileSystemId=fs_id, Policy="{nope"),
                 "InvalidPolicyException")
    efs.delete_file_system_policy(FileSystemId=fs_id)
    expect_error(lambda: efs.describe_file_system_policy(FileSystemId=fs_id),
                 "PolicyNotFound", 404)


def test_tags(efs: Any) -> None:
    fs = efs.create_file_system(CreationToken="tags")
    arn = fs["FileSystemArn"]
    efs.tag_resource(ResourceId=arn, Tags=[{"Key": "a", "Value": "1"},
                                           {"Key": "Name", "Value": "n"}])
    tags = efs.list_tags_for_resource(ResourceId=fs["FileSystemId"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"a": "1", "Name": "n"}
    assert efs.describe_file_systems(FileSystemId=fs["FileSystemId"])["FileSystems"][0][
        "Name"] == "n"
    efs.untag_resource(ResourceId=arn, TagKeys=["a"])
    assert efs.describe_tags(FileSystemId=fs["FileSystemId"])["Tags"] == [
        {"Key": "Name", "Value": "n"}]
    ap = efs.create_access_point(ClientToken="t", FileSystemId=fs["FileSystemId"])
    efs.tag_resource(ResourceId=ap["AccessPointId"], Tags=[{"Key": "k", "Value": "v"}])
    assert efs.list_tags_for_resource(ResourceId=ap["AccessPointArn"])["Tags"] == [
        {"Key": "k", "Value": "v"}]
    expect_error(lambda: efs.list_tags_for_resource(ResourceId="fs-0123456789abcdef0"),
                 "FileSystemNotFound", 404)


def test_aws_cli(url: str) -> None:
    out = aws_cli(url, "efs", "create-file-system", "--creation-token", "cli",
                  "--tags", "Key=Name,Value=cli")
    fs = json.loads(out.stdout)
    listed = json.loads(aws_cli(url, "efs", "describe-file-systems").stdout)
    assert [f["FileSystemId"] for f in listed["FileSystems"]] == [fs["FileSystemId"]]
    bad = aws_cli(url, "efs", "delete-file-system", "--file-system-id",
                  "fs-0123456789abcdef0", check=False)
    assert bad.returncode != 0 and "FileSystemNotFound" in bad.stderr


def test_register_task_definition_checks_efs_volumes(url: str) -> None:
    ecs = client("ecs", url)
    c = [{"name": "c", "image": "busybox", "memory": 64,
          "mountPoints": [{"sourceVolume": "v", "containerPath": "/d"}]}]

    def register(cfg: dict[str, Any]) -> Any:
        return ecs.register_task_definition(
            family="efs", containerDefinitions=c,
            volumes=[{"name": "v", "efsVolumeConfiguration": {
                "fileSystemId": "fs-0123456789abcdef0", **cfg}}])

    msg = expect_error(lambda: register({"transitEncryption": "ENABLED", "rootDirectory": "/x",
                                         "authorizationConfig": {"accessPointId": "fsap-1"}}),
                       "ClientException")
    assert "root directory must be omitted" in msg
    msg = expect_error(lambda: register({"authorizationConfig": {"iam": "ENABLED"}}),
                       "ClientException")
    assert "transit encryption must be enabled" in msg
    ok = register({"transitEncryption": "ENABLED", "rootDirectory": "/",
                   "authorizationConfig": {"accessPointId": "fsap-1", "iam": "ENABLED"}})
    assert ok["taskDefinition"]["volumes"][0]["efsVolumeConfiguration"]["rootDirectory"] == "/"


def test_register_task_definition_checks_volume_kinds(url: str) -> None:
    ecs = client("ecs", url)
    c = [{"name": "c", "image": "busybox", "memory": 64}]
    msg = expect_error(lambda: ecs.register_task_definition(
        family="k", containerDefinitions=c, volumes=[
            {"name": "a", "configuredAtLaunch": True},
            {"name": "b", "configuredAtLaunch": True}]), "ClientException")
    assert "Only one volume configured at launch" in msg
    msg = expect_error(lambda: ecs.register_task_definition(
        family="k", containerDefinitions=c, volumes=[
            {"name": "a", "host": {"sourcePath": "/x"},
             "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]), "ClientException")
    assert "only one of" in msg


def test_lifecycle_backup_protection_and_preferences(efs: Any) -> None:
    fs_id = efs.create_file_system(CreationToken="life", Backup=True)["FileSystemId"]
    assert efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"] == "ENABLED"
    efs.put_backup_policy(FileSystemId=fs_id, BackupPolicy={"Status": "DISABLED"})
    assert efs.describe_backup_policy(FileSystemId=fs_id)["BackupPolicy"]["Status"] == "DISABLED"
    other = efs.create_file_system(CreationToken="life2")["FileSystemId"]
    expect_error(lambda: efs.describe_backup_policy(FileSystemId=other), "PolicyNotFound", 404)
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == []
    policies = [{"TransitionToIA": "AFTER_30_DAYS"},
                {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}]
    efs.put_lifecycle_configuration(FileSystemId=fs_id, LifecyclePolicies=policies)
    assert efs.describe_lifecycle_configuration(FileSystemId=fs_id)["LifecyclePolicies"] == \
        policies
    expect_error(lambda: efs.put_lifecycle_configuration(
        FileSystemId=fs_id, LifecyclePolicies=[{"TransitionToIA": "AFTER_7_DAYS"},
                                               {"TransitionToIA": "AFTER_14_DAYS"}]),
                 "BadRequest")
    got = efs.update_file_system_protection(FileSystemId=fs_id,
                                            ReplicationOverwriteProtection="DISABLED")
    assert got["ReplicationOverwriteProtection"] == "DISABLED"
    assert efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0][
        "FileSystemProtection"] == {"ReplicationOverwriteProtection": "DISABLED"}
    assert efs.describe_account_preferences()["ResourceIdPreference"]["ResourceIdType"] == \
        "LONG_ID"
    efs.put_account_preferences(ResourceIdType="SHORT_ID")
    assert efs.describe_account_preferences()["ResourceIdPreference"]["ResourceIdType"] == \
        "SHORT_ID"


def test_iam_policies_decide_efs_calls(url: str) -> None:
    from tests.e2e.iam.conftest import policy, session_client

    iam = client("iam", url)
    iam.create_user(UserName="efs-reader")
    iam.put_user_policy(UserName="efs-reader", PolicyName="p", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "elasticfilesystem:Describe*", "Resource": "*"}))
    key = iam.create_access_key(UserName="efs-reader")["AccessKey"]
    reader = session_client("efs", url, key)
    fs_id = client("efs", url).create_file_system(CreationToken="iam")["FileSystemId"]
    assert [f["FileSystemId"] for f in reader.describe_file_systems()["FileSystems"]] == [fs_id]
    msg = expect_error(lambda: reader.delete_file_system(FileSystemId=fs_id),
                       "AccessDeniedException", 403)
    assert "elasticfilesystem:DeleteFileSystem" in msg
