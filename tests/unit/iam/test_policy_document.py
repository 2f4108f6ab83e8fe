"""Policy grammar checks (IAM User Guide, "Grammar of the IAM JSON policy language") and
the operation → action/resource map (Service Authorization Reference)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cargobay.iam.action_map import access_for, action_for
from cargobay.iam.errors import MalformedPolicyDocument
from cargobay.iam.managed_policies import all_arns, document_text
from cargobay.iam.policy_document import parse_policy
from cargobay.protocol.base import RequestContext

OK = {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}


def doc(*statements: Any, version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("{not json", "identity", "This policy contains invalid Json"),
        (json.dumps({"Version": "2012-10-17"}), "identity", "Syntax errors in policy."),
        (doc(OK, version="2020-01-01"), "identity",
         "The policy must contain a valid version string"),
        (doc({"Action": "ecs:*", "Resource": "*"}), "identity", "Missing required field Effect"),
        (doc({**OK, "Effect": "allow"}), "identity", "Invalid effect: allow"),
        (doc({"Effect": "Allow", "Resource": "*"}), "identity", "Missing required field Action"),
        (doc({"Effect": "Allow", "Action": "ecs:*"}), "identity",
         "Policy statement must contain resources."),
        (doc({**OK, "Action": "ListClusters"}), "identity",
         "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (doc({**OK, "Resource": "cluster/x"}), "identity",
         'Resource cluster/x must be in ARN format or "*".'),
        (doc({**OK, "Principal": "*"}), "identity",
         "Policy document should not specify a principal."),
        (doc({"Effect": "Allow", "Action": "sts:AssumeRole"}), "trust",
         "Missing required field Principal"),
        (doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*", "Resource": "*"}),
         "trust", "Has prohibited field Resource"),
        (doc({"Effect": "Allow", "Action": "s3:GetObject", "Principal": "*"}), "trust",
         "AssumeRole policy may only specify STS AssumeRole actions."),
        (doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "bob"}}),
         "trust", 'Invalid principal in policy: "AWS":"bob"'),
        (doc({**OK, "Sid": "a"}, {**OK, "Sid": "a"}), "identity",
         "Statement IDs (SID) in a single policy must be unique."),
        (doc({**OK, "Condition": {"StringEqualz": {"aws:x": "y"}}}), "identity",
         "Invalid Condition type : StringEqualz"),
        (doc({**OK, "Condition": {"NumericLessThan": {"s3:max-keys": "ten"}}}), "identity",
         "Invalid Condition value for NumericLessThan: ten"),
    ],
)
def test_malformed_documents_are_refused(text: str, kind: Any, message: str) -> None:
    with pytest.raises(MalformedPolicyDocument) as info:
        parse_policy(text, kind)
    assert info.value.message == message
    assert (info.value.code, info.value.status) == ("MalformedPolicyDocument", 400)


def test_a_single_statement_object_and_string_values_are_accepted() -> None:
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": OK}))
    assert policy.statements[0].actions == ("ecs:*",)


def test_every_aws_managed_policy_parses() -> None:
    arns = all_arns()
    assert "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy" in arns
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in arns
    for arn in arns:
        text = document_text(arn)
        assert text is not None
        parse_policy(text)


def ctx(service: str, op: str) -> RequestContext:
    return RequestContext(service, op, "us-east-1", "000000000000", "r", "json")


@pytest.mark.parametrize(
    ("service", "op", "params", "action", "resources"),
    [
        ("ecs", "ListClusters", {}, "ecs:ListClusters", ["*"]),
        ("ecs", "DescribeClusters", {"clusters": ["a", "arn:aws:ecs:us-east-1:0:cluster/b"]},
         "ecs:DescribeClusters",
         ["arn:aws:ecs:us-east-1:000000000000:cluster/a",
          "arn:aws:ecs:us-east-1:000000000000:cluster/b"]),
        ("ecs", "StopTask", {"cluster": "c", "task": "abc"}, "ecs:StopTask",
         ["arn:aws:ecs:us-east-1:000000000000:task/c/abc"]),
        ("ecs", "DescribeServices", {"services": ["web"]}, "ecs:DescribeServices",
         ["arn:aws:ecs:us-east-1:000000000000:service/default/web"]),
        ("sqs", "SendMessageBatch",
         {"QueueUrl": "http://localhost/000000000000/q1", "Entries": []}, "sqs:SendMessage",
         ["arn:aws:sqs:us-east-1:000000000000:q1"]),
        ("sns", "Publish", {"TopicArn": "arn:aws:sns:us-east-1:000000000000:t"}, "sns:Publish",
         ["arn:aws:sns:us-east-1:000000000000:t"]),
        ("ssm", "GetParameters", {"Names": ["/app/db", "plain:3"]}, "ssm:GetParameters",
         ["arn:aws:ssm:us-east-1:000000000000:parameter/app/db",
          "arn:aws:ssm:us-east-1:000000000000:parameter/plain"]),
        ("secretsmanager", "GetSecretValue",
         {"SecretId": "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf"},
         "secretsmanager:GetSecretValue",
         ["arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf"]),
        ("events", "PutRule", {"Name": "r", "EventBusName": "bus"}, "events:PutRule",
         ["arn:aws:events:us-east-1:000000000000:rule/bus/r"]),
        ("iam", "ListRoles", {}, "iam:ListRoles", ["arn:aws:iam::000000000000:role/"]),
        ("iam", "CreateRole", {"RoleName": "r", "Path": "/svc/"}, "iam:CreateRole",
         ["arn:aws:iam::000000000000:role/svc/r"]),
        ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::000000000000:role/r"}, "sts:AssumeRole",
         ["arn:aws:iam::000000000000:role/r"]),
    ],
)
def test_operations_map_to_actions_and_resources(
    service: str, op: str, params: dict[str, Any], action: str, resources: list[str]
) -> None:
    access = access_for(ctx(service, op), params)
    assert access.action == action
    assert access.checks[0].resources == resources


def test_ecs_requests_carry_the_cluster_condition_key() -> None:
    access = access_for(ctx("ecs", "ListTasks"), {"cluster": "prod"})
    assert access.checks[0].keys["ecs:cluster"] == [
        "arn:aws:ecs:us-east-1:000000000000:cluster/prod"]


def test_tags_on_create_become_request_tag_keys() -> None:
    access = access_for(ctx("ecs", "CreateCluster"),
                        {"clusterName": "c", "tags": [{"key": "team", "value": "blue"}]})
    assert access.checks[0].keys["aws:requesttag/team"] == ["blue"]
    assert access.checks[0].keys["aws:tagkeys"] == ["team"]


def test_cloudwatch_signs_as_monitoring_but_authorizes_as_cloudwatch() -> None:
    assert action_for("cloudwatch", "PutMetricData") == "cloudwatch:PutMetricData"
    assert action_for("efs", "CreateFileSystem") == "elasticfilesystem:CreateFileSystem"
