"""Parameter Store naming constraints (PutParameter ``Name``), selectors and paths."""

from __future__ import annotations

import pytest

from cargobay.protocol.errors import AwsError
from cargobay.services.secrets.parameter_names import (
    check_new_name,
    check_path,
    key_name,
    label_ok,
    parameter_arn,
    parse_ref,
    under,
)


def test_one_level_names_with_and_without_slash_are_one_parameter() -> None:
    assert key_name("/foo") == key_name("foo") == "foo"
    assert key_name("/a/b") == "/a/b"
    assert parameter_arn("r", "1", "/a/b") == "arn:aws:ssm:r:1:parameter/a/b"
    assert parameter_arn("r", "1", "foo") == "arn:aws:ssm:r:1:parameter/foo"


def test_spaces_at_the_ends_are_removed() -> None:
    assert check_new_name("  /a/b ") == "/a/b"


@pytest.mark.parametrize("name, code, wording", [
    ("a/b", "ValidationException", "Parameter name must be a fully qualified name."),
    ("a b", "ValidationException", "each sub-path can be formed"),
    ("/a//b", "ValidationException", "each sub-path can be formed"),
    ("/a/b/", "ValidationException", "each sub-path can be formed"),
    ("awsThing", "ValidationException", 'can\'t be prefixed with "aws" or "ssm"'),
    ("SSM-x", "ValidationException", 'can\'t be prefixed with "aws" or "ssm"'),
    ("/ssm/x", "ValidationException", "each sub-path can be formed"),
    ("/aws/x", "AccessDeniedException", "No access to reserved parameter name: /aws/x."),
    ("/" + "/".join("l" * 16), "HierarchyLevelLimitExceededException", "maximum of 15 levels"),
    ("x" * 1012, "ValidationException", "less than or equal to 1011"),
])
def test_put_refuses_bad_names(name: str, code: str, wording: str) -> None:
    with pytest.raises(AwsError) as info:
        check_new_name(name)
    assert info.value.code == code
    assert wording in info.value.message


def test_fifteen_levels_are_allowed() -> None:
    name = "/" + "/".join("l" * 15)
    assert check_new_name(name) == name


def test_selectors_and_arns() -> None:
    r = parse_ref("/a/b:3", "us-east-1", "1")
    assert (r.name, r.version, r.label, r.selector) == ("/a/b", 3, None, ":3")
    r = parse_ref("/a/b:prod", "us-east-1", "1")
    assert (r.label, r.selector) == ("prod", ":prod")
    r = parse_ref("arn:aws:ssm:eu-west-1:2:parameter/a/b:7", "us-east-1", "1")
    assert (r.name, r.region, r.account, r.version) == ("/a/b", "eu-west-1", "2", 7)
    r = parse_ref("arn:aws:ssm:us-east-1:1:parameter/foo", "us-east-1", "1")
    assert r.name == "foo"
    for bad in ("a:b:c", "/a/b:", "x/y"):
        with pytest.raises(AwsError):
            parse_ref(bad, "us-east-1", "1")
    with pytest.raises(AwsError):
        parse_ref("/a:1", "us-east-1", "1", selectors=False)


def test_paths_and_what_lies_under_them() -> None:
    assert check_path("/") == "/"
    assert check_path("/a/b/") == "/a/b"
    for bad in ("a/b", "/a//b", "/a b"):
        with pytest.raises(AwsError) as info:
            check_path(bad)
        assert "must begin with a forward slash" in info.value.message
    assert under("/a", "/a/b", False) and not under("/a", "/a/b/c", False)
    assert under("/a", "/a/b/c", True) and not under("/a", "/ab/c", True)
    assert under("/", "foo", False) and under("/", "/foo", False)
    assert not under("/", "/a/b", False) and under("/", "/a/b", True)
    assert not under("/a", "/a", True)


@pytest.mark.parametrize("label, ok", [
    ("prod", True), ("v1.2-rc_3", True), ("1st", False), ("awsx", False), ("SSMx", False),
    ("has space", False), ("x" * 100, True), ("x" * 101, False),
])
def test_label_rules(label: str, ok: bool) -> None:
    assert label_ok(label) is ok
