"""Task-role credentials issued to ecs-tasks.amazonaws.com (ECS Developer Guide, "Task IAM
role": the trust policy must allow the service; the caller identity of a task is
``assumed-role/ROLE/TASK_ID``; "Cross-service confused deputy prevention")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.config import Config
from cargobay.iam.task_credentials import CANNOT_ASSUME, issue_task_role_credentials, revoke
from cargobay.iam.trust import AssumeRoleRefused
from tests.e2e.iam.conftest import ACCOUNT, policy, session_client
from tests.support import client, expect_error, threaded_server

TASK_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def served() -> Iterator[tuple[str, App]]:
    app = App(Config(data_dir=None))
    with threaded_server(app) as url:
        yield url, app


def _role(url: str, name: str, principal: dict[str, Any], **condition: Any) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    iam = client("iam", url)
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(stmt))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="ecs", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}))
    return arn


def _creds(assumed: Any) -> dict[str, str]:
    c = assumed.credentials
    return {"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key,
            "SessionToken": c.session_token}


def test_a_task_acts_as_its_role_session(served: tuple[str, App]) -> None:
    url, app = served
    arn = _role(url, "taskRole", {"Service": "ecs-tasks.amazonaws.com"})
    assumed = issue_task_role_credentials(app, arn, TASK_ID)
    creds = _creds(assumed)
    me = session_client("sts", url, creds).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/taskRole/{TASK_ID}"
    assert assumed.arn == me["Arn"]
    session_client("ecs", url, creds).list_clusters()
    expect_error(lambda: session_client("ecs", url, creds).create_cluster(clusterName="x"),
                 "AccessDeniedException")
    assert assumed.credentials.expiration - app.clock.now() == pytest.approx(3600, abs=2)


def test_a_role_that_does_not_trust_ecs_tasks_is_refused(served: tuple[str, App]) -> None:
    url, app = served
    arn = _role(url, "ec2Role", {"Service": "ec2.amazonaws.com"})
    with pytest.raises(AssumeRoleRefused) as info:
        issue_task_role_credentials(app, arn, TASK_ID)
    assert (info.value.code, info.value.status) == ("AccessDenied", 403)
    assert info.value.message == ("User: ecs-tasks.amazonaws.com is not authorized to perform: "
                                  f"sts:AssumeRole on resource: {arn}")
    assert CANNOT_ASSUME.format(role=arn).startswith(f"ECS was unable to assume the role '{arn}'")
    with pytest.raises(AssumeRoleRefused):
        issue_task_role_credentials(app, f"arn:aws:iam::{ACCOUNT}:role/missing", TASK_ID)


def test_confused_deputy_conditions_see_the_source(served: tuple[str, App]) -> None:
    url, app = served
    arn = _role(url, "guarded", {"Service": "ecs-tasks.amazonaws.com"},
                ArnLike={"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:*"},
                StringEquals={"aws:SourceAccount": ACCOUNT})
    task_arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/default/{TASK_ID}"
    issue_task_role_credentials(app, arn, TASK_ID, source_arn=task_arn)
    with pytest.raises(AssumeRoleRefused):
        issue_task_role_credentials(app, arn, TASK_ID,
                                    source_arn="arn:aws:ecs:us-east-1:111122223333:task/x/y")


def test_revoked_credentials_stop_working(served: tuple[str, App]) -> None:
    url, app = served
    arn = _role(url, "taskRole", {"Service": "ecs-tasks.amazonaws.com"})
    assumed = issue_task_role_credentials(app, arn, TASK_ID)
    creds = _creds(assumed)
    session_client("sts", url, creds).get_caller_identity()
    assert revoke(app, assumed.credentials.access_key_id)
    expect_error(lambda: session_client("sts", url, creds).get_caller_identity(),
                 "InvalidClientTokenId", 403)
