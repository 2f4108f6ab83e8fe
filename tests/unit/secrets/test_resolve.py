"""resolve_secret_value: every valueFrom form an ECS container's ``secrets`` may use,
read in-process through the dispatcher (and IAM, as the task's execution role)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.errors import AwsError
from cargobay.services.secrets.resolve import SecretValueError, resolve_secret_value
from cargobay.store.memory import MemoryStore

REGION = "us-east-1"
ACCOUNT = "000000000000"
ROLE = "arn:aws:sts::000000000000:assumed-role/exec-role/task-1"
PREV_TOKEN = "11111111-1111-1111-1111-111111111111"
CUR_TOKEN = "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def app() -> Iterator[App]:
    a = App(Config(data_dir=None), store=MemoryStore(), clock=SimClock())
    yield a
    a.store.close()


def call(app: App, service: str, op: str, params: dict[str, Any], **kw: Any) -> Any:
    return asyncio.run(app.dispatcher.call(service, op, params, region=kw.pop("region", REGION),
                                           **kw))


def resolve(app: App, value_from: str, principal: str | None = None) -> str:
    return asyncio.run(resolve_secret_value(app, REGION, ACCOUNT, value_from, principal))


@pytest.fixture
def db(app: App) -> str:
    """A secret with two versions: {"user","password","port"} now, "old" before."""
    call(app, "secretsmanager", "CreateSecret",
         {"Name": "db", "SecretString": json.dumps({"user": "old"}),
          "ClientRequestToken": PREV_TOKEN})
    out = call(app, "secretsmanager", "PutSecretValue",
               {"SecretId": "db", "ClientRequestToken": CUR_TOKEN,
                "SecretString": json.dumps({"user": "app", "password": "s3cr3t",
                                            "port": 5432, "replicas": 1000000})})
    return str(out["ARN"])


def test_whole_secret_by_full_and_partial_arn(app: App, db: str) -> None:
    whole = json.loads(resolve(app, db))
    assert whole["password"] == "s3cr3t"
    partial = db.rsplit("-", 1)[0]
    assert json.loads(resolve(app, partial)) == whole


def test_json_keys_as_the_ecs_agent_prints_them(app: App, db: str) -> None:
    assert resolve(app, f"{db}:password::") == "s3cr3t"
    assert resolve(app, f"{db}:port::") == "5432"
    assert resolve(app, f"{db}:replicas::") == "1e+06"


def test_version_stage_and_version_id_selectors(app: App, db: str) -> None:
    assert resolve(app, f"{db}:user:AWSPREVIOUS:") == "old"
    assert resolve(app, f"{db}:user::{PREV_TOKEN}") == "old"
    assert resolve(app, f"{db}:user:AWSCURRENT:{CUR_TOKEN}") == "app"


@pytest.mark.parametrize("suffix, code, wording", [
    (":nope::", "ResourceInitializationError",
     "retrieved secret from Secrets Manager did not contain json key nope"),
    (":user:AWSPENDING:", "ResourceNotFoundException",
     "can't find the specified secret value for staging label: AWSPENDING"),
    (f":user::{'9' * 32}", "ResourceNotFoundException",
     f"can't find the specified secret value for VersionId: {'9' * 32}"),
    (f":user:AWSCURRENT:{PREV_TOKEN}", "InvalidRequestException",
     "You provided a VersionStage that is not associated to the provided VersionId."),
])
def test_selector_failures(app: App, db: str, suffix: str, code: str, wording: str) -> None:
    with pytest.raises(AwsError) as info:
        resolve(app, db + suffix)
    assert info.value.code == code
    assert wording in info.value.message


def test_json_key_of_a_plain_string_secret(app: App) -> None:
    arn = call(app, "secretsmanager", "CreateSecret",
               {"Name": "plain", "SecretString": "just text"})["ARN"]
    assert resolve(app, arn) == "just text"
    with pytest.raises(SecretValueError, match="not JSON"):
        resolve(app, f"{arn}:k::")


def test_binary_secret_reads_as_empty_like_the_agent(app: App) -> None:
    arn = call(app, "secretsmanager", "CreateSecret",
               {"Name": "bin", "SecretBinary": b"\x00\x01"})["ARN"]
    assert resolve(app, arn) == ""


def test_missing_and_deleted_secrets(app: App, db: str) -> None:
    with pytest.raises(AwsError) as info:
        resolve(app, f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ghost-AbCdEf")
    assert (info.value.code, info.value.message) == (
        "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    call(app, "secretsmanager", "DeleteSecret", {"SecretId": db, "RecoveryWindowInDays": 7})
    with pytest.raises(AwsError) as info:
        resolve(app, db)
    assert info.value.code == "InvalidRequestException"
    assert "marked for deletion" in info.value.message


def test_a_secret_in_another_region_by_its_arn(app: App) -> None:
    arn = call(app, "secretsmanager", "CreateSecret", {"Name": "far", "SecretString": "x"},
               region="eu-west-1")["ARN"]
    assert resolve(app, arn) == "x"


def test_parameters_by_name_and_arn_decrypted(app: App) -> None:
    call(app, "ssm", "PutParameter", {"Name": "/app/token", "Value": "tok",
                                      "Type": "SecureString"})
    call(app, "ssm", "PutParameter", {"Name": "plain", "Value": "a,b", "Type": "StringList"})
    call(app, "ssm", "PutParameter", {"Name": "plain", "Value": "c", "Overwrite": True})
    assert resolve(app, "/app/token") == "tok"
    assert resolve(app, f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/token") == "tok"
    assert resolve(app, "plain") == "c"
    assert resolve(app, "/plain:1") == "a,b"
    with pytest.raises(SecretValueError) as info:
        resolve(app, "/app/missing")
    assert info.value.message == "invalid parameters: /app/missing"


def test_execution_role_permissions_decide(app: App, db: str) -> None:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    call(app, "iam", "CreateRole", {"RoleName": "exec-role",
                                    "AssumeRolePolicyDocument": json.dumps(trust)})
    call(app, "ssm", "PutParameter", {"Name": "/p", "Value": "v", "Type": "String"})
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": db},
        {"Effect": "Allow", "Action": "ssm:GetParameters",
         "Resource": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/p"}]}
    call(app, "iam", "PutRolePolicy", {"RoleName": "exec-role", "PolicyName": "read",
                                       "PolicyDocument": json.dumps(policy)})
    assert resolve(app, f"{db}:user::", ROLE) == "app"
    assert resolve(app, "/p", ROLE) == "v"
    other = call(app, "secretsmanager", "CreateSecret",
                 {"Name": "other", "SecretString": "x"})["ARN"]
    with pytest.raises(AwsError) as info:
        resolve(app, other, ROLE)
    assert info.value.code == "AccessDeniedException"
    assert "secretsmanager:GetSecretValue" in info.value.message
    call(app, "ssm", "PutParameter", {"Name": "/q", "Value": "v", "Type": "String"})
    with pytest.raises(AwsError) as info:
        resolve(app, "/q", ROLE)
    assert info.value.code == "AccessDeniedException"


def test_full_arn_resolves_names_and_partial_arns(app: App, db: str) -> None:
    from cargobay.services.secrets.secret_store import full_arn

    now = app.clock.now()
    for ref in ("db", db, db.rsplit("-", 1)[0]):
        assert full_arn(app.store, ref, REGION, ACCOUNT, now) == db
    assert full_arn(app.store, "nope", REGION, ACCOUNT, now) is None
