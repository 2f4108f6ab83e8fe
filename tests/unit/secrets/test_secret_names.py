"""SecretId forms (name, full ARN, partial ARN) and ECS valueFrom ARNs."""

from __future__ import annotations

import pytest

from cargobay.services.secrets.secret_names import (
    parse_secret_id,
    parse_value_from,
    random_suffix,
    valid_name,
)

ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret"


def test_names_allow_the_documented_characters_only() -> None:
    assert valid_name("prod/db_pass+x=y.z@w-1")
    for bad in ("with space", "colon:x", "star*", "é"):
        assert not valid_name(bad)


def test_suffix_is_six_alphanumerics() -> None:
    s = random_suffix()
    assert len(s) == 6 and s.isalnum() and s.isascii()


def test_full_arn_tries_the_name_under_the_suffix_first() -> None:
    ref = parse_secret_id(f"{ARN}:db/pass-AbC123", "us-east-1", "000000000000")
    assert ref is not None
    assert ref.candidates() == ["db/pass", "db/pass-AbC123"]


def test_partial_arn_and_plain_name() -> None:
    ref = parse_secret_id(f"{ARN}:db", "us-east-1", "000000000000")
    assert ref is not None and ref.candidates() == ["db"]
    plain = parse_secret_id("db-AbC123", "eu-west-1", "1")
    assert plain is not None and plain.arn is None and plain.candidates() == ["db-AbC123"]
    assert (plain.region, plain.account) == ("eu-west-1", "1")


@pytest.mark.parametrize("bad", [
    "arn:aws:ssm:us-east-1:000000000000:parameter/x",
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:",
    "arn:aws:secretsmanager:us-east-1",
])
def test_arns_that_name_no_secret(bad: str) -> None:
    assert parse_secret_id(bad, "us-east-1", "000000000000") is None


def test_value_from_with_json_key_stage_and_id() -> None:
    v = parse_value_from(f"{ARN}:db-AbC123:password:AWSPREVIOUS:")
    assert v is not None
    assert v.secret_id == f"{ARN}:db-AbC123"
    assert (v.json_key, v.version_stage, v.version_id) == ("password", "AWSPREVIOUS", None)
    w = parse_value_from(f"{ARN}:db:::")
    assert w is not None and (w.json_key, w.version_stage, w.version_id) == (None, None, None)
    x = parse_value_from(f"{ARN}:db:::0123456789abcdef0123456789abcdef")
    assert x is not None and x.version_id == "0123456789abcdef0123456789abcdef"


def test_value_from_refuses_what_is_not_a_secret() -> None:
    assert parse_value_from("arn:aws:ssm:us-east-1:000000000000:parameter/x") is None
    assert parse_value_from("/plain/name") is None
    assert parse_value_from(f"{ARN}:db:a:b:c:d") is None
