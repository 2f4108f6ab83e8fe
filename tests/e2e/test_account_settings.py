"""PutAccountSetting, PutAccountSettingDefault, ListAccountSettings and DeleteAccountSetting.

ECS's rules ("Access Amazon ECS features with account settings"; PutAccountSetting):
a principal's own value wins over the root user's, which is the account default, which
wins over ECS's default.  Values per setting are checked; guardDutyActivate is
read-only; only the root user may set fargateTaskRetirementWaitPeriod.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/deployer"

#: ECS's defaults when nobody set anything
DEFAULTS = {
    "awsvpcTrunking": "disabled",
    "containerInsights": "disabled",
    "containerInstanceLongArnFormat": "enabled",
    "defaultLogDriverMode": "non-blocking",
    "fargateEventWindows": "disabled",
    "fargateFIPSMode": "disabled",
    "fargateTaskRetirementWaitPeriod": "7",
    "guardDutyActivate": "off",
    "serviceLongArnFormat": "enabled",
    "tagResourceAuthorization": "on",
    "taskLongArnFormat": "enabled",
}

VALID = {
    "serviceLongArnFormat": ["enabled", "disabled"],
    "taskLongArnFormat": ["enabled", "disabled"],
    "containerInstanceLongArnFormat": ["enabled", "disabled"],
    "awsvpcTrunking": ["enabled", "disabled"],
    "containerInsights": ["enabled", "disabled", "enhanced"],
    "fargateFIPSMode": ["enabled", "disabled"],
    "tagResourceAuthorization": ["on", "off"],
    "fargateTaskRetirementWaitPeriod": ["0", "7", "14"],
    "defaultLogDriverMode": ["blocking", "non-blocking"],
    "fargateEventWindows": ["enabled", "disabled"],
}

INVALID = [
    ("serviceLongArnFormat", "enhanced"),
    ("taskLongArnFormat", "on"),
    ("containerInstanceLongArnFormat", "ENABLED"),
    ("awsvpcTrunking", "true"),
    ("containerInsights", "on"),
    ("fargateFIPSMode", "off"),
    ("tagResourceAuthorization", "enabled"),
    ("fargateTaskRetirementWaitPeriod", "3"),
    ("fargateTaskRetirementWaitPeriod", "enabled"),
    ("defaultLogDriverMode", "non_blocking"),
    ("fargateEventWindows", ""),
]



def effective(ecs: Any, **kwargs: Any) -> dict[str, tuple[str, str]]:
    """name -> (value, principalArn) of every effective setting, across all pages."""
    out: dict[str, tuple[str, str]] = {}
    for page in ecs.get_paginator("list_account_settings").paginate(
        effectiveSettings=True, **kwargs
    ):
        for s in page["settings"]:
            out[s["name"]] = (s["value"], s["principalArn"])
    return out


def own(ecs: Any, **kwargs: Any) -> list[dict[str, str]]:
    settings: list[dict[str, str]] = ecs.list_account_settings(**kwargs)["settings"]
    return settings


def test_ecs_defaults_when_nothing_is_set(ecs: Any) -> None:
    assert effective(ecs) == {n: (v, ROOT) for n, v in DEFAULTS.items()}
    page = ecs.list_account_settings(effectiveSettings=True)["settings"]
    types = {s["name"]: s["type"] for s in page}
    assert types.pop("guardDutyActivate") == "aws_managed"
    assert set(types.values()) == {"user"}
    assert own(ecs) == []


def test_put_account_setting_for_the_caller(ecs: Any) -> None:
    out = ecs.put_account_setting(name="containerInsights", value="enhanced")["setting"]
    assert out == {"name": "containerInsights", "value": "enhanced", "principalArn": ROOT,
                   "type": "user"}
    assert own(ecs) == [out]
    assert effective(ecs)["containerInsights"] == ("enhanced", ROOT)


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_documented_value_is_accepted(ecs: Any, name: str) -> None:
    for value in VALID[name]:
        assert ecs.put_account_setting_default(name=name, value=value)["setting"]["value"] == value
        assert ecs.put_account_setting(name=name, value=value)["setting"]["value"] == value
        assert effective(ecs, name=name) == {name: (value, ROOT)}


@pytest.mark.parametrize(("name", "value"), INVALID)
def test_values_ecs_does_not_accept_are_refused(ecs: Any, name: str, value: str) -> None:
    error(lambda: ecs.put_account_setting(name=name, value=value), "InvalidParameterException")
    error(lambda: ecs.put_account_setting_default(name=name, value=value),
          "InvalidParameterException")
    error(lambda: ecs.put_account_setting(name=name, value=value, principalArn=ROLE),
          "InvalidParameterException")
    assert own(ecs) == [] and own(ecs, principalArn=ROLE) == []
    assert effective(ecs) == {n: (v, ROOT) for n, v in DEFAULTS.items()}


def test_guard_duty_activate_is_read_only(ecs: Any) -> None:
    error(lambda: ecs.put_account_setting(name="guardDutyActivate", value="on"),
          "InvalidParameterException")
    error(lambda: ecs.put_account_setting_default(name="guardDutyActivate", value="on"),
          "InvalidParameterException")
    error(lambda: ecs.delete_account_setting(name="guardDutyActivate"),
          "InvalidParameterException")
    assert effective(ecs)["guardDutyActivate"] == ("off", ROOT)


def test_only_the_root_user_sets_the_fargate_retirement_wait(ecs: Any) -> None:
    error(lambda: ecs.put_account_setting(name="fargateTaskRetirementWaitPeriod", value="14",
                                          principalArn=ALICE), "InvalidParameterException")
    assert own(ecs, principalArn=ALICE) == []
    out = ecs.put_account_setting(name="fargateTaskRetirementWaitPeriod", value="14",
                                  principalArn=ROOT)["setting"]
    assert out["principalArn"] == ROOT
    assert effective(ecs, principalArn=ALICE)["fargateTaskRetirementWaitPeriod"] == ("14", ROOT)


def test_a_principal_setting_wins_over_the_account_default(ecs: Any) -> None:
    ecs.put_account_setting_default(name="awsvpcTrunking", value="enabled")
    ecs.put_account_setting(name="awsvpcTrunking", value="disabled", principalArn=ALICE)
    ecs.put_account_setting(name="containerInsights", value="enabled", principalArn=ROLE)
    assert own(ecs, principalArn=ALICE) == [
        {"name": "awsvpcTrunking", "value": "disabled", "principalArn": ALICE, "type": "user"}
    ]
    alice = effective(ecs, principalArn=ALICE)
    assert alice["awsvpcTrunking"] == ("disabled", ALICE)
    assert alice["containerInsights"] == ("disabled", ROOT)
    role = effective(ecs, principalArn=ROLE)
    assert role["awsvpcTrunking"] == ("enabled", ROOT)
    assert role["containerInsights"] == ("enabled", ROLE)
    # the caller (root here) sees the account default
    assert effective(ecs)["awsvpcTrunking"] == ("enabled", ROOT)


def test_list_account_settings_filters_by_name_and_value(ecs: Any) -> None:
    ecs.put_account_setting(name="containerInsights", value="enabled")
    ecs.put_account_setting(name="awsvpcTrunking", value="enabled")
    ecs.put_account_setting(name="fargateFIPSMode", value="disabled")
    assert [s["name"] for s in own(ecs)] == ["awsvpcTrunking", "containerInsights",
                                            "fargateFIPSMode"]
    assert [s["name"] for s in own(ecs, name="awsvpcTrunking")] == ["awsvpcTrunking"]
    assert own(ecs, name="awsvpcTrunking", value="disabled") == []
    eff = ecs.list_account_settings(name="taskLongArnFormat", value="enabled",
                                    effectiveSettings=True)["settings"]
    assert [(s["name"], s["value"]) for s in eff] == [("taskLongArnFormat", "enabled")]
    error(lambda: ecs.list_account_settings(value="enabled"), "InvalidParameterException")


def test_list_account_settings_pages_by_at_most_ten(ecs: Any) -> None:
    first = ecs.list_account_settings(effectiveSettings=True)
    assert len(first["settings"]) == 10
    rest = ecs.list_account_settings(effectiveSettings=True, nextToken=first["nextToken"])
    assert len(rest["settings"]) == 1 and "nextToken" not in rest
    sizes, token = [], None
    for _ in range(10):
        kwargs: dict[str, Any] = {"effectiveSettings": True, "maxResults": 3}
        if token:
            kwargs["nextToken"] = token
        page = ecs.list_account_settings(**kwargs)
        sizes.append(len(page["settings"]))
        token = page.get("nextToken")
        if not token:
            break
    assert sizes == [3, 3, 3, 2]
    for bad in (0, 11):
        error(functools.partial(ecs.list_account_settings, maxResults=bad),
              "InvalidParameterException")
    error(lambda: ecs.list_account_settings(nextToken="!!"), "InvalidParameterException")


@pytest.mark.parametrize(
    "principal",
    ["alice", "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::000000000000:group/devs",
     "arn:aws:sts::000000000000:assumed-role/deployer/session", "arn:aws:iam::000000000000:"],
)
def test_principal_arns_ecs_cannot_hold_settings_for_are_refused(ecs: Any, principal: str) -> None:
    error(lambda: ecs.put_account_setting(name="awsvpcTrunking", value="enabled",
                                          principalArn=principal), "InvalidParameterException")
    error(lambda: ecs.list_account_settings(principalArn=principal), "InvalidParameterException")
    error(lambda: ecs.delete_account_setting(name="awsvpcTrunking", principalArn=principal),
          "InvalidParameterException")
    assert effective(ecs)["awsvpcTrunking"] == ("disabled", ROOT)


def test_delete_account_setting_falls_back_to_the_default(ecs: Any) -> None:
    ecs.put_account_setting_default(name="serviceLongArnFormat", value="disabled")
    ecs.put_account_setting(name="serviceLongArnFormat", value="enabled", principalArn=ALICE)
    out = ecs.delete_account_setting(name="serviceLongArnFormat", principalArn=ALICE)["setting"]
    assert out == {"name": "serviceLongArnFormat", "value": "enabled", "principalArn": ALICE,
                   "type": "user"}
    assert own(ecs, principalArn=ALICE) == []
    assert effective(ecs, principalArn=ALICE)["serviceLongArnFormat"] == ("disabled", ROOT)
    # the root user's value is the account default; deleting it restores ECS's default
    out = ecs.delete_account_setting(name="serviceLongArnFormat")["setting"]
    assert out["value"] == "disabled" and out["principalArn"] == ROOT
    assert effective(ecs, principalArn=ALICE)["serviceLongArnFormat"] == ("enabled", ROOT)
    # deleting what is not set answers with the value in force and changes nothing
    again = ecs.delete_account_setting(name="serviceLongArnFormat")["setting"]
    assert again["value"] == "enabled"
    assert own(ecs) == []


def test_account_settings_are_per_region(url: str) -> None:
    east = client("ecs", url, region="us-east-1")
    west = client("ecs", url, region="eu-west-1")
    east.put_account_setting_default(name="containerInsights", value="enabled")
    assert effective(west)["containerInsights"] == ("disabled", ROOT)
    assert west.create_cluster(clusterName="w")["cluster"]["settings"] == [
        {"name": "containerInsights", "value": "disabled"}
    ]
    assert east.create_cluster(clusterName="e")["cluster"]["settings"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]


def test_account_settings_with_the_aws_cli(url: str) -> None:
    def cli(*args: str) -> Any:
        return json.loads(aws_cli(url, "ecs", *args).stdout)

    put = cli("put-account-setting-default", "--name", "awsvpcTrunking", "--value", "enabled")
    assert put["setting"]["principalArn"] == ROOT
    listed = cli("list-account-settings", "--effective-settings", "--name", "awsvpcTrunking")
    assert listed["settings"] == [{"name": "awsvpcTrunking", "value": "enabled",
                                   "principalArn": ROOT, "type": "user"}]
    every = cli("list-account-settings", "--effective-settings")
    assert {s["name"] for s in every["settings"]} == set(DEFAULTS)
    bad = aws_cli(url, "ecs", "put-account-setting", "--name", "containerInsights",
                  "--value", "maybe", check=False)
    assert bad.returncode != 0 and "InvalidParameterException" in bad.stderr
