"""The IAM API through boto3 and the AWS CLI: roles, policies, users, keys, instance profiles,
with IAM's errors (IAM API Reference; IAM User Guide, "IAM and AWS STS quotas")."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.iam.conftest import ACCOUNT, policy
from tests.support import aws_cli, expect_error

TRUST_ECS_TASKS = policy({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                          "Action": "sts:AssumeRole"})
ALLOW_ECS = {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def test_a_role_round_trips_with_its_arn_id_path_and_trust_policy(iam: Any) -> None:
    role = iam.create_role(RoleName="taskRole", Path="/ecs/", AssumeRolePolicyDocument=
                           TRUST_ECS_TASKS, Description="for tasks", MaxSessionDuration=7200,
                           Tags=[{"Key": "team", "Value": "blue"}])["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/ecs/taskRole"
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["Path"] == "/ecs/" and role["MaxSessionDuration"] == 7200
    got = iam.get_role(RoleName="taskrole")["Role"]  # names are case-insensitive
    assert got["RoleName"] == "taskRole"
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST_ECS_TASKS)
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/ecs/")["Roles"]] == ["taskRole"]
    assert iam.list_roles(PathPrefix="/other/")["Roles"] == []


def test_policy_documents_travel_url_encoded_as_iam_sends_them(iam: Any, url: str) -> None:
    """IAM returns documents URL-encoded (RFC 3986); botocore decodes them."""
    import urllib.request
    from urllib.parse import quote

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    req = AWSRequest("POST", url + "/", data=b"Action=GetRole&Version=2010-05-08&RoleName=r",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(Credentials("test", "test"), "iam", "us-east-1").add_auth(req)
    raw = urllib.request.urlopen(urllib.request.Request(
        url + "/", data=req.body, headers=dict(req.headers.items()), method="POST")).read()
    encoded = quote(TRUST_ECS_TASKS, safe="").encode()
    assert encoded.startswith(b"%7B%22Version%22%3A%20%222012-10-17%22")
    assert b"<AssumeRolePolicyDocument>" + encoded + b"</AssumeRolePolicyDocument>" in raw


def test_role_errors(iam: Any) -> None:
    iam.create_role(RoleName="dup", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    msg = expect_error(lambda: iam.create_role(RoleName="DUP",
                                               AssumeRolePolicyDocument=TRUST_ECS_TASKS),
                       "EntityAlreadyExists", 409)
    assert msg == "Role with name DUP already exists."
    msg = expect_error(lambda: iam.get_role(RoleName="nope"), "NoSuchEntity", 404)
    assert msg == "The role with name nope cannot be found."
    msg = expect_error(lambda: iam.create_role(RoleName="bad", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"})),
        "MalformedPolicyDocument", 400)
    assert msg == "Has prohibited field Resource"
    expect_error(lambda: iam.create_role(RoleName="ghost", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/ghost"},
         "Action": "sts:AssumeRole"})), "MalformedPolicyDocument", 400)
    expect_error(lambda: iam.get_role(RoleName="ghost"), "NoSuchEntity", 404)


def test_inline_and_managed_role_policies_and_delete_conflicts(iam: Any) -> None:
    iam.create_role(RoleName="exec", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    iam.put_role_policy(RoleName="exec", PolicyName="ecs", PolicyDocument=policy(ALLOW_ECS))
    assert iam.list_role_policies(RoleName="exec")["PolicyNames"] == ["ecs"]
    got = iam.get_role_policy(RoleName="exec", PolicyName="ecs")
    assert got["PolicyDocument"]["Statement"] == [ALLOW_ECS]
    iam.attach_role_policy(RoleName="exec", PolicyArn=EXECUTION_POLICY)
    attached = iam.list_attached_role_policies(RoleName="exec")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AmazonECSTaskExecutionRolePolicy",
                         "PolicyArn": EXECUTION_POLICY}]
    msg = expect_error(lambda: iam.delete_role(RoleName="exec"), "DeleteConflict", 409)
    assert msg == "Cannot delete entity, must delete policies first."
    iam.delete_role_policy(RoleName="exec", PolicyName="ecs")
    msg = expect_error(lambda: iam.delete_role(RoleName="exec"), "DeleteConflict", 409)
    assert msg == "Cannot delete entity, must detach all policies first."
    iam.detach_role_policy(RoleName="exec", PolicyArn=EXECUTION_POLICY)
    msg = expect_error(lambda: iam.detach_role_policy(RoleName="exec",
                                                      PolicyArn=EXECUTION_POLICY),
                       "NoSuchEntity", 404)
    assert msg == f"Policy {EXECUTION_POLICY} was not found."
    iam.delete_role(RoleName="exec")
    expect_error(lambda: iam.get_role(RoleName="exec"), "NoSuchEntity", 404)


def test_identity_policy_errors(iam: Any) -> None:
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    msg = expect_error(lambda: iam.put_role_policy(RoleName="r", PolicyName="p",
                                                   PolicyDocument="{nope"),
                       "MalformedPolicyDocument", 400)
    assert msg == "This policy contains invalid Json"
    msg = expect_error(lambda: iam.put_role_policy(
        RoleName="r", PolicyName="p", PolicyDocument=policy({**ALLOW_ECS, "Principal": "*"})),
        "MalformedPolicyDocument", 400)
    assert msg == "Policy document should not specify a principal."
    msg = expect_error(lambda: iam.attach_role_policy(
        RoleName="r", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/none"), "NoSuchEntity", 404)
    assert msg == f"Policy arn:aws:iam::{ACCOUNT}:policy/none does not exist or is not attachable."
    big = policy(*[{"Sid": f"s{i}", **ALLOW_ECS, "Resource": "arn:aws:ecs:*:*:cluster/" + "x" * 90}
                   for i in range(100)])
    msg = expect_error(lambda: iam.put_role_policy(RoleName="r", PolicyName="big",
                                                   PolicyDocument=big), "LimitExceeded", 409)
    assert msg == "Maximum policy size of 10240 bytes exceeded for role r"


def test_managed_policy_versions(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="ecs-read", Path="/team/",
                            PolicyDocument=policy(ALLOW_ECS))["Policy"]["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/team/ecs-read"
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy(ALLOW_ECS),
                                  SetAsDefault=True)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    msg = expect_error(lambda: iam.create_policy_version(PolicyArn=arn,
                                                         PolicyDocument=policy(ALLOW_ECS)),
                       "LimitExceeded", 409)
    assert msg.startswith("A managed policy can have up to 5 versions.")
    versions = [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]]
    assert versions == ["v5", "v4", "v3", "v2", "v1"]
    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["Document"]["Statement"] == [ALLOW_ECS] and not v1["IsDefaultVersion"]
    expect_error(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v5"),
                 "DeleteConflict", 409)
    msg = expect_error(lambda: iam.delete_policy(PolicyArn=arn), "DeleteConflict", 409)
    assert msg.startswith("This policy has more than one version.")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"][0]["RoleName"] == "r"
    expect_error(lambda: iam.create_policy(PolicyName="ECS-READ", PolicyDocument=policy(ALLOW_ECS)),
                 "EntityAlreadyExists", 409)


def test_aws_managed_policies_carry_aws_statements(iam: Any) -> None:
    pol = iam.get_policy(PolicyArn=EXECUTION_POLICY)["Policy"]
    assert pol["Path"] == "/service-role/" and pol["DefaultVersionId"] == "v1"
    doc = iam.get_policy_version(PolicyArn=EXECUTION_POLICY, VersionId="v1")["PolicyVersion"]
    assert "logs:PutLogEvents" in doc["Document"]["Statement"][0]["Action"]
    names = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert {"AdministratorAccess", "ReadOnlyAccess", "AmazonECS_FullAccess",
            "AmazonEC2ContainerServiceforEC2Role", "AmazonSQSFullAccess",
            "AmazonSNSFullAccess", "CloudWatchLogsFullAccess", "SecretsManagerReadWrite",
            "AmazonSSMReadOnlyAccess"} <= names
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_users_and_access_keys(iam: Any) -> None:
    user = iam.create_user(UserName="alice", Path="/devs/")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/devs/alice"
    assert user["UserId"].startswith("AIDA")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40 and key["Status"] == "Active"
    iam.create_access_key(UserName="alice")
    msg = expect_error(lambda: iam.create_access_key(UserName="alice"), "LimitExceeded", 409)
    assert msg == "Cannot exceed quota for AccessKeysPerUser: 2"
    listed = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert key["AccessKeyId"] in {k["AccessKeyId"] for k in listed}
    msg = expect_error(lambda: iam.delete_user(UserName="alice"), "DeleteConflict", 409)
    assert msg == "Cannot delete entity, must delete access keys first."
    for k in listed:
        iam.delete_access_key(UserName="alice", AccessKeyId=k["AccessKeyId"])
    msg = expect_error(lambda: iam.delete_access_key(UserName="alice",
                                                     AccessKeyId=key["AccessKeyId"]),
                       "NoSuchEntity", 404)
    assert msg == f"The Access Key with id {key['AccessKeyId']} cannot be found"
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"][0][
        "PolicyName"] == "ReadOnlyAccess"
    iam.detach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.delete_user(UserName="alice")
    expect_error(lambda: iam.get_user(UserName="alice"), "NoSuchEntity", 404)


def test_instance_profiles(iam: Any) -> None:
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}))
    prof = iam.create_instance_profile(InstanceProfileName="ecsInstanceProfile")["InstanceProfile"]
    assert prof["InstanceProfileId"].startswith("AIPA") and prof["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceProfile",
                                     RoleName="ecsInstanceRole")
    got = iam.get_instance_profile(InstanceProfileName="ecsInstanceProfile")["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == ["ecsInstanceRole"]
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    expect_error(lambda: iam.add_role_to_instance_profile(
        InstanceProfileName="ecsInstanceProfile", RoleName="other"), "LimitExceeded", 409)
    msg = expect_error(lambda: iam.delete_role(RoleName="ecsInstanceRole"), "DeleteConflict", 409)
    assert msg == "Cannot delete entity, must remove roles from instance profile first."
    expect_error(lambda: iam.delete_instance_profile(InstanceProfileName="ecsInstanceProfile"),
                 "DeleteConflict", 409)
    for_role = iam.list_instance_profiles_for_role(RoleName="ecsInstanceRole")
    assert len(for_role["InstanceProfiles"]) == 1
    iam.remove_role_from_instance_profile(InstanceProfileName="ecsInstanceProfile",
                                          RoleName="ecsInstanceRole")
    iam.delete_instance_profile(InstanceProfileName="ecsInstanceProfile")
    msg = expect_error(lambda: iam.get_instance_profile(InstanceProfileName="ecsInstanceProfile"),
                       "NoSuchEntity", 404)
    assert msg == "Instance Profile ecsInstanceProfile cannot be found."


def test_paging_with_marker_and_max_items(iam: Any) -> None:
    for i in range(5):
        iam.create_role(RoleName=f"role{i}", AssumeRolePolicyDocument=TRUST_ECS_TASKS)
    first = iam.list_roles(MaxItems=2)
    assert first["IsTruncated"] and len(first["Roles"]) == 2
    names = [r["RoleName"] for r in first["Roles"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_roles(MaxItems=2, Marker=marker)
        names += [r["RoleName"] for r in page["Roles"]]
        marker = page.get("Marker")
    assert names == [f"role{i}" for i in range(5)]
    paged = iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 3})
    assert [r["RoleName"] for p in paged for r in p["Roles"]] == names


def test_the_aws_cli_reads_and_writes_iam(url: str) -> None:
    aws_cli(url, "iam", "create-role", "--role-name", "cli", "--assume-role-policy-document",
            TRUST_ECS_TASKS)
    out = json.loads(aws_cli(url, "iam", "get-role", "--role-name", "cli").stdout)
    assert out["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs-tasks.amazonaws.com"}
    caller = json.loads(aws_cli(url, "sts", "get-caller-identity").stdout)
    assert caller == {"UserId": ACCOUNT, "Account": ACCOUNT,
                      "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
