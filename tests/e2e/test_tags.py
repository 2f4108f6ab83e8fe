"""TagResource, UntagResource and ListTagsForResource through boto3 and the AWS CLI.

Rules from "Tagging your Amazon ECS resources" / the Tag shape: at most 50 tags per
resource, keys 1–128 and values 0–256 characters, case-sensitive, the ``aws:`` prefix
reserved (cannot be added or removed).  Every refused call changes nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/tagged"



def tags_of(ecs: Any, arn: str = CLUSTER) -> dict[str, str]:
    return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn)["tags"]}


@pytest.fixture
def cluster(ecs: Any) -> str:
    ecs.create_cluster(clusterName="tagged", tags=[{"key": "team", "value": "web"}])
    return CLUSTER


def test_tag_list_and_untag_a_cluster(ecs: Any, cluster: str) -> None:
    assert tags_of(ecs) == {"team": "web"}
    ecs.tag_resource(resourceArn=cluster, tags=[{"key": "env", "value": "prod"},
                                                {"key": "team", "value": "api"}])
    assert tags_of(ecs) == {"team": "api", "env": "prod"}
    ecs.tag_resource(resourceArn=cluster, tags=[])
    assert tags_of(ecs) == {"team": "api", "env": "prod"}
    ecs.untag_resource(resourceArn=cluster, tagKeys=["team", "never-there"])
    assert tags_of(ecs) == {"env": "prod"}
    described = ecs.describe_clusters(clusters=["tagged"], include=["TAGS"])["clusters"][0]
    assert described["tags"] == [{"key": "env", "value": "prod"}]
    ecs.untag_resource(resourceArn=cluster, tagKeys=["env"])
    assert ecs.list_tags_for_resource(resourceArn=cluster)["tags"] == []


def test_tag_keys_are_case_sensitive_and_values_may_be_empty(ecs: Any, cluster: str) -> None:
    ecs.tag_resource(resourceArn=cluster, tags=[{"key": "Team", "value": ""},
                                                {"key": "k" * 128, "value": "v" * 256}])
    assert tags_of(ecs) == {"team": "web", "Team": "", "k" * 128: "v" * 256}


def test_fifty_tags_per_resource(ecs: Any, cluster: str) -> None:
    ecs.tag_resource(resourceArn=cluster,
                     tags=[{"key": f"k{i}", "value": str(i)} for i in range(49)])
    assert len(tags_of(ecs)) == 50
    before = tags_of(ecs)
    error(lambda: ecs.tag_resource(resourceArn=cluster, tags=[{"key": "one-more", "value": "x"}]),
          "InvalidParameterException")
    assert tags_of(ecs) == before
    # overwriting an existing key stays within the limit
    ecs.tag_resource(resourceArn=cluster, tags=[{"key": "k0", "value": "new"}])
    assert tags_of(ecs)["k0"] == "new"


def test_create_cluster_with_fifty_one_tags_is_refused(ecs: Any) -> None:
    error(lambda: ecs.create_cluster(
        clusterName="too-many", tags=[{"key": f"k{i}", "value": ""} for i in range(51)]),
        "ValidationException")
    assert ecs.list_clusters()["clusterArns"] == []


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ([{"key": "aws:created-by", "value": "me"}], "InvalidParameterException"),
        ([{"key": "AWS:Mixed", "value": "me"}], "InvalidParameterException"),
        ([{"key": "ok", "value": "1"}, {"key": "aws:x", "value": "2"}],
         "InvalidParameterException"),
        ([{"key": "k" * 129, "value": "x"}], "ValidationException"),
        ([{"key": "k", "value": "v" * 257}], "ValidationException"),
    ],
)
def test_refused_tags_change_nothing(
    ecs: Any, cluster: str, tags: list[dict[str, str]], code: str
) -> None:
    error(lambda: ecs.tag_resource(resourceArn=cluster, tags=tags), code)
    assert tags_of(ecs) == {"team": "web"}


def test_reserved_keys_cannot_be_removed(ecs: Any, cluster: str) -> None:
    error(lambda: ecs.untag_resource(resourceArn=cluster, tagKeys=["team", "aws:cloudformation"]),
          "InvalidParameterException")
    assert tags_of(ecs) == {"team": "web"}


OPS: dict[str, Callable[[Any, str], Any]] = {
    "TagResource": lambda e, a: e.tag_resource(resourceArn=a, tags=[{"key": "a", "value": "b"}]),
    "UntagResource": lambda e, a: e.untag_resource(resourceArn=a, tagKeys=["a"]),
    "ListTagsForResource": lambda e, a: e.list_tags_for_resource(resourceArn=a),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize(
    "bad",
    [
        "tagged",
        "not-an-arn",
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/tagged",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:widget/tagged",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/a/b",
        f"arn:aws:ecs:{REGION}:not-an-account:cluster/tagged",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:0",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:x",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/bad.family:1",
    ],
)
def test_malformed_arns_are_invalid_parameters(ecs: Any, cluster: str, op: str, bad: str) -> None:
    msg = error(lambda: OPS[op](ecs, bad), "InvalidParameterException")
    assert msg == "The ARN provided is invalid."
    assert tags_of(ecs) == {"team": "web"}


@pytest.mark.parametrize("op", sorted(OPS))
def test_a_missing_cluster_is_cluster_not_found(ecs: Any, op: str) -> None:
    for arn in (f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/ghost",
                f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/ghost",
                f"arn:aws:ecs:{REGION}:111111111111:cluster/ghost"):
        assert error(functools.partial(OPS[op], ecs, arn),
                     "ClusterNotFoundException") == "Cluster not found."


@pytest.mark.parametrize(
    ("op", "code"),
    [("TagResource", "ResourceNotFoundException"),
     ("UntagResource", "ResourceNotFoundException"),
     ("ListTagsForResource", "ClientException")],
)
def test_a_missing_task_definition_or_service(ecs: Any, op: str, code: str) -> None:
    for arn in (f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:1",
                f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/tagged/web"):
        error(functools.partial(OPS[op], ecs, arn), code)


def test_tags_of_a_cluster_in_another_region_are_not_reachable(url: str, cluster: str) -> None:
    west = client("ecs", url, region="eu-west-1")
    error(lambda: west.tag_resource(resourceArn=cluster, tags=[{"key": "x", "value": "y"}]),
          "ClusterNotFoundException")
    west.create_cluster(clusterName="tagged", tags=[{"key": "region", "value": "west"}])
    west_arn = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/tagged"
    assert tags_of(west, west_arn) == {"region": "west"}
    assert tags_of(client("ecs", url), cluster) == {"team": "web"}


def test_tagging_with_the_aws_cli(url: str, cluster: str) -> None:
    aws_cli(url, "ecs", "tag-resource", "--resource-arn", cluster,
            "--tags", "key=env,value=dev", "key=owner,value=ops")
    aws_cli(url, "ecs", "untag-resource", "--resource-arn", cluster, "--tag-keys", "team")
    out = json.loads(aws_cli(url, "ecs", "list-tags-for-resource",
                             "--resource-arn", cluster).stdout)
    assert out == {"tags": [{"key": "env", "value": "dev"}, {"key": "owner", "value": "ops"}]}
    bad = aws_cli(url, "ecs", "list-tags-for-resource", "--resource-arn", "nope", check=False)
    assert bad.returncode != 0 and "The ARN provided is invalid." in bad.stderr


def test_tag_a_registered_task_definition(ecs: Any) -> None:
    td = ecs.register_task_definition(
        family="tagged-td", tags=[{"key": "app", "value": "web"}],
        containerDefinitions=[{"name": "c", "image": "busybox", "memory": 128}],
    )["taskDefinition"]
    arn = td["taskDefinitionArn"]
    assert arn == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/tagged-td:1"
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "prod"}])
    assert tags_of(ecs, arn) == {"app": "web", "env": "prod"}
    ecs.untag_resource(resourceArn=arn, tagKeys=["app"])
    assert tags_of(ecs, arn) == {"env": "prod"}
    error(lambda: ecs.tag_resource(resourceArn=arn.replace(":1", ":2"),
                                   tags=[{"key": "a", "value": "b"}]),
          "ResourceNotFoundException")
