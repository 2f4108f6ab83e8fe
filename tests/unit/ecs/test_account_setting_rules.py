"""Account setting rules and the precedence own > root (account default) > ECS default."""

from __future__ import annotations

import pytest

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import account_setting_store as db
from cargobay.services.ecs.account_setting_rules import NAMES, RULES, check_value
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.store import MemoryStore

ROOT = "arn:aws:iam::000000000000:root"
BOB = "arn:aws:iam::000000000000:user/bob"


def ctx(principal: str | None = None, region: str = "us-east-1") -> RequestContext:
    return RequestContext("ecs", "PutAccountSetting", region, "000000000000", "r", "json",
                          principal_arn=principal)


def test_every_setting_in_the_model_has_a_rule() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("ecs")
    names: list[str] = model.shape_for("SettingName").enum  # type: ignore[attr-defined]
    assert set(names) == set(RULES)
    assert list(NAMES) == sorted(RULES)


@pytest.mark.parametrize("name", sorted(RULES))
def test_each_default_is_one_of_its_values(name: str) -> None:
    assert RULES[name].default in RULES[name].values


def test_check_value() -> None:
    check_value("containerInsights", "enhanced", root=False)
    with pytest.raises(InvalidParameterException):
        check_value("serviceLongArnFormat", "enhanced", root=True)
    with pytest.raises(InvalidParameterException):
        check_value("fargateTaskRetirementWaitPeriod", "7", root=False)
    check_value("fargateTaskRetirementWaitPeriod", "0", root=True)
    with pytest.raises(InvalidParameterException):
        check_value("guardDutyActivate", "on", root=True)


def test_the_caller_is_root_unless_known_and_a_role_session_is_its_role() -> None:
    assert db.caller_principal(ctx()) == ROOT
    assert db.caller_principal(ctx(BOB)) == BOB
    role = db.caller_principal(ctx("arn:aws:sts::000000000000:assumed-role/deployer/s-1"))
    assert role == "arn:aws:iam::000000000000:role/deployer"
    assert db.caller_principal(ctx("arn:aws:sts::000000000000:federated-user/fed")) == ROOT


def test_precedence_own_then_root_then_ecs_default() -> None:
    store = MemoryStore()
    c = ctx(BOB)
    assert db.effective(store, c, "awsvpcTrunking", BOB) == ("disabled", ROOT)
    db.put_setting(store, c, ROOT, "awsvpcTrunking", "enabled")
    assert db.effective(store, c, "awsvpcTrunking", BOB) == ("enabled", ROOT)
    db.put_setting(store, c, BOB, "awsvpcTrunking", "disabled")
    assert db.effective(store, c, "awsvpcTrunking", BOB) == ("disabled", BOB)
    assert db.effective_value(store, c, "awsvpcTrunking") == "disabled"
    assert db.delete_setting(store, c, BOB, "awsvpcTrunking") == "disabled"
    assert db.delete_setting(store, c, BOB, "awsvpcTrunking") is None
    assert db.effective(store, c, "awsvpcTrunking", BOB) == ("enabled", ROOT)
    # another region has its own settings
    assert db.effective(store, ctx(BOB, "eu-west-1"), "awsvpcTrunking", BOB) == (
        "disabled", ROOT)
