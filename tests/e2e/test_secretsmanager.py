"""Secrets Manager end to end with boto3 (and the AWS CLI): every served operation,
versions and staging labels, the recovery window on a simulated clock, and each error
with its code and AWS's message."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.services.secrets.secret_store import TABLE
from cargobay.services.secrets.secretsmanager import SWEEP_INTERVAL, SecretsManagerService
from cargobay.services.secrets.ssm import SsmService
from tests.support import aws_cli, client, post, threaded_server
from tests.support import expect_error as error

REGION = "us-east-1"
ACCOUNT = "000000000000"
START = 1_700_000_000.0
DAY = 86400
TOKEN_A = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
TOKEN_B = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb"
NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED = "You can't perform this operation on the secret because it was marked for deletion."


@pytest.fixture
def sm(url: str) -> Any:
    return client("secretsmanager", url)


@pytest.fixture
def raw(url: str) -> Any:
    """A client that sends what botocore would refuse to, for the server to refuse."""
    return client("secretsmanager", url, parameter_validation=False)


def ts(d: datetime) -> float:
    return d.timestamp()


# -- create, read, describe ------------------------------------------------------------

def test_create_and_read_by_name_full_arn_and_partial_arn(sm: Any) -> None:
    out = sm.create_secret(Name="prod/db", SecretString='{"user":"app"}',
                           Description="the database", KmsKeyId="alias/mine",
                           Tags=[{"Key": "team", "Value": "core"}])
    arn = out["ARN"]
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-[A-Za-z0-9]{{6}}", arn)
    assert out["Name"] == "prod/db" and len(out["VersionId"]) == 36
    for ref in ("prod/db", arn, arn[:-7]):
        got = sm.get_secret_value(SecretId=ref)
        assert got["SecretString"] == '{"user":"app"}'
        assert got["VersionId"] == out["VersionId"]
        assert got["VersionStages"] == ["AWSCURRENT"]
        assert (got["ARN"], got["Name"]) == (arn, "prod/db")
    d = sm.describe_secret(SecretId=arn)
    assert d["Description"] == "the database" and d["KmsKeyId"] == "alias/mine"
    assert d["Tags"] == [{"Key": "team", "Value": "core"}]
    assert d["VersionIdsToStages"] == {out["VersionId"]: ["AWSCURRENT"]}
    assert "DeletedDate" not in d
    # LastAccessedDate keeps the day only
    assert ts(d["LastAccessedDate"]) % DAY == 0
    assert ts(d["CreatedDate"]) == ts(d["LastChangedDate"])


def test_the_suffix_distinguishes_a_secret_recreated_with_the_same_name(sm: Any) -> None:
    first = sm.create_secret(Name="again", SecretString="1")["ARN"]
    sm.delete_secret(SecretId="again", ForceDeleteWithoutRecovery=True)
    second = sm.create_secret(Name="again", SecretString="2")["ARN"]
    assert first != second
    error(lambda: sm.get_secret_value(SecretId=first), "ResourceNotFoundException")
    assert sm.get_secret_value(SecretId=second)["SecretString"] == "2"


def test_binary_secrets(sm: Any) -> None:
    sm.create_secret(Name="bin", SecretBinary=b"\x00\xffkey")
    got = sm.get_secret_value(SecretId="bin")
    assert got["SecretBinary"] == b"\x00\xffkey" and "SecretString" not in got


def test_a_secret_created_without_a_value_has_no_version_until_one_is_put(sm: Any) -> None:
    out = sm.create_secret(Name="empty")
    assert "VersionId" not in out
    assert sm.describe_secret(SecretId="empty")["VersionIdsToStages"] == {}
    msg = error(lambda: sm.get_secret_value(SecretId="empty"), "ResourceNotFoundException")
    assert msg == ("Secrets Manager can't find the specified secret value for staging "
                   "label: AWSCURRENT")
    # the first version always gets AWSCURRENT (PutSecretValue)
    put = sm.put_secret_value(SecretId="empty", SecretString="v1", VersionStages=["MINE"])
    assert sorted(put["VersionStages"]) == ["AWSCURRENT", "MINE"]
    assert sm.get_secret_value(SecretId="empty", VersionStage="MINE")["SecretString"] == "v1"


def test_create_refusals(sm: Any, raw: Any) -> None:
    sm.create_secret(Name="taken", SecretString="x", ClientRequestToken=TOKEN_A)
    msg = error(lambda: sm.create_secret(Name="taken", SecretString="x"),
                "ResourceExistsException")
    assert msg == "The operation failed because the secret taken already exists."
    # the same request again (same token, same value) is a no-op
    again = sm.create_secret(Name="taken", SecretString="x", ClientRequestToken=TOKEN_A)
    assert again["VersionId"] == TOKEN_A
    error(lambda: sm.create_secret(Name="taken", SecretString="y", ClientRequestToken=TOKEN_A),
          "ResourceExistsException")
    msg = error(lambda: sm.create_secret(Name="bad name!", SecretString="x"),
                "InvalidParameterException")
    assert msg.startswith("Invalid name.")
    msg = error(lambda: sm.create_secret(Name="both", SecretString="x", SecretBinary=b"y"),
                "InvalidParameterException")
    assert msg == ("You can't specify both a binary secret value and a string secret value "
                   "in the same secret.")
    error(lambda: raw.create_secret(Name="x" * 513), "ValidationException")
    msg = error(lambda: raw.create_secret(Name="short-token", ClientRequestToken="abc"),
                "ValidationException")
    assert msg == ("1 validation error detected: Value 'abc' at 'ClientRequestToken' failed "
                   "to satisfy constraint: Member must have length greater than or equal to 32")
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["taken"]


def test_operations_on_a_secret_that_does_not_exist(sm: Any) -> None:
    ghost = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ghost-AbCdEf"
    calls = [
        lambda: sm.get_secret_value(SecretId="ghost"),
        lambda: sm.get_secret_value(SecretId=ghost),
        lambda: sm.describe_secret(SecretId="ghost"),
        lambda: sm.put_secret_value(SecretId="ghost", SecretString="x"),
        lambda: sm.update_secret(SecretId="ghost", Description="x"),
        lambda: sm.delete_secret(SecretId="ghost"),
        lambda: sm.restore_secret(SecretId="ghost"),
        lambda: sm.tag_resource(SecretId="ghost", Tags=[{"Key": "a", "Value": "b"}]),
        lambda: sm.untag_resource(SecretId="ghost", TagKeys=["a"]),
        lambda: sm.list_secret_version_ids(SecretId="ghost"),
        lambda: sm.update_secret_version_stage(SecretId="ghost", VersionStage="X",
                                               MoveToVersionId=TOKEN_A),
        lambda: sm.get_resource_policy(SecretId="ghost"),
    ]
    for c in calls:
        assert error(c, "ResourceNotFoundException") == NOT_FOUND


def test_an_arn_of_another_region_finds_nothing_here(sm: Any, url: str) -> None:
    arn = client("secretsmanager", url, region="eu-west-1").create_secret(
        Name="far", SecretString="x")["ARN"]
    error(lambda: sm.get_secret_value(SecretId=arn), "ResourceNotFoundException")
    assert sm.list_secrets()["SecretList"] == []


# -- versions and staging labels ---------------------------------------------------------

def test_put_secret_value_moves_awscurrent_and_awsprevious(sm: Any) -> None:
    v1 = sm.create_secret(Name="rot", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="rot", SecretString="two")["VersionId"]
    v3 = sm.put_secret_value(SecretId="rot", SecretString="three",
                             ClientRequestToken=TOKEN_B)["VersionId"]
    assert v3 == TOKEN_B
    assert sm.describe_secret(SecretId="rot")["VersionIdsToStages"] == {
        v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId="rot", VersionStage="AWSPREVIOUS")["SecretString"] == "two"
    assert sm.get_secret_value(SecretId="rot", VersionId=v1)["SecretString"] == "one"
    listed = sm.list_secret_version_ids(SecretId="rot")
    assert [v["VersionId"] for v in listed["Versions"]] == [v2, v3]
    everything = sm.list_secret_version_ids(SecretId="rot", IncludeDeprecated=True)
    assert [v["VersionId"] for v in everything["Versions"]] == [v1, v2, v3]
    assert everything["Versions"][0]["VersionStages"] == []
    assert everything["Versions"][0]["KmsKeyIds"] == ["DefaultEncryptionKey"]
    # a custom label rides along without touching AWSCURRENT
    v4 = sm.put_secret_value(SecretId="rot", SecretString="four",
                             VersionStages=["CANARY"])["VersionId"]
    assert sm.get_secret_value(SecretId="rot")["SecretString"] == "three"
    assert sm.get_secret_value(SecretId="rot", VersionStage="CANARY")["VersionId"] == v4


def test_put_secret_value_idempotency_and_refusals(sm: Any, raw: Any) -> None:
    sm.create_secret(Name="idem", SecretString="a")
    first = sm.put_secret_value(SecretId="idem", SecretString="b", ClientRequestToken=TOKEN_A)
    again = sm.put_secret_value(SecretId="idem", SecretString="b", ClientRequestToken=TOKEN_A)
    assert again["VersionId"] == first["VersionId"] == TOKEN_A
    assert len(sm.list_secret_version_ids(SecretId="idem")["Versions"]) == 2
    msg = error(lambda: sm.put_secret_value(SecretId="idem", SecretString="c",
                                            ClientRequestToken=TOKEN_A),
                "ResourceExistsException")
    assert msg == "You can't modify an existing version, you can only create a new version."
    error(lambda: sm.put_secret_value(SecretId="idem"), "InvalidParameterException")
    error(lambda: sm.put_secret_value(SecretId="idem", SecretString="x", SecretBinary=b"y"),
          "InvalidParameterException")
    error(lambda: raw.put_secret_value(SecretId="idem", SecretString="x", VersionStages=[]),
          "ValidationException")


def test_get_secret_value_selector_errors(sm: Any) -> None:
    v1 = sm.create_secret(Name="sel", SecretString="a")["VersionId"]
    msg = error(lambda: sm.get_secret_value(SecretId="sel", VersionId=TOKEN_B),
                "ResourceNotFoundException")
    assert msg == f"Secrets Manager can't find the specified secret value for VersionId: {TOKEN_B}"
    error(lambda: sm.get_secret_value(SecretId="sel", VersionStage="AWSPREVIOUS"),
          "ResourceNotFoundException")
    msg = error(lambda: sm.get_secret_value(SecretId="sel", VersionId=v1,
                                            VersionStage="AWSPREVIOUS"),
                "InvalidRequestException")
    assert msg == "You provided a VersionStage that is not associated to the provided VersionId."


def test_update_secret_changes_metadata_and_value(sm: Any) -> None:
    v1 = sm.create_secret(Name="upd", SecretString="a", Description="old")["VersionId"]
    out = sm.update_secret(SecretId="upd", Description="new", KmsKeyId="alias/k2")
    assert "VersionId" not in out
    d = sm.describe_secret(SecretId="upd")
    assert (d["Description"], d["KmsKeyId"]) == ("new", "alias/k2")
    assert d["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}
    v2 = sm.update_secret(SecretId="upd", SecretString="b")["VersionId"]
    assert sm.describe_secret(SecretId="upd")["VersionIdsToStages"] == {
        v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    versions = sm.list_secret_version_ids(SecretId="upd")["Versions"]
    assert versions[0]["KmsKeyIds"] == ["alias/k2"]


def test_update_secret_version_stage(sm: Any) -> None:
    v1 = sm.create_secret(Name="stage", SecretString="a")["VersionId"]
    v2 = sm.put_secret_value(SecretId="stage", SecretString="b")["VersionId"]
    msg = error(lambda: sm.update_secret_version_stage(
        SecretId="stage", VersionStage="AWSCURRENT", MoveToVersionId=v1),
        "InvalidParameterException")
    assert msg == (f"The parameter RemoveFromVersionId can't be empty. Staging label "
                   f"AWSCURRENT is currently attached to version {v2}, so you must "
                   "explicitly reference that version in RemoveFromVersionId.")
    sm.update_secret_version_stage(SecretId="stage", VersionStage="AWSCURRENT",
                                   RemoveFromVersionId=v2, MoveToVersionId=v1)
    assert sm.describe_secret(SecretId="stage")["VersionIdsToStages"] == {
        v1: ["AWSCURRENT"], v2: ["AWSPREVIOUS"]}
    sm.update_secret_version_stage(SecretId="stage", VersionStage="TEST", MoveToVersionId=v2)
    sm.update_secret_version_stage(SecretId="stage", VersionStage="TEST",
                                   RemoveFromVersionId=v2)
    assert sm.describe_secret(SecretId="stage")["VersionIdsToStages"][v2] == ["AWSPREVIOUS"]
    msg = error(lambda: sm.update_secret_version_stage(
        SecretId="stage", VersionStage="TEST", MoveToVersionId=TOKEN_B),
        "InvalidParameterException")
    assert msg == f"Not a valid version: {TOKEN_B}"


# -- listing, filters, tags ------------------------------------------------------------

def test_list_secrets_filters_sorting_and_pages(sm: Any, raw: Any) -> None:
    sm.create_secret(Name="app/web", SecretString="1", Description="Frontend key",
                     Tags=[{"Key": "team", "Value": "web"}])
    sm.create_secret(Name="app/api", SecretString="2", Description="API token",
                     Tags=[{"Key": "team", "Value": "backend"}])
    sm.create_secret(Name="Billing", SecretString="3")

    def names(**kw: Any) -> list[str]:
        return [s["Name"] for s in sm.list_secrets(**kw)["SecretList"]]

    assert names(SortBy="name", SortOrder="asc") == ["Billing", "app/api", "app/web"]
    assert names(Filters=[{"Key": "name", "Values": ["app/"]}], SortBy="name",
                 SortOrder="asc") == ["app/api", "app/web"]
    assert names(Filters=[{"Key": "description", "Values": ["frontend"]}]) == ["app/web"]
    assert names(Filters=[{"Key": "tag-value", "Values": ["back"]}]) == ["app/api"]
    assert names(Filters=[{"Key": "tag-key", "Values": ["team"]},
                          {"Key": "name", "Values": ["!app/web"]}]) == ["app/api"]
    assert names(Filters=[{"Key": "all", "Values": ["token"]}]) == ["app/api"]
    entry = sm.list_secrets(Filters=[{"Key": "name", "Values": ["Billing"]}])["SecretList"][0]
    assert list(entry["SecretVersionsToStages"].values()) == [["AWSCURRENT"]]
    pages: list[str] = []
    token: str | None = None
    for _ in range(5):
        kw: dict[str, Any] = {"MaxResults": 2, "SortBy": "name", "SortOrder": "desc"}
        if token:
            kw["NextToken"] = token
        out = sm.list_secrets(**kw)
        pages.append(",".join(s["Name"] for s in out["SecretList"]))
        token = out.get("NextToken")
        if not token:
            break
    assert pages == ["app/web,app/api", "Billing"]
    error(lambda: sm.list_secrets(NextToken="not-a-token"), "InvalidNextTokenException")
    error(lambda: raw.list_secrets(Filters=[{"Key": "nope", "Values": ["x"]}]),
          "ValidationException")
    paginated = sm.get_paginator("list_secrets").paginate(PaginationConfig={"PageSize": 1})
    assert sum(len(p["SecretList"]) for p in paginated) == 3


def test_tags(sm: Any) -> None:
    sm.create_secret(Name="tagged", SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId="tagged", Tags=[{"Key": "b", "Value": "2"},
                                             {"Key": "a", "Value": "3"}])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [
        {"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId="tagged", TagKeys=["a", "zzz"])
    assert sm.describe_secret(SecretId="tagged")["Tags"] == [{"Key": "b", "Value": "2"}]
    error(lambda: sm.tag_resource(SecretId="tagged", Tags=[{"Key": "aws:x", "Value": "1"}]),
          "InvalidParameterException")
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    error(lambda: sm.tag_resource(SecretId="tagged", Tags=many), "InvalidParameterException")


def test_batch_get_secret_value(sm: Any) -> None:
    sm.create_secret(Name="b1", SecretString="one", Tags=[{"Key": "batch", "Value": "y"}])
    sm.create_secret(Name="b2", SecretString="two", Tags=[{"Key": "batch", "Value": "y"}])
    sm.create_secret(Name="b3", SecretString="three")
    sm.delete_secret(SecretId="b3")
    out = sm.batch_get_secret_value(SecretIdList=["b1", "b3", "nope"])
    assert [v["SecretString"] for v in out["SecretValues"]] == ["one"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in out["Errors"]] == [
        ("b3", "InvalidRequestException"), ("nope", "ResourceNotFoundException")]
    by_tag = sm.batch_get_secret_value(Filters=[{"Key": "tag-key", "Values": ["batch"]}],
                                       MaxResults=1)
    assert len(by_tag["SecretValues"]) == 1 and by_tag["NextToken"]
    rest = sm.batch_get_secret_value(Filters=[{"Key": "tag-key", "Values": ["batch"]}],
                                     MaxResults=1, NextToken=by_tag["NextToken"])
    assert {by_tag["SecretValues"][0]["Name"], rest["SecretValues"][0]["Name"]} == {"b1", "b2"}
    error(lambda: sm.batch_get_secret_value(SecretIdList=["b1"],
                                            Filters=[{"Key": "name", "Values": ["b"]}]),
          "InvalidParameterException")
    error(lambda: sm.batch_get_secret_value(SecretIdList=["b1"], MaxResults=5),
          "InvalidParameterException")


def test_resource_policies(sm: Any) -> None:
    sm.create_secret(Name="pol", SecretString="x")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    sm.put_resource_policy(SecretId="pol", ResourcePolicy=policy)
    assert sm.get_resource_policy(SecretId="pol")["ResourcePolicy"] == policy
    assert sm.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"]
    error(lambda: sm.put_resource_policy(SecretId="pol", ResourcePolicy="{not json"),
          "MalformedPolicyDocumentException")
    sm.delete_resource_policy(SecretId="pol")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="pol")


def test_get_random_password(sm: Any, raw: Any) -> None:
    pw = sm.get_random_password()["RandomPassword"]
    assert len(pw) == 32
    for kind in (str.islower, str.isupper, str.isdigit):
        assert any(kind(c) for c in pw)
    pw = sm.get_random_password(PasswordLength=20, ExcludePunctuation=True,
                                ExcludeCharacters="abc")["RandomPassword"]
    assert len(pw) == 20 and pw.isalnum() and not set(pw) & set("abc")
    pw = sm.get_random_password(PasswordLength=8, ExcludeNumbers=True, ExcludeLowercase=True,
                                ExcludeUppercase=True)["RandomPassword"]
    assert not any(c.isalnum() for c in pw)
    msg = error(lambda: sm.get_random_password(PasswordLength=3), "InvalidParameterException")
    assert msg == "Password length is too short based on the required types."
    error(lambda: raw.get_random_password(PasswordLength=5000), "ValidationException")


# -- deletion and restore ---------------------------------------------------------------

def test_delete_schedules_and_restore_cancels(sm: Any) -> None:
    arn = sm.create_secret(Name="del", SecretString="x")["ARN"]
    created = ts(sm.describe_secret(SecretId="del")["CreatedDate"])
    out = sm.delete_secret(SecretId=arn, RecoveryWindowInDays=10)
    assert out["ARN"] == arn and out["Name"] == "del"
    assert ts(out["DeletionDate"]) - created == pytest.approx(10 * DAY, abs=5)
    d = sm.describe_secret(SecretId="del")
    assert ts(d["DeletedDate"]) == ts(out["DeletionDate"])
    for c in (lambda: sm.get_secret_value(SecretId="del"),
              lambda: sm.put_secret_value(SecretId="del", SecretString="y"),
              lambda: sm.update_secret(SecretId="del", Description="y"),
              lambda: sm.update_secret_version_stage(SecretId="del", VersionStage="X",
                                                     MoveToVersionId=TOKEN_A),
              lambda: sm.delete_secret(SecretId="del")):
        assert error(c, "InvalidRequestException") == MARKED
    msg = error(lambda: sm.create_secret(Name="del", SecretString="z"),
                "InvalidRequestException")
    assert msg == ("You can't create this secret because a secret with this name is already "
                   "scheduled for deletion.")
    assert sm.list_secrets()["SecretList"] == []
    planned = sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert [s["Name"] for s in planned] == ["del"] and "DeletedDate" in planned[0]
    restored = sm.restore_secret(SecretId="del")
    assert (restored["ARN"], restored["Name"]) == (arn, "del")
    sm.restore_secret(SecretId="del")  # restoring a live secret changes nothing
    assert sm.get_secret_value(SecretId="del")["SecretString"] == "x"
    assert "DeletedDate" not in sm.describe_secret(SecretId="del")


def test_delete_window_refusals_and_forced_deletion(sm: Any) -> None:
    sm.create_secret(Name="gone", SecretString="x")
    for days in (6, 31):
        msg = error(lambda d=days: sm.delete_secret(SecretId="gone", RecoveryWindowInDays=d),
                    "InvalidParameterException")
        assert msg == "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
    msg = error(lambda: sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7,
                                         ForceDeleteWithoutRecovery=True),
                "InvalidParameterException")
    assert msg == ("You can't use ForceDeleteWithoutRecovery in conjunction with "
                   "RecoveryWindowInDays.")
    sm.delete_secret(SecretId="gone")  # scheduled, then forced: AWS allows both
    sm.delete_secret(SecretId="gone", ForceDeleteWithoutRecovery=True)
    assert error(lambda: sm.describe_secret(SecretId="gone"),
                 "ResourceNotFoundException") == NOT_FOUND
    error(lambda: sm.restore_secret(SecretId="gone"), "ResourceNotFoundException")
    # forcing the deletion of a secret that does not exist is not an error
    out = sm.delete_secret(SecretId="never", ForceDeleteWithoutRecovery=True)
    assert out["Name"] == "never"
    sm.create_secret(Name="gone", SecretString="new")
    assert sm.get_secret_value(SecretId="gone")["SecretString"] == "new"


def test_the_aws_cli_reads_a_secret(sm: Any, url: str) -> None:
    arn = sm.create_secret(Name="cli/secret", SecretString="from-cli")["ARN"]
    res = aws_cli(url, "secretsmanager", "get-secret-value", "--secret-id", "cli/secret")
    out = json.loads(res.stdout)
    assert (out["ARN"], out["SecretString"], out["VersionStages"]) == (
        arn, "from-cli", ["AWSCURRENT"])
    bad = aws_cli(url, "secretsmanager", "describe-secret", "--secret-id", "nope", check=False)
    assert bad.returncode != 0 and "ResourceNotFoundException" in bad.stderr


# -- the recovery window on a simulated clock ---------------------------------------------

class Sim:
    def __init__(self, app: App, url: str) -> None:
        self.app = app
        self.clock: SimClock = app.clock  # type: ignore[assignment]
        self.sm = client("secretsmanager", url)

    def advance(self, seconds: float) -> None:
        loop = self.app.services["secretsmanager"].loop  # type: ignore[attr-defined]
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), loop).result(120)

    def stored(self, name: str) -> bool:
        return self.app.store.get(TABLE, f"{ACCOUNT}/{REGION}/{name}") is not None


def secrets_only(app: App) -> dict[str, object]:
    """Just the secrets services: other services' timers (ECS liveness every few
    seconds) would make a month of simulated time cost real minutes."""
    return {"secretsmanager": SecretsManagerService(app), "ssm": SsmService(app)}


@pytest.fixture(scope="module")
def sim_server() -> Iterator[Sim]:
    # requests are signed with the wall clock; the simulated one moves days away from it
    app = App(Config(data_dir=None, auth_mode="off"), clock=SimClock(START),
              services=secrets_only)
    with threaded_server(app) as url:
        yield Sim(app, url)


@pytest.fixture
def sim(sim_server: Sim, request: Any) -> Sim:
    assert post(sim_server.sm.meta.endpoint_url + "/_cargobay/reset") == 200
    return sim_server


def test_a_deleted_secret_can_be_restored_until_its_window_ends(sim: Sim) -> None:
    sm = sim.sm
    arn = sm.create_secret(Name="win", SecretString="x")["ARN"]
    t0 = sim.clock.now()
    out = sm.delete_secret(SecretId="win", RecoveryWindowInDays=7)
    assert ts(out["DeletionDate"]) == t0 + 7 * DAY
    sim.advance(7 * DAY - 1)
    sm.restore_secret(SecretId=arn)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "x"
    sm.delete_secret(SecretId="win", RecoveryWindowInDays=7)
    sim.advance(7 * DAY)
    assert error(lambda: sm.restore_secret(SecretId=arn),
                 "ResourceNotFoundException") == NOT_FOUND
    assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
    new = sm.create_secret(Name="win", SecretString="y")["ARN"]
    assert new != arn


def test_the_sweep_purges_secrets_whose_window_has_ended(sim: Sim) -> None:
    sim.sm.create_secret(Name="swept", SecretString="x")
    sim.sm.delete_secret(SecretId="swept", RecoveryWindowInDays=7)
    sim.advance(7 * DAY - 1)
    assert sim.stored("swept")
    sim.advance(SWEEP_INTERVAL + 1)
    assert not sim.stored("swept")  # with no request in between


def test_the_default_window_is_thirty_days(sim: Sim) -> None:
    sm = sim.sm
    sm.create_secret(Name="long", SecretString="x")
    t0 = sim.clock.now()
    assert ts(sm.delete_secret(SecretId="long")["DeletionDate"]) == t0 + 30 * DAY
    sim.advance(29 * DAY)
    assert error(lambda: sm.get_secret_value(SecretId="long"),
                 "InvalidRequestException") == MARKED
    sim.advance(DAY)
    assert error(lambda: sm.get_secret_value(SecretId="long"),
                 "ResourceNotFoundException") == NOT_FOUND


def test_dates_follow_the_app_clock(sim: Sim) -> None:
    sm = sim.sm
    sm.create_secret(Name="dated", SecretString="x")
    created = sim.clock.now()
    sim.advance(3 * DAY + 3600)
    sm.put_secret_value(SecretId="dated", SecretString="y")
    sm.get_secret_value(SecretId="dated")
    d = sm.describe_secret(SecretId="dated")
    assert ts(d["CreatedDate"]) == created
    assert ts(d["LastChangedDate"]) == created + 3 * DAY + 3600
    assert ts(d["LastAccessedDate"]) == (sim.clock.now() // DAY) * DAY


def test_secrets_survive_kill_9(tmp_path: Any) -> None:
    """State lives in the store: what was acknowledged is there after a kill -9."""
    from tests.support import ServerProcess

    srv = ServerProcess(data_dir=str(tmp_path)).start()
    try:
        sm = client("secretsmanager", srv.url)
        arn = sm.create_secret(Name="durable", SecretString="one")["ARN"]
        v2 = sm.put_secret_value(SecretId=arn, SecretString="two")["VersionId"]
        sm.create_secret(Name="doomed", SecretString="x")
        sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
        srv.kill9()
        srv = ServerProcess(data_dir=str(tmp_path)).start()
        sm = client("secretsmanager", srv.url)
        got = sm.get_secret_value(SecretId="durable")
        assert (got["ARN"], got["VersionId"], got["SecretString"]) == (arn, v2, "two")
        prev = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
        assert prev["SecretString"] == "one"
        assert "DeletedDate" in sm.describe_secret(SecretId="doomed")
    finally:
        srv.stop()
