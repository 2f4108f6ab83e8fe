"""Table-driven policy evaluation: each case cites the AWS rule it checks.

Sources (IAM User Guide):
  EVAL  "Policy evaluation logic" (explicit Deny > Allow > implicit deny)
  ACT   "IAM JSON policy elements: Action" / "NotAction"
  RES   "IAM JSON policy elements: Resource" / "NotResource"
  VAR   "IAM policy elements: Variables and tags"
  OPS   "IAM JSON policy elements: Condition operators"
  MULTI "Conditions with multiple context keys or values"
  SET   "Set operators for multivalued context keys" (ForAllValues / ForAnyValue)
  KEYS  "IAM JSON policy elements: Condition" (key names are case-insensitive) and
        "AWS global condition context keys"
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from cargobay.clock import SimClock
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.credentials import Identity
from cargobay.iam.policy_document import parse_policy
from cargobay.iam.policy_engine import Caller, Decision, Level, evaluate, evaluate_resource_policy
from cargobay.iam.request_facts import global_keys

A = Decision.ALLOW
D = Decision.DENY
N = Decision.IMPLICIT

ACCT = "000000000000"
CLUSTER = f"arn:aws:ecs:us-east-1:{ACCT}:cluster/prod"
T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def cond(op: str, key: str, value: Any) -> dict[str, Any]:
    return {"Condition": {op: {key: value}}}


@dataclass
class Case:
    rule: str
    statements: list[list[dict[str, Any]]]  # one list of statements per policy
    action: str = "ecs:ListClusters"
    resource: str = "*"
    keys: dict[str, Any] = field(default_factory=dict)
    expect: Decision = A
    version: str = "2012-10-17"


def one(*statements: dict[str, Any], **kw: Any) -> Case:
    rule = kw.pop("rule")
    return Case(rule, [list(statements)], **kw)


CASES: dict[str, Case] = {
    # -- evaluation logic ------------------------------------------------------------------
    "no-policy-implicit-deny": Case("EVAL: by default, all requests are implicitly denied", [],
                                    expect=N),
    "allow-matches": one(allow("ecs:ListClusters"), rule="EVAL: an Allow permits the request"),
    "allow-other-action": one(allow("ecs:CreateCluster"), expect=N,
                              rule="EVAL: nothing allows it: implicit deny"),
    "deny-beats-allow": one(allow(), deny("ecs:ListClusters"), expect=D,
                            rule="EVAL: an explicit deny overrides any allow"),
    "deny-in-other-policy": Case("EVAL: a Deny in any applicable policy overrides an Allow in "
                                 "another", [[allow()], [deny()]], expect=D),
    "deny-first-order-free": one(deny("ecs:*"), allow("ecs:ListClusters"), expect=D,
                                 rule="EVAL: statement order does not matter"),
    "deny-other-resource": one(allow(), deny(resource=CLUSTER), resource=f"{CLUSTER}2",
                               rule="EVAL: a Deny applies only to what it matches"),
    "deny-false-condition": one(
        allow(), deny(**cond("StringEquals", "aws:RequestedRegion", "eu-west-1")),
        keys={"aws:RequestedRegion": "us-east-1"},
        rule="EVAL: a statement whose condition is false does not apply"),
    "allow-false-condition": one(
        allow(**cond("StringEquals", "aws:RequestedRegion", "eu-west-1")),
        keys={"aws:RequestedRegion": "us-east-1"}, expect=N,
        rule="EVAL: an Allow whose condition is false allows nothing"),
    # -- Action / NotAction --------------------------------------------------------------
    "action-service-wildcard": one(allow("ecs:*"), action="ecs:RunTask",
                                   rule="ACT: wildcards (*) in the action name"),
    "action-prefix-wildcard": one(allow("ecs:List*"), rule="ACT: ecs:List* matches ListClusters"),
    "action-prefix-miss": one(allow("ecs:List*"), action="ecs:DescribeClusters", expect=N,
                              rule="ACT: ecs:List* does not match DescribeClusters"),
    "action-case-insensitive": one(allow("ECS:listclusters"),
                                   rule="ACT: action names are not case-sensitive"),
    "action-star": one(allow("*"), action="sqs:SendMessage",
                       rule="ACT: \"*\" matches every action"),
    "action-question-mark": one(allow("ecs:ListTask?"), action="ecs:ListTasks",
                                rule="ACT: ? matches one character"),
    "action-question-mark-one-char": one(allow("ecs:ListTask?"), action="ecs:ListTaskDefinitions",
                                         expect=N, rule="ACT: ? matches exactly one character"),
    "action-list": one(allow(["sqs:SendMessage", "ecs:ListClusters"]),
                       rule="ACT: a list of actions: any may match"),
    "action-other-service": one(allow("sqs:ListQueues"), action="sns:ListQueues", expect=N,
                                rule="ACT: the service prefix is part of the action"),
    "notaction-allow": one({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                           rule="ACT: NotAction with Allow allows every action not listed"),
    "notaction-allow-excluded": one({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                                    action="iam:ListUsers", expect=N,
                                    rule="ACT: NotAction with Allow does not allow those listed"),
    "notaction-deny": one(allow(), {"Effect": "Deny", "NotAction": "ecs:*", "Resource": "*"},
                          action="sqs:SendMessage", expect=D,
                          rule="ACT: NotAction with Deny denies every action not listed"),
    "notaction-deny-spares-listed": one(
        allow(), {"Effect": "Deny", "NotAction": "ecs:*", "Resource": "*"},
        rule="ACT: NotAction with Deny leaves the listed actions to other statements"),
    # -- Resource / NotResource ----------------------------------------------------------
    "resource-exact": one(allow(resource=CLUSTER), resource=CLUSTER,
                          rule="RES: an exact ARN matches"),
    "resource-wildcard": one(allow(resource=f"arn:aws:ecs:us-east-1:{ACCT}:cluster/pr*"),
                             resource=CLUSTER, rule="RES: * in the resource part"),
    "resource-account-segment": one(allow(resource="arn:aws:ecs:*:111122223333:cluster/*"),
                                    resource=CLUSTER, expect=N,
                                    rule="RES: each ARN segment is matched on its own"),
    "resource-region-wildcard": one(allow(resource=f"arn:aws:ecs:*:{ACCT}:cluster/prod"),
                                    resource=CLUSTER, rule="RES: * in the region segment"),
    "resource-question-mark": one(allow(resource=f"arn:aws:ecs:us-east-1:{ACCT}:cluster/pro?"),
                                  resource=CLUSTER, rule="RES: ? matches one character"),
    "resource-case-sensitive": one(allow(resource=f"arn:aws:ecs:us-east-1:{ACCT}:cluster/Prod"),
                                   resource=CLUSTER, expect=N,
                                   rule="RES: resource ARNs are case-sensitive"),
    "resource-list": one(allow(resource=["arn:aws:sqs:*:*:q", CLUSTER]), resource=CLUSTER,
                         rule="RES: a list of resources: any may match"),
    "notresource-allow": one({"Effect": "Allow", "Action": "*", "NotResource": CLUSTER},
                             resource=f"{CLUSTER}-other",
                             rule="RES: NotResource allows everything not listed"),
    "notresource-allow-excluded": one({"Effect": "Allow", "Action": "*", "NotResource": CLUSTER},
                                      resource=CLUSTER, expect=N,
                                      rule="RES: NotResource does not allow what it lists"),
    "notresource-deny": one(allow(), {"Effect": "Deny", "Action": "*", "NotResource": CLUSTER},
                            resource=f"{CLUSTER}-other", expect=D,
                            rule="RES: Deny with NotResource denies everything not listed"),
    # -- policy variables ----------------------------------------------------------------
    "var-username": one(allow(resource=f"arn:aws:iam::{ACCT}:user/${{aws:username}}"),
                        action="iam:GetUser", resource=f"arn:aws:iam::{ACCT}:user/alice",
                        keys={"aws:username": "alice"},
                        rule="VAR: ${aws:username} is replaced by the caller's name"),
    "var-username-other": one(allow(resource=f"arn:aws:iam::{ACCT}:user/${{aws:username}}"),
                              action="iam:GetUser", resource=f"arn:aws:iam::{ACCT}:user/bob",
                              keys={"aws:username": "alice"}, expect=N,
                              rule="VAR: another user's resource does not match"),
    "var-missing-key": one(allow(resource=f"arn:aws:iam::{ACCT}:user/${{aws:username}}"),
                           action="iam:GetUser", resource=f"arn:aws:iam::{ACCT}:user/alice",
                           expect=N,
                           rule="VAR: a variable whose key is absent matches nothing"),
    "var-literal-star": one(allow(resource="arn:aws:s3:::bucket/${*}"),
                            action="s3:GetObject", resource="arn:aws:s3:::bucket/*",
                            rule="VAR: ${*} stands for a literal *"),
    "var-literal-star-not-wildcard": one(allow(resource="arn:aws:s3:::bucket/${*}"),
                                         action="s3:GetObject", resource="arn:aws:s3:::bucket/x",
                                         expect=N, rule="VAR: ${*} is not a wildcard"),
    "var-old-version-literal": Case(
        "VAR: policies of version 2008-10-17 have no variables",
        [[allow(resource=f"arn:aws:iam::{ACCT}:user/${{aws:username}}")]],
        action="iam:GetUser", resource=f"arn:aws:iam::{ACCT}:user/alice",
        keys={"aws:username": "alice"}, expect=N, version="2008-10-17"),
    "var-in-condition": one(allow(**cond("StringEquals", "ecs:cluster",
                                         "arn:aws:ecs:us-east-1:000000000000:cluster/${aws:username}")),
                            keys={"aws:username": "prod", "ecs:cluster": CLUSTER},
                            rule="VAR: variables in String condition values"),
    # -- String operators ----------------------------------------------------------------
    "str-equals": one(allow(**cond("StringEquals", "aws:RequestedRegion", "us-east-1")),
                      keys={"aws:RequestedRegion": "us-east-1"},
                      rule="OPS: StringEquals, exact match"),
    "str-equals-case": one(allow(**cond("StringEquals", "aws:RequestedRegion", "US-EAST-1")),
                           keys={"aws:RequestedRegion": "us-east-1"}, expect=N,
                           rule="OPS: StringEquals is case-sensitive"),
    "str-not-equals": one(allow(**cond("StringNotEquals", "aws:RequestedRegion", "eu-west-1")),
                          keys={"aws:RequestedRegion": "us-east-1"},
                          rule="OPS: StringNotEquals, negated matching"),
    "str-not-equals-absent": one(allow(**cond("StringNotEquals", "aws:RequestedRegion", "x")),
                                 rule="OPS: a negated operator is true when the key is absent"),
    "str-equals-absent": one(allow(**cond("StringEquals", "aws:RequestedRegion", "us-east-1")),
                             expect=N, rule="OPS: a key absent from the request: false"),
    "str-equals-ignore-case": one(
        allow(**cond("StringEqualsIgnoreCase", "aws:RequestedRegion", "US-EAST-1")),
        keys={"aws:RequestedRegion": "us-east-1"}, rule="OPS: StringEqualsIgnoreCase"),
    "str-not-equals-ignore-case": one(
        allow(**cond("StringNotEqualsIgnoreCase", "aws:RequestedRegion", "US-EAST-1")),
        keys={"aws:RequestedRegion": "us-east-1"}, expect=N,
        rule="OPS: StringNotEqualsIgnoreCase"),
    "str-like": one(allow(**cond("StringLike", "aws:RequestedRegion", "us-*")),
                    keys={"aws:RequestedRegion": "us-east-1"},
                    rule="OPS: StringLike with * wildcards"),
    "str-not-like": one(allow(**cond("StringNotLike", "aws:RequestedRegion", "us-*")),
                        keys={"aws:RequestedRegion": "us-east-1"}, expect=N,
                        rule="OPS: StringNotLike"),
    "values-or": one(allow(**cond("StringEquals", "aws:RequestedRegion",
                                  ["eu-west-1", "us-east-1"])),
                     keys={"aws:RequestedRegion": "us-east-1"},
                     rule="MULTI: the values of one key are ORed"),
    "negated-values-nor": one(allow(**cond("StringNotEquals", "aws:RequestedRegion",
                                           ["eu-west-1", "us-east-1"])),
                              keys={"aws:RequestedRegion": "us-east-1"}, expect=N,
                              rule="MULTI: a negated operator's values are NORed"),
    "keys-and": one(allow(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1",
                                                      "aws:PrincipalType": "User"}}),
                    keys={"aws:RequestedRegion": "us-east-1", "aws:PrincipalType": "AssumedRole"},
                    expect=N, rule="MULTI: the keys of one operator are ANDed"),
    "operators-and": one(allow(Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"},
                                          "Bool": {"aws:SecureTransport": "true"}}),
                         keys={"aws:RequestedRegion": "us-east-1", "aws:SecureTransport": "false"},
                         expect=N, rule="MULTI: operators of one Condition block are ANDed"),
    # -- Numeric -------------------------------------------------------------------------
    "num-less": one(allow(**cond("NumericLessThan", "s3:max-keys", "10")),
                    keys={"s3:max-keys": "5"}, rule="OPS: NumericLessThan"),
    "num-less-false": one(allow(**cond("NumericLessThan", "s3:max-keys", "10")),
                          keys={"s3:max-keys": "10"}, expect=N,
                          rule="OPS: NumericLessThan is strict"),
    "num-equals": one(allow(**cond("NumericEquals", "s3:max-keys", 10)),
                      keys={"s3:max-keys": "10.0"}, rule="OPS: NumericEquals compares numbers"),
    "num-not-equals": one(allow(**cond("NumericNotEquals", "s3:max-keys", "10")),
                          keys={"s3:max-keys": "10"}, expect=N, rule="OPS: NumericNotEquals"),
    "num-gte": one(allow(**cond("NumericGreaterThanEquals", "s3:max-keys", "10")),
                   keys={"s3:max-keys": "10"}, rule="OPS: NumericGreaterThanEquals"),
    "num-lte": one(allow(**cond("NumericLessThanEquals", "s3:max-keys", "10")),
                   keys={"s3:max-keys": "11"}, expect=N, rule="OPS: NumericLessThanEquals"),
    "num-gt-not-number": one(allow(**cond("NumericGreaterThan", "s3:max-keys", "1")),
                             keys={"s3:max-keys": "many"}, expect=N,
                             rule="OPS: a value that is not a number does not match"),
    # -- Date ----------------------------------------------------------------------------
    "date-less": one(allow(**cond("DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z")),
                     rule="OPS: DateLessThan against aws:CurrentTime"),
    "date-greater": one(allow(**cond("DateGreaterThan", "aws:CurrentTime", "2027-01-01T00:00:00Z")),
                        expect=N, rule="OPS: DateGreaterThan"),
    "date-equals-epoch": one(allow(**cond("DateEquals", "aws:CurrentTime", str(int(T0)))),
                             rule="OPS: dates may be given as epoch seconds"),
    "date-not-equals": one(allow(**cond("DateNotEquals", "aws:CurrentTime",
                                        "2026-09-21T14:13:20Z")),
                           expect=N, rule="OPS: DateNotEquals"),
    "date-gte": one(allow(**cond("DateGreaterThanEquals", "aws:CurrentTime",
                                 "2026-09-21T14:13:20Z")),
                    rule="OPS: DateGreaterThanEquals includes the instant"),
    "date-lte-date-only": one(allow(**cond("DateLessThanEquals", "aws:CurrentTime",
                                           "2026-09-21")),
                              expect=N, rule="OPS: a date alone is midnight UTC"),
    # -- Bool, Binary, IP ----------------------------------------------------------------
    "bool-deny-insecure": one(allow(), deny(**cond("Bool", "aws:SecureTransport", "false")),
                              keys={"aws:SecureTransport": "false"}, expect=D,
                              rule="OPS: Bool (the deny-insecure-transport pattern)"),
    "bool-json-true": one(allow(**cond("Bool", "aws:SecureTransport", True)),
                          keys={"aws:SecureTransport": "false"}, expect=N,
                          rule="OPS: Bool with a JSON boolean"),
    "binary-equals": one(allow(**cond("BinaryEquals", "aws:x", "QmluYXJ5")),
                         keys={"aws:x": "QmluYXJ5"}, rule="OPS: BinaryEquals (base-64)"),
    "ip-address": one(allow(**cond("IpAddress", "aws:SourceIp", "127.0.0.0/8")),
                      keys={"aws:SourceIp": "127.0.0.1"}, rule="OPS: IpAddress with a CIDR"),
    "not-ip-address": one(allow(**cond("NotIpAddress", "aws:SourceIp", "127.0.0.0/8")),
                          keys={"aws:SourceIp": "127.0.0.1"}, expect=N,
                          rule="OPS: NotIpAddress"),
    # -- ARN -----------------------------------------------------------------------------
    "arn-like-source": one(allow(**cond("ArnLike", "aws:SourceArn", "arn:aws:ecs:*:*:task/*")),
                           keys={"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCT}:task/c/1"},
                           rule="OPS: ArnLike on aws:SourceArn"),
    "arn-equals-segments": one(allow(**cond("ArnEquals", "aws:SourceArn",
                                            "arn:aws:ecs:us-east-1:*:cluster/prod")),
                               keys={"aws:SourceArn": CLUSTER},
                               rule="OPS: ArnEquals matches each segment, with wildcards"),
    "arn-not-like": one(allow(**cond("ArnNotLike", "aws:SourceArn", "arn:aws:ecs:*:*:*")),
                        keys={"aws:SourceArn": CLUSTER}, expect=N, rule="OPS: ArnNotLike"),
    "arn-not-equals-absent": one(allow(**cond("ArnNotEquals", "aws:SourceArn", CLUSTER)),
                                 rule="OPS: ArnNotEquals is true when the key is absent"),
    # -- Null ----------------------------------------------------------------------------
    "null-true-absent": one(allow(**cond("Null", "aws:TokenIssueTime", "true")),
                            rule="OPS: Null true: the key must be absent"),
    "null-false-present": one(allow(**cond("Null", "aws:TokenIssueTime", "false")),
                              keys={"aws:TokenIssueTime": "2026-01-01T00:00:00Z"},
                              rule="OPS: Null false: the key must be present"),
    "null-true-present": one(allow(**cond("Null", "aws:TokenIssueTime", "true")),
                             keys={"aws:TokenIssueTime": "2026-01-01T00:00:00Z"}, expect=N,
                             rule="OPS: Null true with the key present is false"),
    # -- IfExists ------------------------------------------------------------------------
    "ifexists-absent": one(allow(**cond("StringEqualsIfExists", "ecs:cluster", CLUSTER)),
                           rule="OPS: ...IfExists is true when the key is absent"),
    "ifexists-present-mismatch": one(allow(**cond("StringEqualsIfExists", "ecs:cluster", CLUSTER)),
                                     keys={"ecs:cluster": f"{CLUSTER}2"}, expect=N,
                                     rule="OPS: ...IfExists checks a present key"),
    "ifexists-numeric": one(allow(**cond("NumericLessThanIfExists", "s3:max-keys", "10")),
                            keys={"s3:max-keys": "3"}, rule="OPS: NumericLessThanIfExists"),
    # -- set operators -------------------------------------------------------------------
    "forall-subset": one(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys",
                                      ["team", "env"])),
                         keys={"aws:TagKeys": ["env"]},
                         rule="SET: ForAllValues: every request value in the set"),
    "forall-outside": one(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys",
                                       ["team", "env"])),
                          keys={"aws:TagKeys": ["env", "cost"]}, expect=N,
                          rule="SET: ForAllValues: one value outside the set"),
    "forall-absent": one(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys", ["team"])),
                         rule="SET: ForAllValues is true when the key is absent"),
    "forall-empty-string": one(allow(**cond("ForAllValues:StringEquals", "aws:TagKeys", ["x"])),
                               keys={"aws:TagKeys": [""]},
                               rule="SET: ForAllValues is true for a null data set"),
    "foranyvalue-one": one(allow(**cond("ForAnyValue:StringEquals", "aws:TagKeys", ["team"])),
                           keys={"aws:TagKeys": ["env", "team"]},
                           rule="SET: ForAnyValue: at least one value matches"),
    "foranyvalue-none": one(allow(**cond("ForAnyValue:StringEquals", "aws:TagKeys", ["team"])),
                            keys={"aws:TagKeys": ["env"]}, expect=N,
                            rule="SET: ForAnyValue: none matches"),
    "foranyvalue-absent": one(allow(**cond("ForAnyValue:StringEquals", "aws:TagKeys", ["x"])),
                              expect=N, rule="SET: ForAnyValue is false when the key is absent"),
    "forall-not-like": one(allow(**cond("ForAllValues:StringNotLike", "aws:TagKeys", ["aws:*"])),
                           keys={"aws:TagKeys": ["team", "aws:x"]}, expect=N,
                           rule="SET: ForAllValues with a negated operator"),
    "foranyvalue-not-equals": one(allow(**cond("ForAnyValue:StringNotEquals", "aws:TagKeys",
                                               ["team"])),
                                  keys={"aws:TagKeys": ["team", "env"]},
                                  rule="SET: ForAnyValue with a negated operator"),
    # -- context keys --------------------------------------------------------------------
    "key-names-case-insensitive": one(allow(**cond("StringEquals", "AWS:REQUESTEDREGION",
                                                   "us-east-1")),
                                      keys={"aws:RequestedRegion": "us-east-1"},
                                      rule="KEYS: context key names are not case-sensitive"),
    "principal-arn": one(allow(**cond("ArnLike", "aws:PrincipalArn",
                                      f"arn:aws:iam::{ACCT}:user/a*")),
                         keys={"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/alice"},
                         rule="KEYS: aws:PrincipalArn"),
    "service-key-ecs-cluster": one(allow(**cond("ArnEquals", "ecs:cluster", CLUSTER)),
                                   action="ecs:RunTask", keys={"ecs:cluster": CLUSTER},
                                   rule="KEYS: service keys such as ecs:cluster"),
}


def _policy(statements: list[dict[str, Any]], version: str) -> Any:
    return parse_policy(json.dumps({"Version": version, "Statement": statements}))


@pytest.mark.parametrize("name", list(CASES))
def test_policy_evaluation(name: str) -> None:
    case = CASES[name]
    policies = [_policy(s, case.version) for s in case.statements]
    ctx = ConditionContext(case.keys)
    ctx.set_lazy("aws:CurrentTime", lambda: ["2026-09-21T14:13:20Z"])
    assert evaluate(policies, case.action, case.resource, ctx) is case.expect, case.rule


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 60


# -- the global keys a request gets ------------------------------------------------------


def test_global_keys_of_a_role_session() -> None:
    """KEYS: for a role session aws:PrincipalArn is the role's ARN, aws:userid ROLEID:session;
    session tags win over the role's tags (aws:PrincipalTag)."""
    who = Identity("assumed-role", ACCT, f"arn:aws:sts::{ACCT}:assumed-role/app/s1",
                   "AROAEXAMPLE:s1", "app", role_arn=f"arn:aws:iam::{ACCT}:role/app",
                   session_name="s1", session_tags=(("team", "blue"),), token_issued=T0)
    ctx = global_keys(who, region="eu-west-1", clock=SimClock(T0),
                      entity={"Tags": [{"Key": "team", "Value": "red"},
                                       {"Key": "env", "Value": "prod"}]})
    assert ctx.get("aws:PrincipalArn") == [f"arn:aws:iam::{ACCT}:role/app"]
    assert ctx.get("aws:principaltype") == ["AssumedRole"]
    assert ctx.get("aws:userid") == ["AROAEXAMPLE:s1"]
    assert ctx.get("aws:PrincipalTag/team") == ["blue"]
    assert ctx.get("aws:PrincipalTag/env") == ["prod"]
    assert ctx.get("aws:RequestedRegion") == ["eu-west-1"]
    assert ctx.get("aws:CurrentTime") == ["2026-09-21T14:13:20Z"]
    assert ctx.get("aws:TokenIssueTime") == ["2026-09-21T14:13:20Z"]
    assert ctx.get("aws:username") is None
    assert ctx.get("aws:SourceArn") is None


# -- trust policies (resource-based) -----------------------------------------------------

USER = f"arn:aws:iam::{ACCT}:user/alice"
ROLE = f"arn:aws:iam::{ACCT}:role/app"


def _trust(principal: Any, effect: str = "Allow", key: str = "Principal",
           **extra: Any) -> Any:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, key: principal, "Action": "sts:AssumeRole", **extra}]}), "trust")


TRUST: list[tuple[str, Any, Caller, Decision, Level]] = [
    ("EVAL (same account): a trust policy naming the caller's ARN is enough",
     _trust({"AWS": USER}), Caller(frozenset({USER}), ACCT), A, Level.EXPLICIT),
    ("EVAL: naming the account defers to the caller's identity policies",
     _trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), Caller(frozenset({USER}), ACCT), A,
     Level.ACCOUNT),
    ("EVAL: an account id is the account's root principal",
     _trust({"AWS": ACCT}), Caller(frozenset({USER}), ACCT), A, Level.ACCOUNT),
    ("EVAL: another principal is not allowed",
     _trust({"AWS": f"arn:aws:iam::{ACCT}:user/bob"}), Caller(frozenset({USER}), ACCT), N,
     Level.NONE),
    ("EVAL: a service principal", _trust({"Service": "ecs-tasks.amazonaws.com"}),
     Caller(service="ecs-tasks.amazonaws.com"), A, Level.EXPLICIT),
    ("EVAL: a service principal not named", _trust({"Service": "ec2.amazonaws.com"}),
     Caller(service="ecs-tasks.amazonaws.com"), N, Level.NONE),
    ("EVAL: a role ARN names every session of the role", _trust({"AWS": ROLE}),
     Caller(frozenset({f"arn:aws:sts::{ACCT}:assumed-role/app/s", ROLE}), ACCT), A,
     Level.EXPLICIT),
    ("EVAL: NotPrincipal applies to everyone not listed",
     _trust({"AWS": f"arn:aws:iam::{ACCT}:user/bob"}, key="NotPrincipal"),
     Caller(frozenset({USER}), ACCT), A, Level.EXPLICIT),
    ("EVAL: an explicit Deny in the trust policy", _trust("*", effect="Deny"),
     Caller(frozenset({USER}), ACCT), D, Level.EXPLICIT),
]


@pytest.mark.parametrize(("rule", "policy", "caller", "expect", "level"), TRUST,
                         ids=[t[0][:40] for t in TRUST])
def test_trust_policy(rule: str, policy: Any, caller: Caller, expect: Decision,
                      level: Level) -> None:
    decision, got = evaluate_resource_policy(policy, caller, "sts:AssumeRole", None,
                                             ConditionContext())
    assert (decision, got) == (expect, level), rule


def test_trust_policy_conditions_see_the_service_source() -> None:
    """OPS + KEYS: a confused-deputy guard on aws:SourceAccount."""
    policy = _trust({"Service": "ecs-tasks.amazonaws.com"},
                    Condition={"StringEquals": {"aws:SourceAccount": ACCT}})
    caller = Caller(service="ecs-tasks.amazonaws.com")
    good = ConditionContext({"aws:SourceAccount": ACCT})
    bad = ConditionContext({"aws:SourceAccount": "111122223333"})
    assert evaluate_resource_policy(policy, caller, "sts:AssumeRole", None, good)[0] is A
    assert evaluate_resource_policy(policy, caller, "sts:AssumeRole", None, bad)[0] is N
