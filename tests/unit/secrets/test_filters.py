"""ListSecrets filters (Secrets Manager ``Filter``) and Parameter Store ParameterFilters."""

from __future__ import annotations

from typing import Any

import pytest

from cargobay.protocol.errors import AwsError
from cargobay.services.secrets import parameter_filters as pf
from cargobay.services.secrets.secret_filters import matches, words

SECRET = {"name": "prod/DatabaseCreds", "description": "Main DB password",
          "tags": [{"Key": "team", "Value": "payments"}]}


def f(key: str, *values: str) -> dict[str, Any]:
    return {"Key": key, "Values": list(values)}


def test_words_split_at_case_digit_and_punctuation_changes() -> None:
    assert words("credsDatabase#892") == ["creds", "database", "892"]
    assert words("My_Secret") == ["my", "secret"]


@pytest.mark.parametrize("flt, hit", [
    (f("name", "prod/Data"), True),
    (f("name", "prod/data"), False),          # name: case-sensitive prefix
    (f("description", "main db"), True),      # description: not case-sensitive
    (f("description", "DB"), False),          # prefix, not substring
    (f("tag-key", "te"), True),
    (f("tag-value", "pay"), True),
    (f("tag-value", "Pay"), False),
    (f("all", "database"), True),             # a word of the name
    (f("all", "PAYMENTS"), True),
    (f("all", "nothing"), False),
    (f("name", "!prod"), False),              # negation
    (f("name", "!dev"), True),
    (f("name", "dev", "prod"), True),         # values are alternatives
    (f("primary-region", "us-"), True),
    (f("owning-service", "rds"), False),
])
def test_secret_filters(flt: dict[str, Any], hit: bool) -> None:
    assert matches(SECRET, [flt], "us-east-1") is hit


def test_every_secret_filter_must_hold() -> None:
    assert not matches(SECRET, [f("name", "prod"), f("tag-key", "owner")], "us-east-1")


PARAM = {"name": "/app/db/host", "tags": [{"Key": "env", "Value": "prod"}],
         "history": [{"type": "String", "tier": "Standard", "data_type": "text",
                      "labels": ["blue"]}]}


@pytest.mark.parametrize("raw, hit", [
    ({"Key": "Name", "Values": ["/app/db/host"]}, True),
    ({"Key": "Name", "Values": ["app/db/host"]}, True),
    ({"Key": "Name", "Option": "BeginsWith", "Values": ["/app/d"]}, True),
    ({"Key": "Name", "Option": "Contains", "Values": ["db/h"]}, True),
    ({"Key": "Type", "Values": ["SecureString"]}, False),
    ({"Key": "Path", "Values": ["/app"]}, False),
    ({"Key": "Path", "Option": "Recursive", "Values": ["/app"]}, True),
    ({"Key": "Path", "Values": ["/app/db"]}, True),
    ({"Key": "tag:env", "Values": ["prod"]}, True),
    ({"Key": "tag:env"}, True),
    ({"Key": "tag:owner"}, False),
    ({"Key": "Tier", "Values": ["Advanced"]}, False),
    ({"Key": "DataType", "Values": ["text"]}, True),
])
def test_describe_filters(raw: dict[str, Any], hit: bool) -> None:
    flts = pf.check_filters([raw], by_path=False)
    assert pf.matches(PARAM, PARAM["history"][-1], flts) is hit


@pytest.mark.parametrize("raw, by_path, code, wording", [
    ([{"Key": "Label", "Values": ["x"]}], False, "InvalidFilterKey",
     "The following filter key is not valid: Label."),
    ([{"Key": "Name", "Values": ["x"]}], True, "InvalidFilterKey",
     "Valid filter keys include: [Type, KeyId, Label]."),
    ([{"Key": "Type", "Values": ["String"]}] * 2, False, "InvalidFilterKey",
     "The following filter is duplicated in the request: Type."),
    ([{"Key": "Path", "Option": "Equals", "Values": ["/a"]}], False, "InvalidFilterOption",
     "Valid options include: [Recursive, OneLevel]."),
    ([{"Key": "Label", "Option": "BeginsWith", "Values": ["a"]}], True, "InvalidFilterOption",
     "Valid options include: [Equals]."),
    ([{"Key": "Type", "Values": ["Str"]}], False, "InvalidFilterValue",
     "Valid values include: [String, StringList, SecureString]."),
    ([{"Key": "Name"}], False, "InvalidFilterValue",
     "The following filter values are missing : null for filter key Name."),
    ([{"Key": "Path", "Values": ["/aws/x"]}], False, "ValidationException",
     "Filters for common parameters can't be prefixed"),
])
def test_filter_refusals(raw: list[dict[str, Any]], by_path: bool, code: str,
                         wording: str) -> None:
    with pytest.raises(AwsError) as info:
        pf.check_filters(raw, by_path)
    assert info.value.code == code
    assert wording in info.value.message
