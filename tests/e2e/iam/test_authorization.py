"""Policies decide real calls: users, roles, sessions (IAM User Guide, "Policy evaluation
logic"; STS API Reference, AssumeRole and GetCallerIdentity)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.iam.conftest import ACCOUNT, policy, session_client
from tests.support import ServerProcess, client, expect_error

Keys = dict[str, str]
NewUser = Callable[..., Keys]

LIST = {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}
ASSUME_ANY = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"


def trust(principal: dict[str, Any] | str) -> str:
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def test_an_allowed_call_works_and_a_denied_one_is_refused_as_ecs_refuses(
    url: str, new_user: NewUser
) -> None:
    ecs = session_client("ecs", url, new_user("alice", LIST))
    assert ecs.list_clusters()["clusterArns"] == []
    msg = expect_error(lambda: ecs.create_cluster(clusterName="prod"), "AccessDeniedException")
    assert msg == (
        f"User: {USER_ARN} is not authorized to perform: ecs:CreateCluster on resource: "
        f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod because no identity-based policy allows "
        "the ecs:CreateCluster action"
    )
    client("ecs", url).create_cluster(clusterName="prod")  # root may do anything


def test_query_services_answer_access_denied_403(url: str, new_user: NewUser) -> None:
    keys = new_user("alice", LIST)
    msg = expect_error(lambda: session_client("iam", url, keys).list_users(), "AccessDenied", 403)
    assert msg == (f"User: {USER_ARN} is not authorized to perform: iam:ListUsers on resource: "
                   f"arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the "
                   "iam:ListUsers action")
    expect_error(lambda: session_client("sqs", url, keys).list_queues(), "AccessDenied", 403)
    msg = expect_error(lambda: session_client("sns", url, keys).publish(
        TopicArn=f"arn:aws:sns:us-east-1:{ACCOUNT}:t", Message="m"), "AuthorizationError", 403)
    assert "perform: SNS:Publish on resource: arn:aws:sns:us-east-1:" in msg


def test_an_explicit_deny_beats_administrator_access(
    iam: Any, url: str, new_user: NewUser
) -> None:
    keys = new_user("alice", {"Effect": "Deny", "Action": "ecs:Delete*", "Resource": "*"})
    iam.attach_user_policy(UserName="alice",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    ecs = session_client("ecs", url, keys)
    ecs.create_cluster(clusterName="c1")
    msg = expect_error(lambda: ecs.delete_cluster(cluster="c1"), "AccessDeniedException")
    assert msg.endswith("with an explicit deny in an identity-based policy")


def test_resource_level_permissions_and_conditions(url: str, new_user: NewUser) -> None:
    prod = f"arn:aws:ecs:*:{ACCOUNT}:cluster/prod"
    keys = new_user(
        "alice",
        {"Effect": "Allow", "Action": "ecs:DescribeClusters", "Resource": prod},
        {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
    )
    ecs = session_client("ecs", url, keys)
    ecs.describe_clusters(clusters=["prod"])
    msg = expect_error(lambda: ecs.describe_clusters(clusters=["prod", "dev"]),
                       "AccessDeniedException")
    assert f"on resource: arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/dev because" in msg
    ecs.list_clusters()
    expect_error(lambda: session_client("ecs", url, keys, region="eu-west-1").list_clusters(),
                 "AccessDeniedException")


def test_caller_identity_of_root_user_and_assumed_role(
    iam: Any, sts: Any, url: str, new_user: NewUser
) -> None:
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    keys = new_user("alice", ASSUME_ANY)
    me = session_client("sts", url, keys).get_caller_identity()
    user_id = iam.get_user(UserName="alice")["User"]["UserId"]
    assert (me["Arn"], me["UserId"], me["Account"]) == (USER_ARN, user_id, ACCOUNT)
    role = iam.create_role(RoleName="app", Path="/svc/",
                           AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))["Role"]
    out = session_client("sts", url, keys).assume_role(RoleArn=role["Arn"],
                                                       RoleSessionName="s1")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    assumed = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:s1", "Arn": assumed}
    me = session_client("sts", url, creds).get_caller_identity()
    assert (me["Arn"], me["UserId"]) == (assumed, f"{role['RoleId']}:s1")


def test_act_as_the_role_after_assuming_it(iam: Any, url: str, new_user: NewUser) -> None:
    keys = new_user("alice", ASSUME_ANY)
    role = iam.create_role(RoleName="ecs-admin", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    iam.attach_role_policy(RoleName="ecs-admin",
                           PolicyArn="arn:aws:iam::aws:policy/AmazonECS_FullAccess")
    expect_error(lambda: session_client("ecs", url, keys).create_cluster(clusterName="x"),
                 "AccessDeniedException")
    creds = session_client("sts", url, keys).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="work")["Credentials"]
    as_role = session_client("ecs", url, creds)
    arn = as_role.create_cluster(clusterName="x")["cluster"]["clusterArn"]
    assert arn == f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/x"
    msg = expect_error(lambda: session_client("iam", url, creds).list_users(), "AccessDenied", 403)
    assert msg.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ecs-admin/work is not "
                          "authorized to perform: iam:ListUsers")


def test_the_trust_policy_refuses_whom_it_does_not_name(
    iam: Any, url: str, new_user: NewUser
) -> None:
    keys = new_user("alice", ASSUME_ANY)
    role = iam.create_role(RoleName="tasks", AssumeRolePolicyDocument=trust(
        {"Service": "ecs-tasks.amazonaws.com"}))["Role"]
    msg = expect_error(lambda: session_client("sts", url, keys).assume_role(
        RoleArn=role["Arn"], RoleSessionName="s1"), "AccessDenied", 403)
    assert msg == (f"User: {USER_ARN} is not authorized to perform: sts:AssumeRole on resource: "
                   f"{role['Arn']}")
    missing = f"arn:aws:iam::{ACCOUNT}:role/missing"
    expect_error(lambda: session_client("sts", url, keys).assume_role(
        RoleArn=missing, RoleSessionName="s1"), "AccessDenied", 403)


def test_naming_the_account_needs_the_callers_own_permission(
    iam: Any, url: str, new_user: NewUser
) -> None:
    """A trust policy naming the account delegates to identity policies; one naming the
    user itself is enough on its own (same account)."""
    keys = new_user("alice", LIST)
    by_account = iam.create_role(RoleName="a", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    by_user = iam.create_role(RoleName="b", AssumeRolePolicyDocument=trust({"AWS": USER_ARN}))
    sts = session_client("sts", url, keys)
    expect_error(lambda: sts.assume_role(RoleArn=by_account["Role"]["Arn"], RoleSessionName="s1"),
                 "AccessDenied", 403)
    sts.assume_role(RoleArn=by_user["Role"]["Arn"], RoleSessionName="s1")


def test_a_session_policy_narrows_the_role(iam: Any, url: str, new_user: NewUser) -> None:
    keys = new_user("alice", ASSUME_ANY)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust({"AWS": USER_ARN}))
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonECS_FullAccess")
    creds = session_client("sts", url, keys).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="narrow", Policy=policy(LIST))["Credentials"]
    ecs = session_client("ecs", url, creds)
    ecs.list_clusters()
    msg = expect_error(lambda: ecs.create_cluster(clusterName="x"), "AccessDeniedException")
    assert msg.endswith("because no session policy allows the ecs:CreateCluster action")


def test_durations_are_bounded_by_the_role(iam: Any, sts: Any) -> None:
    arn = iam.create_role(RoleName="r", MaxSessionDuration=7200,
                          AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="r", PolicyName="chain", PolicyDocument=policy(ASSUME_ANY))
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=900)["Credentials"]
    assert creds["Expiration"].timestamp() > 0
    msg = expect_error(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1",
                                               DurationSeconds=7201), "ValidationError", 400)
    assert msg == ("The requested DurationSeconds exceeds the MaxSessionDuration set for this "
                   "role.")
    chained = session_client("sts", sts.meta.endpoint_url, creds)
    msg = expect_error(lambda: chained.assume_role(RoleArn=arn, RoleSessionName="s2",
                                                   DurationSeconds=3600 + 1), "ValidationError")
    assert msg == ("The requested DurationSeconds exceeds the 1 hour session limit for roles "
                   "assumed by role chaining.")


def test_running_a_task_with_a_role_needs_pass_role(iam: Any, url: str, new_user: NewUser) -> None:
    root_ecs = client("ecs", url)
    role = iam.create_role(RoleName="taskRole", AssumeRolePolicyDocument=trust(
        {"Service": "ecs-tasks.amazonaws.com"}))["Role"]["Arn"]
    root_ecs.create_cluster(clusterName="default")
    root_ecs.register_task_definition(family="app", taskRoleArn=role, containerDefinitions=[
        {"name": "c", "image": "busybox", "memory": 64}])
    keys = new_user("alice", {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"})
    ecs = session_client("ecs", url, keys)
    msg = expect_error(lambda: ecs.run_task(taskDefinition="app"), "AccessDeniedException")
    assert msg == (f"User: {USER_ARN} is not authorized to perform: iam:PassRole on resource: "
                   f"{role} because no identity-based policy allows the iam:PassRole action")
    iam.put_user_policy(UserName="alice", PolicyName="pass", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}))
    # authorized now: ECS itself answers (no instance to place the task on)
    expect_error(lambda: ecs.run_task(taskDefinition="app"), "InvalidParameterException")


def test_audit_mode_logs_and_allows_off_mode_checks_nothing() -> None:
    for mode in ("audit", "off"):
        srv = ServerProcess(env={"CARGOBAY_AUTH_MODE": mode}).start()
        try:
            iam = client("iam", srv.url)
            iam.create_user(UserName="u")
            key = iam.create_access_key(UserName="u")["AccessKey"]
            ecs = session_client("ecs", srv.url, key)
            ecs.create_cluster(clusterName="allowed-anyway")  # no policy allows it
            forged = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": "wrong"}
            assert session_client("ecs", srv.url, forged).list_clusters()["clusterArns"]
            me = session_client("sts", srv.url, key).get_caller_identity()
            assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/u"
        finally:
            srv.stop()
        assert srv.proc is not None and srv.proc.stderr is not None
        logged = srv.proc.stderr.read().decode()
        if mode == "audit":
            assert "audit: would refuse ecs.CreateCluster (policy): AccessDeniedException" in logged
        else:
            assert "would refuse" not in logged


def test_bootstrap_root_keys_are_configurable() -> None:
    srv = ServerProcess(env={"CARGOBAY_ROOT_ACCESS_KEY_ID": "AKIAROOTROOTROOTROOT",
                             "CARGOBAY_ROOT_SECRET_ACCESS_KEY": "s3cret"}).start()
    try:
        root = {"AccessKeyId": "AKIAROOTROOTROOTROOT", "SecretAccessKey": "s3cret"}
        me = session_client("sts", srv.url, root).get_caller_identity()
        assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
        expect_error(lambda: client("sts", srv.url).get_caller_identity(),
                     "InvalidClientTokenId", 403)
    finally:
        srv.stop()


def test_policies_of_a_deleted_and_recreated_role_do_not_reach_old_sessions(
    iam: Any, sts: Any, url: str
) -> None:
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))[
        "Role"]["Arn"]
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="old")["Credentials"]
    iam.delete_role(RoleName="r")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    iam.put_role_policy(RoleName="r", PolicyName="all", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"}))
    expect_error(lambda: session_client("ecs", url, creds).list_clusters(),
                 "AccessDeniedException")


def test_session_tags_need_tag_session_and_become_principal_tags(
    iam: Any, sts: Any, url: str
) -> None:
    """STS: passing session tags needs sts:TagSession in the trust policy; the tags are
    the session's aws:PrincipalTag values (IAM User Guide, "Passing session tags in AWS
    STS")."""
    plain = iam.create_role(RoleName="plain", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    tags = [{"Key": "team", "Value": "blue"}]
    msg = expect_error(lambda: sts.assume_role(RoleArn=plain["Role"]["Arn"], RoleSessionName="t1",
                                               Tags=tags), "AccessDenied", 403)
    assert "sts:TagSession" in msg
    tagged = iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
         "Action": ["sts:AssumeRole", "sts:TagSession"]}))
    iam.put_role_policy(RoleName="tagged", PolicyName="by-team", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}))
    blue = sts.assume_role(RoleArn=tagged["Role"]["Arn"], RoleSessionName="t1",
                           Tags=tags)["Credentials"]
    session_client("ecs", url, blue).list_clusters()
    red = sts.assume_role(RoleArn=tagged["Role"]["Arn"], RoleSessionName="t2",
                          Tags=[{"Key": "team", "Value": "red"}])["Credentials"]
    expect_error(lambda: session_client("ecs", url, red).list_clusters(),
                 "AccessDeniedException")


def test_external_id_condition_in_the_trust_policy(iam: Any, sts: Any) -> None:
    arn = iam.create_role(RoleName="partner", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "s3cr3t"}}}))["Role"]["Arn"]
    expect_error(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="p1"), "AccessDenied", 403)
    expect_error(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="p1", ExternalId="nope"),
                 "AccessDenied", 403)
    sts.assume_role(RoleArn=arn, RoleSessionName="p1", ExternalId="s3cr3t")
