"""Tags of IAM roles, users and customer managed policies (TagRole/UntagRole/ListRoleTags
and the User and Policy equivalents): a key tagged again takes the new value, at most 50
tags per entity (LimitExceeded, nothing changed), ListRoleTags/ListUserTags page by
MaxItems/Marker in key order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "ecs:ListClusters", "Resource": "*"}]})


def tagged(iam: Any, kind: str) -> tuple[Any, Any, Any, dict[str, str]]:
    """(tag, untag, list) calls for a new entity of ``kind`` created with tag a=1."""
    first = [{"Key": "a", "Value": "1"}]
    if kind == "role":
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=first)
        return iam.tag_role, iam.untag_role, iam.list_role_tags, {"RoleName": "r"}
    if kind == "user":
        iam.create_user(UserName="u", Tags=first)
        return iam.tag_user, iam.untag_user, iam.list_user_tags, {"UserName": "u"}
    arn = iam.create_policy(PolicyName="p", PolicyDocument=POLICY, Tags=first)["Policy"]["Arn"]
    return iam.tag_policy, iam.untag_policy, iam.list_policy_tags, {"PolicyArn": arn}


def pairs(tags: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags}


@pytest.mark.parametrize("kind", ["role", "user", "policy"])
def test_tag_untag_list(iam: Any, kind: str) -> None:
    tag, untag, list_tags, who = tagged(iam, kind)
    tag(**who, Tags=[{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    assert pairs(list_tags(**who)["Tags"]) == {"a": "2", "b": "3"}
    untag(**who, TagKeys=["a", "not-there"])
    assert pairs(list_tags(**who)["Tags"]) == {"b": "3"}
    many = [{"Key": f"k{i:02d}", "Value": ""} for i in range(50)]
    with pytest.raises(ClientError) as e:
        tag(**who, Tags=many)
    assert e.value.response["Error"]["Code"] == "LimitExceeded"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert pairs(list_tags(**who)["Tags"]) == {"b": "3"}


@pytest.mark.parametrize("kind", ["role", "user"])
def test_list_tags_pages_in_key_order(iam: Any, kind: str) -> None:
    tag, _, list_tags, who = tagged(iam, kind)
    tag(**who, Tags=[{"Key": k, "Value": k} for k in ("d", "c", "b")])
    first = list_tags(**who, MaxItems=3)
    assert [t["Key"] for t in first["Tags"]] == ["a", "b", "c"] and first["IsTruncated"]
    rest = list_tags(**who, MaxItems=3, Marker=first["Marker"])
    assert [t["Key"] for t in rest["Tags"]] == ["d"] and not rest["IsTruncated"]


def test_tags_of_a_missing_entity(iam: Any) -> None:
    for call, who in ((iam.tag_role, {"RoleName": "nope"}),
                      (iam.untag_user, {"UserName": "nope"}),
                      (iam.list_role_tags, {"RoleName": "nope"})):
        args: dict[str, Any] = dict(who)
        if call == iam.tag_role:
            args["Tags"] = [{"Key": "a", "Value": "b"}]
        if call == iam.untag_user:
            args["TagKeys"] = ["a"]
        with pytest.raises(ClientError) as e:
            call(**args)
        assert e.value.response["Error"]["Code"] == "NoSuchEntity"
