"""SSM Parameter Store end to end with boto3 (and the AWS CLI): every parameter
operation, versions, selectors and labels, SecureString handling, paths and filters,
tiers, patterns and policies (an Expiration on a simulated clock), and each error with
its code."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.services.secrets.ssm import SsmService
from tests.support import aws_cli, client, post, threaded_server
from tests.support import expect_error as error

REGION = "us-east-1"
ACCOUNT = "000000000000"
START = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def arn(name: str) -> str:
    return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}"


@pytest.fixture
def ssm(url: str) -> Any:
    return client("ssm", url)


@pytest.fixture
def raw(url: str) -> Any:
    """A client that sends what botocore would refuse to, for the server to refuse."""
    return client("ssm", url, parameter_validation=False)


def value(ssm: Any, name: str, **kw: Any) -> str:
    return str(ssm.get_parameter(Name=name, **kw)["Parameter"]["Value"])


# -- put and get -----------------------------------------------------------------------

def test_string_stringlist_and_securestring(ssm: Any) -> None:
    for name, val, typ in (("/app/host", "db.local", "String"),
                           ("/app/hosts", "a,b,c", "StringList")):
        out = ssm.put_parameter(Name=name, Value=val, Type=typ)
        assert (out["Version"], out["Tier"]) == (1, "Standard")
    ssm.put_parameter(Name="/app/pass", Value="s3cr3t", Type="SecureString",
                      Description="db password")
    p = ssm.get_parameter(Name="/app/host")["Parameter"]
    assert p == {**p, "Name": "/app/host", "Type": "String", "Value": "db.local",
                 "Version": 1, "ARN": arn("/app/host"), "DataType": "text"}
    assert value(ssm, "/app/hosts") == "a,b,c"
    hidden = value(ssm, "/app/pass")
    assert hidden != "s3cr3t" and "s3cr3t" not in hidden
    assert b"s3cr3t" not in base64.b64decode(hidden)
    assert value(ssm, "/app/pass") == hidden  # stable between reads
    assert value(ssm, "/app/pass", WithDecryption=True) == "s3cr3t"
    meta = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": ["/app/pass"]}])["Parameters"][0]
    assert (meta["KeyId"], meta["Description"], meta["Type"]) == (
        "alias/aws/ssm", "db password", "SecureString")
    assert meta["LastModifiedUser"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_one_level_names_are_the_same_with_or_without_a_slash(ssm: Any) -> None:
    ssm.put_parameter(Name="flat", Value="1", Type="String")
    assert value(ssm, "/flat") == "1"
    error(lambda: ssm.put_parameter(Name="/flat", Value="2", Type="String"),
          "ParameterAlreadyExists")
    p = ssm.get_parameter(Name=arn("flat"))["Parameter"]
    assert (p["Name"], p["ARN"]) == ("flat", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/flat")


def test_overwrite_makes_versions_and_keeps_settings(ssm: Any) -> None:
    ssm.put_parameter(Name="/v/p", Value="one", Type="SecureString", KeyId="alias/custom",
                      Description="kept", AllowedPattern="[a-z]+")
    msg = error(lambda: ssm.put_parameter(Name="/v/p", Value="two", Type="SecureString"),
                "ParameterAlreadyExists")
    assert msg == ("The parameter already exists. To overwrite this value, set the overwrite "
                   "option in the request to true.")
    out = ssm.put_parameter(Name="/v/p", Value="two", Overwrite=True)
    assert out["Version"] == 2
    meta = ssm.describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": ["/v/p"]}])["Parameters"][0]
    assert (meta["Type"], meta["KeyId"], meta["Description"], meta["AllowedPattern"],
            meta["Version"]) == ("SecureString", "alias/custom", "kept", "[a-z]+", 2)
    error(lambda: ssm.put_parameter(Name="/v/p", Value="NOPE", Overwrite=True),
          "ParameterPatternMismatchException")
    assert value(ssm, "/v/p:1", WithDecryption=True) == "one"
    assert value(ssm, "/v/p", WithDecryption=True) == "two"


def test_put_refusals(ssm: Any, raw: Any) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"Name": "/n", "Value": "x"}, "ValidationException",
         "A parameter type is required when you create a parameter."),
        ({"Name": "/n", "Value": "x", "Type": "String", "Overwrite": True,
          "Tags": [{"Key": "a", "Value": "b"}]}, "ValidationException",
         "Invalid request: tags and overwrite can't be used together."),
        ({"Name": "a/b", "Value": "x", "Type": "String"}, "ValidationException",
         "Parameter name must be a fully qualified name."),
        ({"Name": "/a b", "Value": "x", "Type": "String"}, "ValidationException",
         "Parameter name: can't be prefixed with \"ssm\""),
        ({"Name": "awsy", "Value": "x", "Type": "String"}, "ValidationException",
         'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'),
        ({"Name": "/aws/mine", "Value": "x", "Type": "String"}, "AccessDeniedException",
         "No access to reserved parameter name: /aws/mine."),
        ({"Name": "/" + "/".join("abcdefghijklmnop"), "Value": "x", "Type": "String"},
         "HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels."),
        ({"Name": "/n", "Value": "x", "Type": "String", "KeyId": "alias/k"},
         "ValidationException", "KeyId is required for SecureString type parameter only."),
        ({"Name": "/n", "Value": "x", "Type": "String", "AllowedPattern": "("},
         "InvalidAllowedPatternException", "is not a valid regular expression"),
        ({"Name": "/n", "Value": "abc", "Type": "String", "AllowedPattern": "^\\d+$"},
         "ParameterPatternMismatchException",
         "Parameter value, cannot be validated against allowedPattern: ^\\d+$"),
        ({"Name": "/n", "Value": "x", "Type": "String", "DataType": "Text"},
         "ValidationException", "The following data type is not supported: Text"),
        ({"Name": "/n", "Value": "x" * 4097, "Type": "String"}, "ValidationException",
         "Standard tier parameters support a maximum parameter value of 4096 characters."),
        ({"Name": "/n", "Value": "x" * 8193, "Type": "String", "Tier": "Advanced"},
         "ValidationException", "maximum parameter value of 8192"),
        ({"Name": "/n", "Value": "", "Type": "String"}, "ValidationException",
         "Value '' at 'value' failed to satisfy constraint"),
        ({"Name": "/n", "Value": "x", "Type": "Number"}, "ValidationException",
         "Member must satisfy enum value set: [String, StringList, SecureString]"),
        ({"Name": "/n", "Value": "x", "Type": "String", "Policies": json.dumps(
            [{"Type": "Expiration", "Version": "1.0",
              "Attributes": {"Timestamp": "2030-01-01T00:00:00Z"}}])},
         "ValidationException", "Parameter policies are supported only for advanced-tier"),
        ({"Name": "/n", "Value": "x", "Type": "String", "Tier": "Advanced",
          "Policies": json.dumps([{"Type": "Rotate", "Version": "1.0", "Attributes": {}}])},
         "InvalidPolicyTypeException", "The policy type is not supported."),
    ]
    for params, code, wording in cases:
        msg = error(lambda p=params: raw.put_parameter(**p), code)  # type: ignore[misc]
        assert wording in msg, (params, msg)
    assert ssm.describe_parameters()["Parameters"] == []


def test_tiers(ssm: Any) -> None:
    assert ssm.put_parameter(Name="/t/big", Value="x" * 5000, Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    assert ssm.put_parameter(Name="/t/small", Value="x", Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert ssm.put_parameter(Name="/t/small", Value="y", Overwrite=True,
                             Tier="Advanced")["Tier"] == "Advanced"
    msg = error(lambda: ssm.put_parameter(Name="/t/small", Value="z", Overwrite=True,
                                          Tier="Standard"), "ValidationException")
    assert "You can't downgrade a parameter from the advanced-parameter tier" in msg
    # without a Tier the parameter stays advanced
    assert ssm.put_parameter(Name="/t/small", Value="z", Overwrite=True)["Tier"] == "Advanced"
    tiers = {p["Name"]: p["Tier"] for p in ssm.describe_parameters()["Parameters"]}
    assert tiers == {"/t/big": "Advanced", "/t/small": "Advanced"}


def test_get_selectors_and_not_found(ssm: Any, raw: Any) -> None:
    ssm.put_parameter(Name="/s/p", Value="v1", Type="String")
    ssm.put_parameter(Name="/s/p", Value="v2", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name="/s/p", ParameterVersion=1, Labels=["stable"])
    p = ssm.get_parameter(Name="/s/p:stable")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"]) == ("v1", 1, ":stable")
    p = ssm.get_parameter(Name=arn("/s/p") + ":2")["Parameter"]
    assert (p["Value"], p["Selector"]) == ("v2", ":2")
    assert error(lambda: ssm.get_parameter(Name="/s/nope"), "ParameterNotFound") == ""
    msg = error(lambda: ssm.get_parameter(Name="/s/p:9"), "ParameterVersionNotFound")
    assert msg == ("Systems Manager could not find version 9 of /s/p. Verify the version and "
                   "try again.")
    error(lambda: ssm.get_parameter(Name="/s/p:unknown"), "ParameterVersionNotFound")
    msg = error(lambda: ssm.get_parameter(Name="s/p"), "ValidationException")
    assert msg.startswith("Parameter name: can't be prefixed with \"ssm\"")
    error(lambda: ssm.get_parameter(Name=f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/s/p"),
          "ParameterNotFound")
    error(lambda: raw.get_parameter(Name=""), "ValidationException")


def test_get_parameters_reports_invalid_ones(ssm: Any) -> None:
    ssm.put_parameter(Name="/g/a", Value="A", Type="String")
    ssm.put_parameter(Name="/g/b", Value="B", Type="SecureString")
    out = ssm.get_parameters(Names=["/g/a", "/g/b", "/g/zzz", "/g/a:7", "/g/a:1"],
                             WithDecryption=True)
    assert [(p["Name"], p["Value"]) for p in out["Parameters"]] == [
        ("/g/a", "A"), ("/g/b", "B"), ("/g/a", "A")]
    assert out["InvalidParameters"] == ["/g/zzz", "/g/a:7"]


def test_delete_parameter_and_parameters(ssm: Any) -> None:
    for n in ("/d/a", "/d/b", "/d/c"):
        ssm.put_parameter(Name=n, Value="x", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    ssm.delete_parameter(Name="/d/a")
    assert error(lambda: ssm.delete_parameter(Name="/d/a"), "ParameterNotFound") == ""
    out = ssm.delete_parameters(Names=["/d/b", "/d/c", "/d/zzz"])
    assert out["DeletedParameters"] == ["/d/b", "/d/c"]
    assert out["InvalidParameters"] == ["/d/zzz"]
    assert ssm.describe_parameters()["Parameters"] == []
    # a parameter created again starts over, without the old tags
    ssm.put_parameter(Name="/d/a", Value="y", Type="String")
    assert ssm.get_parameter(Name="/d/a")["Parameter"]["Version"] == 1
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/d/a")["TagList"] == []


# -- paths and listings ----------------------------------------------------------------

@pytest.fixture
def tree(ssm: Any) -> Any:
    for name, typ in (("/app/db/host", "String"), ("/app/db/pass", "SecureString"),
                      ("/app/web/port", "String"), ("/app/name", "String"),
                      ("/other/x", "String"), ("root", "String")):
        ssm.put_parameter(Name=name, Value=f"v:{name}", Type=typ)
    return ssm


def test_get_parameters_by_path(tree: Any) -> None:
    def names(**kw: Any) -> list[str]:
        return [p["Name"] for p in tree.get_parameters_by_path(**kw)["Parameters"]]

    assert names(Path="/app") == ["/app/name"]
    assert names(Path="/app/", Recursive=True) == [
        "/app/db/host", "/app/db/pass", "/app/name", "/app/web/port"]
    assert names(Path="/app", Recursive=True,
                 ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}]) == [
        "/app/db/pass"]
    assert names(Path="/") == ["root"]
    got = tree.get_parameters_by_path(Path="/app/db", WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in got] == ["v:/app/db/host", "v:/app/db/pass"]
    hidden = tree.get_parameters_by_path(Path="/app/db")["Parameters"][1]["Value"]
    assert hidden != "v:/app/db/pass"
    pages = []
    token = None
    for _ in range(5):
        kw: dict[str, Any] = {"Path": "/", "Recursive": True, "MaxResults": 4}
        if token:
            kw["NextToken"] = token
        out = tree.get_parameters_by_path(**kw)
        pages.append(len(out["Parameters"]))
        token = out.get("NextToken")
        if not token:
            break
    assert pages == [4, 2]
    paged = tree.get_paginator("get_parameters_by_path").paginate(
        Path="/app", Recursive=True, PaginationConfig={"PageSize": 1})
    assert sum(len(p["Parameters"]) for p in paged) == 4


def test_get_parameters_by_path_with_a_label_filter(tree: Any) -> None:
    tree.put_parameter(Name="/app/name", Value="second", Overwrite=True)
    tree.label_parameter_version(Name="/app/name", ParameterVersion=1, Labels=["golden"])
    got = tree.get_parameters_by_path(
        Path="/app", ParameterFilters=[{"Key": "Label", "Values": ["golden"]}])["Parameters"]
    assert [(p["Name"], p["Version"], p["Value"]) for p in got] == [
        ("/app/name", 1, "v:/app/name")]


def test_by_path_refusals(tree: Any, raw: Any) -> None:
    msg = error(lambda: tree.get_parameters_by_path(Path="app"), "ValidationException")
    assert msg.startswith("The parameter doesn't meet the parameter name requirements.")
    msg = error(lambda: tree.get_parameters_by_path(
        Path="/app", ParameterFilters=[{"Key": "Name", "Values": ["x"]}]), "InvalidFilterKey")
    assert msg == ("The following filter key is not valid: Name. Valid filter keys include: "
                   "[Type, KeyId, Label].")
    error(lambda: tree.get_parameters_by_path(
        Path="/app", ParameterFilters=[{"Key": "Type", "Option": "Contains",
                                        "Values": ["String"]}]), "InvalidFilterOption")
    error(lambda: tree.get_parameters_by_path(Path="/app", NextToken="garbage"),
          "InvalidNextToken")
    error(lambda: raw.get_parameters_by_path(Path="/app", MaxResults=11), "ValidationException")


def test_describe_parameters_filters_and_pages(tree: Any) -> None:
    tree.add_tags_to_resource(ResourceType="Parameter", ResourceId="/app/name",
                              Tags=[{"Key": "env", "Value": "prod"}])

    def names(**kw: Any) -> list[str]:
        return [p["Name"] for p in tree.describe_parameters(**kw)["Parameters"]]

    assert names() == ["/app/db/host", "/app/db/pass", "/app/name", "/app/web/port",
                       "/other/x", "root"]
    assert names(ParameterFilters=[{"Key": "Path", "Values": ["/app"]}]) == ["/app/name"]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive",
                                    "Values": ["/app/db"]}]) == ["/app/db/host", "/app/db/pass"]
    assert names(ParameterFilters=[{"Key": "Name", "Option": "Contains",
                                    "Values": ["web"]}]) == ["/app/web/port"]
    assert names(ParameterFilters=[{"Key": "tag:env", "Values": ["prod"]}]) == ["/app/name"]
    assert names(ParameterFilters=[{"Key": "KeyId", "Values": ["alias/aws/ssm"]}]) == [
        "/app/db/pass"]
    assert names(Filters=[{"Key": "Name", "Values": ["/other"]}]) == ["/other/x"]
    assert names(Filters=[{"Key": "Type", "Values": ["SecureString"]}]) == ["/app/db/pass"]
    first = tree.describe_parameters(MaxResults=5)
    assert len(first["Parameters"]) == 5
    rest = tree.describe_parameters(MaxResults=5, NextToken=first["NextToken"])
    assert [p["Name"] for p in rest["Parameters"]] == ["root"] and "NextToken" not in rest
    msg = error(lambda: tree.describe_parameters(
        Filters=[{"Key": "Name", "Values": ["x"]}],
        ParameterFilters=[{"Key": "Name", "Values": ["x"]}]), "ValidationException")
    assert msg == "You can use either Filters or ParameterFilters in a single request."
    error(lambda: tree.describe_parameters(ParameterFilters=[{"Key": "Label",
                                                              "Values": ["x"]}]),
          "InvalidFilterKey")
    error(lambda: tree.describe_parameters(ParameterFilters=[{"Key": "Tier",
                                                              "Values": ["Gold"]}]),
          "InvalidFilterValue")


# -- history, labels, versions -------------------------------------------------------

def test_history_and_labels(ssm: Any) -> None:
    for i in range(1, 5):
        ssm.put_parameter(Name="/h/p", Value=f"v{i}", Type="SecureString", Overwrite=i > 1)
    out = ssm.label_parameter_version(Name="/h/p", ParameterVersion=2,
                                      Labels=["blue", "1bad", "awsLabel", "ok.label"])
    assert out["InvalidLabels"] == ["1bad", "awsLabel"] and out["ParameterVersion"] == 2
    # labelling another version moves the label; no version means the latest
    assert ssm.label_parameter_version(Name="/h/p", Labels=["blue"])["ParameterVersion"] == 4
    hist = ssm.get_parameter_history(Name="/h/p", WithDecryption=True)["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in hist] == [
        (1, "v1", []), (2, "v2", ["ok.label"]), (3, "v3", []), (4, "v4", ["blue"])]
    assert "v1" not in ssm.get_parameter_history(Name="/h/p")["Parameters"][0]["Value"]
    page = ssm.get_parameter_history(Name="/h/p", MaxResults=3)
    assert len(page["Parameters"]) == 3
    tail = ssm.get_parameter_history(Name="/h/p", MaxResults=3, NextToken=page["NextToken"])
    assert [h["Version"] for h in tail["Parameters"]] == [4]
    out = ssm.unlabel_parameter_version(Name="/h/p", ParameterVersion=4,
                                        Labels=["blue", "green"])
    assert (out["RemovedLabels"], out["InvalidLabels"]) == (["blue"], ["green"])
    error(lambda: ssm.get_parameter(Name="/h/p:blue"), "ParameterVersionNotFound")
    error(lambda: ssm.label_parameter_version(Name="/h/p", ParameterVersion=9, Labels=["x"]),
          "ParameterVersionNotFound")
    error(lambda: ssm.label_parameter_version(Name="/h/none", Labels=["x"]),
          "ParameterNotFound")
    error(lambda: ssm.get_parameter_history(Name="/h/none"), "ParameterNotFound")
    ssm.label_parameter_version(Name="/h/p", ParameterVersion=1,
                                Labels=[f"l{i}" for i in range(10)])
    msg = error(lambda: ssm.label_parameter_version(Name="/h/p", ParameterVersion=1,
                                                    Labels=["l10"]),
                "ParameterVersionLabelLimitExceeded")
    assert msg.startswith("A parameter version can have maximum 10 labels.")


def test_a_hundred_versions_are_kept(ssm: Any) -> None:
    ssm.put_parameter(Name="/many", Value="0", Type="String")
    for i in range(1, 100):
        ssm.put_parameter(Name="/many", Value=str(i), Overwrite=True)
    ssm.label_parameter_version(Name="/many", ParameterVersion=1, Labels=["first"])
    msg = error(lambda: ssm.put_parameter(Name="/many", Value="100", Overwrite=True),
                "ParameterMaxVersionLimitExceeded")
    assert "Version 1, the oldest version, can't be deleted because it has a label" in msg
    ssm.unlabel_parameter_version(Name="/many", ParameterVersion=1, Labels=["first"])
    assert ssm.put_parameter(Name="/many", Value="100", Overwrite=True)["Version"] == 101
    versions = [h["Version"] for h in ssm.get_paginator("get_parameter_history").paginate(
        Name="/many").build_full_result()["Parameters"]]
    assert versions == list(range(2, 102))
    error(lambda: ssm.get_parameter(Name="/many:1"), "ParameterVersionNotFound")


# -- tags ------------------------------------------------------------------------------

def test_tags(ssm: Any) -> None:
    ssm.put_parameter(Name="/tg", Value="x", Type="String", Tags=[{"Key": "a", "Value": "1"}])
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tg",
                             Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tg")["TagList"]
    assert tags == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/tg", TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter",
                                      ResourceId="/tg")["TagList"] == [{"Key": "b", "Value": "2"}]
    error(lambda: ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/none"),
          "InvalidResourceId")
    error(lambda: ssm.add_tags_to_resource(ResourceType="Document", ResourceId="doc",
                                           Tags=[{"Key": "a", "Value": "b"}]),
          "InvalidResourceType")
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    error(lambda: ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tg",
                                           Tags=many), "TooManyTagsError")


def test_the_aws_cli_reads_a_parameter(ssm: Any, url: str) -> None:
    ssm.put_parameter(Name="/cli/token", Value="from-cli", Type="SecureString")
    res = aws_cli(url, "ssm", "get-parameter", "--name", "/cli/token", "--with-decryption")
    p = json.loads(res.stdout)["Parameter"]
    assert (p["Value"], p["ARN"]) == ("from-cli", arn("/cli/token"))
    bad = aws_cli(url, "ssm", "get-parameter", "--name", "/cli/none", check=False)
    assert bad.returncode != 0 and "ParameterNotFound" in bad.stderr


# -- quotas and policies on an in-process server ----------------------------------------

class Sim:
    def __init__(self, app: App, url: str) -> None:
        self.app = app
        self.url = url
        self.clock: SimClock = app.clock  # type: ignore[assignment]
        self.ssm = client("ssm", url)

    def advance(self, seconds: float) -> None:
        # SSM keeps no timers, so the clock can be moved from a loop of our own
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self.clock.advance(seconds))
        finally:
            loop.close()


@pytest.fixture(scope="module")
def sim_server() -> Iterator[Sim]:
    # requests are signed with the wall clock; the simulated one moves days away from it.
    # Only SSM is served: nothing else keeps timers on this clock.
    app = App(Config(data_dir=None, auth_mode="off"), clock=SimClock(START),
              services=lambda a: {"ssm": SsmService(a)})
    with threaded_server(app) as url:
        yield Sim(app, url)


@pytest.fixture
def sim(sim_server: Sim) -> Iterator[Sim]:
    assert post(sim_server.url + "/_cargobay/reset") == 200
    svc: SsmService = sim_server.app.services["ssm"]  # type: ignore[assignment]
    yield sim_server
    svc.max_standard, svc.max_advanced = 10_000, 100_000


def test_parameter_quotas(sim: Sim) -> None:
    svc: SsmService = sim.app.services["ssm"]  # type: ignore[assignment]
    svc.max_standard, svc.max_advanced = 3, 4
    ssm = sim.ssm
    for i in range(3):
        ssm.put_parameter(Name=f"/q/{i}", Value="x", Type="String")
    msg = error(lambda: ssm.put_parameter(Name="/q/3", Value="x", Type="String"),
                "ParameterLimitExceeded")
    assert msg.startswith("You have exceeded the number of parameters for this AWS account.")
    # overwriting is not a new parameter; Intelligent-Tiering moves on to advanced
    ssm.put_parameter(Name="/q/0", Value="y", Overwrite=True)
    assert ssm.put_parameter(Name="/q/3", Value="x", Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    ssm.delete_parameter(Name="/q/0")
    assert ssm.put_parameter(Name="/q/0", Value="x", Type="String")["Tier"] == "Standard"


def test_an_expiration_policy_deletes_the_parameter_on_time(sim: Sim) -> None:
    ssm = sim.ssm
    policy = [{"Type": "Expiration", "Version": "1.0",
               "Attributes": {"Timestamp": "2023-11-15T00:00:00.000Z"}}]
    ssm.put_parameter(Name="/exp/p", Value="x", Type="String", Tier="Advanced",
                      Policies=json.dumps(policy))
    meta = ssm.describe_parameters()["Parameters"][0]
    assert meta["Policies"][0]["PolicyType"] == "Expiration"
    assert meta["Policies"][0]["PolicyStatus"] == "Pending"
    until = 1_700_006_400.0 - START  # 2023-11-15T00:00:00Z
    sim.advance(until - 1)
    assert value(ssm, "/exp/p") == "x"
    sim.advance(1)
    error(lambda: ssm.get_parameter(Name="/exp/p"), "ParameterNotFound")
    assert ssm.describe_parameters()["Parameters"] == []
    assert ssm.put_parameter(Name="/exp/p", Value="new", Type="String")["Version"] == 1


def test_modified_dates_follow_the_app_clock(sim: Sim) -> None:
    ssm = sim.ssm
    ssm.put_parameter(Name="/when", Value="1", Type="String")
    t1 = sim.clock.now()
    sim.advance(3600)
    ssm.put_parameter(Name="/when", Value="2", Type="String", Overwrite=True)
    hist = ssm.get_parameter_history(Name="/when")["Parameters"]
    assert [h["LastModifiedDate"].timestamp() for h in hist] == [t1, t1 + 3600]


def test_parameters_survive_kill_9(tmp_path: Any) -> None:
    """State lives in the store: what was acknowledged is there after a kill -9."""
    from tests.support import ServerProcess

    srv = ServerProcess(data_dir=str(tmp_path)).start()
    try:
        ssm = client("ssm", srv.url)
        ssm.put_parameter(Name="/keep/p", Value="one", Type="SecureString",
                          Tags=[{"Key": "k", "Value": "v"}])
        ssm.put_parameter(Name="/keep/p", Value="two", Overwrite=True)
        ssm.label_parameter_version(Name="/keep/p", ParameterVersion=1, Labels=["first"])
        srv.kill9()
        srv = ServerProcess(data_dir=str(tmp_path)).start()
        ssm = client("ssm", srv.url)
        assert value(ssm, "/keep/p", WithDecryption=True) == "two"
        assert value(ssm, "/keep/p:first", WithDecryption=True) == "one"
        assert ssm.list_tags_for_resource(ResourceType="Parameter",
                                          ResourceId="/keep/p")["TagList"] == [
            {"Key": "k", "Value": "v"}]
    finally:
        srv.stop()
