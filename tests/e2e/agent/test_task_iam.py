"""IAM roles for tasks on real tasks (ECS Developer Guide, "Amazon ECS task IAM role",
"Amazon ECS task execution IAM role", "Pass sensitive data to an Amazon ECS container").

A real control plane with auth enforced, an agent on the process runtime (one Docker
test): a task's boto3 script, with no keys in its environment, acts as
``assumed-role/ROLE/TASK_ID`` through AWS_CONTAINER_CREDENTIALS_FULL_URI; its role's
policy decides its calls; a secret arrives as an environment variable, read with the
execution role; one task's token never yields another's credentials; credentials stop
working when the task stops.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.agent.conftest import TEST_IMAGE, Env, remove_containers
from tests.e2e.iam.conftest import ACCOUNT, policy, session_client
from tests.support import client, expect_error

TRUST_ECS_TASKS = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}

#: the task's script: its identity, one allowed and one refused call, its secret, and
#: the credentials endpoint it was given; then it waits to be stopped
SCRIPT = r"""
import json, os, sys, time
import boto3
from botocore.exceptions import ClientError
out = {"keys_in_env": [k for k in os.environ if k.startswith("AWS_") and "KEY" in k]}
session = boto3.Session()
out["method"] = session.get_credentials().method
out["arn"] = session.client("sts").get_caller_identity()["Arn"]
ecs = session.client("ecs")
out["allowed"] = "clusterArns" in ecs.list_clusters()
try:
    ecs.create_cluster(clusterName="not-allowed")
    out["refused"] = None
except ClientError as e:
    out["refused"] = e.response["Error"]["Code"]
out["secret"] = os.environ.get("DB_PASSWORD")
out["json_key"] = os.environ.get("DB_USER")
out["uri"] = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
out["token"] = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
out["endpoint"] = os.environ.get("AWS_ENDPOINT_URL")
print("RESULT " + json.dumps(out), flush=True)
time.sleep(60)
"""


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


@pytest.fixture
def proc(plane_url: str, tmp_path: Path) -> Iterator[Env]:
    yield from _env(plane_url, tmp_path, "process")


def _role(url: str, prefix: str, trust: dict[str, Any], *statements: dict[str, Any]) -> str:
    iam = client("iam", url)
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy(trust))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy(*statements))
    return arn


def _python(name: str, script: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "image": TEST_IMAGE, "command": [sys.executable, "-c", script],
            "memory": 128, **kw}


def _result(env: Env, arn: str) -> dict[str, Any]:
    def read() -> dict[str, Any] | None:
        for line in env.log(arn, "app").splitlines():
            if line.startswith("RESULT "):
                return dict(json.loads(line[len("RESULT "):]))
        task = env.describe(arn)
        assert task["lastStatus"] != "STOPPED", (task, env.log(arn, "app"))
        return None

    return dict(env.until(read, what="the task's result"))


def _get(uri: str, token: str | None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(uri, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_task_acts_as_its_role_reads_its_secret_and_loses_its_keys_when_stopped(
    proc: Env,
) -> None:
    url = proc.url
    sm = client("secretsmanager", url)
    name = f"db-{uuid.uuid4().hex[:8]}"
    secret_arn = sm.create_secret(Name=name, SecretString=json.dumps(
        {"password": "s3cr3t-value", "user": "admin"}))["ARN"]
    task_role = _role(url, "app", TRUST_ECS_TASKS,
                      {"Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"})
    exec_role = _role(url, "exec", TRUST_ECS_TASKS,
                      {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": secret_arn})
    secrets = [{"name": "DB_PASSWORD", "valueFrom": f"{secret_arn}:password::"},
               {"name": "DB_USER", "valueFrom": f"{secret_arn}:user::"}]
    a = proc.run(_python("app", SCRIPT, secrets=secrets),
                 taskRoleArn=task_role, executionRoleArn=exec_role)
    b = proc.run(_python("app", SCRIPT), taskRoleArn=task_role)
    ra, rb = _result(proc, a), _result(proc, b)
    role_name = task_role.rsplit("/", 1)[-1]

    # no keys in the environment: the container provider, acting as assumed-role/ROLE/TASK
    assert ra["keys_in_env"] == [] and ra["method"] == "container-role"
    assert ra["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{a.rsplit('/', 1)[-1]}"
    assert rb["arn"].endswith(f"/{role_name}/{b.rsplit('/', 1)[-1]}")
    assert ra["allowed"] is True and ra["refused"] == "AccessDeniedException"
    assert ra["endpoint"] == url
    # secrets (JSON keys of one secret) as environment variables; never in DescribeTasks
    assert (ra["secret"], ra["json_key"]) == ("s3cr3t-value", "admin")
    assert "s3cr3t-value" not in json.dumps(proc.describe(a), default=str)

    # each task's token opens its own credentials only
    status, creds = _get(ra["uri"], ra["token"])
    assert status == 200 and creds["RoleArn"] == task_role
    assert set(creds) == {"RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert _get(rb["uri"], ra["token"])[0] == 403
    assert _get(ra["uri"], rb["token"])[0] == 403
    assert _get(ra["uri"], None)[0] == 403
    assert _get(ra["uri"].rsplit("/", 1)[0] + "/unknown", ra["token"])[0] == 400
    v1 = ra["uri"].replace("/v2/credentials/", "/v1/credentials?id=")
    assert _get(v1, ra["token"])[1]["AccessKeyId"] == creds["AccessKeyId"]

    keys = {"AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
            "SessionToken": creds["Token"]}
    assert session_client("sts", url, keys).get_caller_identity()["Arn"] == ra["arn"]
    proc.ecs.stop_task(cluster=proc.cluster, task=a)
    proc.wait(a)
    expect_error(lambda: session_client("sts", url, keys).get_caller_identity(),
                 "InvalidClientTokenId", 403)
    assert _get(ra["uri"], ra["token"])[0] == 400
    assert _get(rb["uri"], rb["token"])[0] == 200  # B's are still there
    proc.ecs.stop_task(cluster=proc.cluster, task=b)
    proc.wait(b)


def test_an_execution_role_without_get_secret_value_stops_the_task(proc: Env) -> None:
    url = proc.url
    secret_arn = client("secretsmanager", url).create_secret(
        Name=f"db-{uuid.uuid4().hex[:8]}", SecretString="x")["ARN"]
    exec_role = _role(url, "exec", TRUST_ECS_TASKS,
                      {"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "*"})
    arn = proc.run(_python("app", "print('started')", secrets=[
        {"name": "DB_PASSWORD", "valueFrom": secret_arn}]), executionRoleArn=exec_role)
    task = proc.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    reason = task["stoppedReason"]
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{exec_role.rsplit('/', 1)[-1]}/"
    expected = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution "
        "resource retrieval failed: unable to retrieve secret from asm: service call has been "
        f"retried 1 time(s): failed to fetch secret {secret_arn} from secrets manager: "
        f"AccessDeniedException: User: {session}{arn.rsplit('/', 1)[-1]} is not authorized "
        "to perform: secretsmanager:GetSecretValue"
    )
    # the stoppedReason is ECS's message, cut at 255 characters
    assert len(reason) == 255 and expected.startswith(reason), reason
    assert proc.log(arn, "app") == ""  # never started


def test_a_role_that_does_not_trust_ecs_tasks_fails_the_task(proc: Env) -> None:
    trust = {**TRUST_ECS_TASKS, "Principal": {"Service": "ec2.amazonaws.com"}}
    role = _role(proc.url, "ec2", trust)
    arn = proc.run(_python("app", "print('started')"), taskRoleArn=role)
    task = proc.wait(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith(f"ECS was unable to assume the role '{role}'")


def test_docker_container_reads_its_credentials_with_busybox_wget(
    plane_url: str, tmp_path: Path, docker_engine: bool
) -> None:
    if not docker_engine:
        pytest.skip("no Docker engine answers (run .ci/docker-setup.sh)")
    for env in _env(plane_url, tmp_path, "docker"):
        role = _role(plane_url, "busy", TRUST_ECS_TASKS)
        script = ('wget -q -O - --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" '
                  '"$AWS_CONTAINER_CREDENTIALS_FULL_URI"')
        arn = env.run(env.container("app", script), taskRoleArn=role)
        env.wait(arn)
        doc = json.loads(env.log(arn, "app").strip().splitlines()[-1])
        assert doc["RoleArn"] == role and doc["AccessKeyId"].startswith("ASIA")
