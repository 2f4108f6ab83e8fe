"""EventBridge through boto3 (and the AWS CLI): buses, rules, targets, tags,
TestEventPattern and PutEvents' answers, with the error codes AWS gives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:somewhere"
PATTERN = json.dumps({"source": ["my.app"]})


@pytest.fixture
def events(url: str) -> Any:
    return client("events", url)


@pytest.fixture
def raw(url: str) -> Any:
    """A client that sends what it is given: the server must check it."""
    return client("events", url, parameter_validation=False)


# -- buses ---------------------------------------------------------------------------------


def test_the_default_bus_always_exists(events: Any) -> None:
    bus = events.describe_event_bus()
    assert bus["Name"] == "default"
    assert bus["Arn"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"
    assert events.describe_event_bus(Name="default")["Arn"] == bus["Arn"]
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]
    error(lambda: events.delete_event_bus(Name="default"), "ValidationException")
    error(lambda: events.create_event_bus(Name="default"), "ResourceAlreadyExistsException")


def test_custom_bus_lifecycle(events: Any) -> None:
    out = events.create_event_bus(Name="orders", Description="order events",
                                  Tags=[{"Key": "team", "Value": "a"}])
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"
    assert out["EventBusArn"] == arn
    assert out["Description"] == "order events"
    error(lambda: events.create_event_bus(Name="orders"), "ResourceAlreadyExistsException")
    d = events.describe_event_bus(Name=arn)
    assert (d["Name"], d["Description"]) == ("orders", "order events")
    assert d["CreationTime"] <= d["LastModifiedTime"]
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "a"}]
    events.put_rule(Name="r", EventPattern=PATTERN, EventBusName="orders")
    events.put_targets(Rule="r", EventBusName="orders", Targets=[{"Id": "1", "Arn": QUEUE_ARN}])
    events.delete_event_bus(Name="orders")
    error(lambda: events.describe_event_bus(Name="orders"), "ResourceNotFoundException")
    error(lambda: events.list_rules(EventBusName="orders"), "ResourceNotFoundException")
    events.delete_event_bus(Name="orders")  # deleting what is gone succeeds
    # a new bus of the same name starts empty
    events.create_event_bus(Name="orders")
    assert events.list_rules(EventBusName="orders")["Rules"] == []


def test_list_event_buses_prefix_and_pages(events: Any) -> None:
    for name in ("b-1", "b-2", "b-3", "other"):
        events.create_event_bus(Name=name)
    got = events.list_event_buses(NamePrefix="b-", Limit=2)
    assert [b["Name"] for b in got["EventBuses"]] == ["b-1", "b-2"]
    nxt = events.list_event_buses(NamePrefix="b-", Limit=2, NextToken=got["NextToken"])
    assert [b["Name"] for b in nxt["EventBuses"]] == ["b-3"]
    assert "NextToken" not in nxt
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert names == ["b-1", "b-2", "b-3", "default", "other"]
    error(lambda: events.list_event_buses(NextToken="bm9wZQ=="), "ValidationException")


def test_bus_names_and_dead_letter_config_are_checked(events: Any) -> None:
    error(lambda: events.create_event_bus(Name="a/b"), "ValidationException")
    error(lambda: events.create_event_bus(Name="bad name!"), "ValidationException")
    error(lambda: events.create_event_bus(
        Name="x", DeadLetterConfig={"Arn": "arn:aws:sns:us-east-1:000000000000:t"}),
        "ValidationException")
    assert events.list_event_buses()["EventBuses"][0]["Name"] == "default"
    assert len(events.list_event_buses()["EventBuses"]) == 1


# -- rules -----------------------------------------------------------------------------------


def test_put_describe_list_rules(events: Any) -> None:
    arn = events.put_rule(Name="r1", EventPattern=PATTERN, Description="mine",
                          RoleArn="arn:aws:iam::000000000000:role/x")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/r1"
    d = events.describe_rule(Name="r1")
    assert d["Name"] == "r1" and d["Arn"] == arn
    assert json.loads(d["EventPattern"]) == {"source": ["my.app"]}
    assert (d["State"], d["Description"], d["EventBusName"]) == ("ENABLED", "mine", "default")
    assert d["RoleArn"] == "arn:aws:iam::000000000000:role/x"
    assert d["CreatedBy"] == ACCOUNT
    events.put_rule(Name="r2", ScheduleExpression="rate(5 minutes)", State="DISABLED")
    rules = events.list_rules()["Rules"]
    assert [(r["Name"], r["State"]) for r in rules] == [("r1", "ENABLED"), ("r2", "DISABLED")]
    assert rules[1]["ScheduleExpression"] == "rate(5 minutes)"


def test_put_rule_replaces_the_rule_and_keeps_targets(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN, Description="one")
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE_ARN}])
    events.put_rule(Name="r", EventPattern=json.dumps({"source": ["other"]}))
    d = events.describe_rule(Name="r")
    assert json.loads(d["EventPattern"]) == {"source": ["other"]}
    assert "Description" not in d
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="r")["Targets"]] == ["t"]


def test_rules_on_a_custom_bus(events: Any) -> None:
    events.create_event_bus(Name="orders")
    arn = events.put_rule(Name="r", EventPattern=PATTERN, EventBusName="orders")["RuleArn"]
    assert arn == f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/r"
    assert events.list_rules()["Rules"] == []
    assert [r["Name"] for r in events.list_rules(EventBusName="orders")["Rules"]] == ["r"]
    bus_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders"
    assert events.describe_rule(Name="r", EventBusName=bus_arn)["EventBusName"] == "orders"
    error(lambda: events.describe_rule(Name="r"), "ResourceNotFoundException")
    error(lambda: events.put_rule(Name="s", ScheduleExpression="rate(1 hour)",
                                  EventBusName="orders"), "ValidationException")
    error(lambda: events.put_rule(Name="r", EventPattern=PATTERN, EventBusName="nope"),
          "ResourceNotFoundException")


def test_list_rules_prefix_and_pages(events: Any, raw: Any) -> None:
    for i in range(5):
        events.put_rule(Name=f"job-{i}", EventPattern=PATTERN)
    events.put_rule(Name="other", EventPattern=PATTERN)
    seen: list[str] = []
    token = None
    for _ in range(5):
        kw: dict[str, Any] = {"NamePrefix": "job-", "Limit": 2}
        if token:
            kw["NextToken"] = token
        page = events.list_rules(**kw)
        seen += [r["Name"] for r in page["Rules"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [f"job-{i}" for i in range(5)]
    error(lambda: raw.list_rules(Limit=0), "ValidationException")
    error(lambda: events.list_rules(NextToken="garbage"), "ValidationException")


def test_put_rule_errors(events: Any) -> None:
    msg = error(lambda: events.put_rule(Name="r"), "ValidationException")
    assert msg == "Parameter(s) EventPattern or ScheduleExpression must be specified."
    msg = error(lambda: events.put_rule(Name="r", ScheduleExpression="rate(1 minutes)"),
                "ValidationException")
    assert msg == "Parameter ScheduleExpression is not valid."
    error(lambda: events.put_rule(Name="r", ScheduleExpression="cron(0 12 * * * *)"),
          "ValidationException")
    msg = error(lambda: events.put_rule(Name="r", EventPattern='{"source": "x"}'),
                "InvalidEventPatternException")
    assert msg == 'Event pattern is not valid. Reason: "source" must be an object or an array'
    msg = error(lambda: events.put_rule(
        Name="r", EventPattern='{"n": [{"numeric": [">", 5, "<", 1]}]}'),
        "InvalidEventPatternException")
    assert msg.endswith("Bottom must be less than top")
    error(lambda: events.put_rule(Name="bad name", EventPattern=PATTERN), "ValidationException")
    error(lambda: events.put_rule(Name="r", EventPattern=PATTERN, State="MAYBE"),
          "ValidationException")
    assert events.list_rules()["Rules"] == []


def test_enable_disable_and_delete(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    events.enable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "ENABLED"
    for op in (events.enable_rule, events.disable_rule, events.describe_rule):
        msg = error(lambda op=op: op(Name="nope"), "ResourceNotFoundException")
        assert msg == "Rule nope does not exist on EventBus default."
    events.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": QUEUE_ARN}])
    msg = error(lambda: events.delete_rule(Name="r"), "ValidationException")
    assert msg == "Rule can't be deleted since it has targets."
    events.delete_rule(Name="r", Force=True)
    error(lambda: events.describe_rule(Name="r"), "ResourceNotFoundException")
    events.delete_rule(Name="r")  # already gone: fine
    # its targets went with it
    events.put_rule(Name="r", EventPattern=PATTERN)
    assert events.list_targets_by_rule(Rule="r")["Targets"] == []


def test_rules_per_bus_limit(events: Any) -> None:
    events.create_event_bus(Name="many")
    for i in range(300):
        events.put_rule(Name=f"r{i:03d}", EventPattern=PATTERN, EventBusName="many")
    error(lambda: events.put_rule(Name="one-more", EventPattern=PATTERN, EventBusName="many"),
          "LimitExceededException")
    events.put_rule(Name="r000", EventPattern=PATTERN, EventBusName="many")  # an update is fine


# -- targets ---------------------------------------------------------------------------------


def test_targets_put_list_remove(events: Any) -> None:
    events.put_rule(Name="r", EventPattern=PATTERN)
    targets = [
        {"Id": "sqs", "Arn": QUEUE_ARN, "Input": '{"fixed": true}',
         "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
         "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"}},
        {"Id": "sns", "Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:topic", "InputPath": "$.detail"},
        {"Id": "bus", "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/other"},
        {"Id": "ecs", "Arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default",
         "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/ecsEvents",
         "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:"
                           "task-definition/web:1", "TaskCount": 2, "LaunchType": "EC2"},
         "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"},
                              "InputTemplate": '{"containerOverrides": [{"name": "app", '
                                               '"command": ["run", <id>]}]}'}},
    ]
    out = events.put_targets(Rule="r", Targets=targets)
    assert (out["FailedEntryCount"], out["FailedEntries"]) == (0, [])
    listed = events.list_targets_by_rule(Rule="r")["Targets"]
    assert sorted(listed, key=lambda t: t["Id"]) == sorted(targets, key=lambda t: t["Id"])
    page = events.list_targets_by_rule(Rule="r", Limit=3)
    assert len(page["Targets"]) == 3
    rest = events.list_targets_by_rule(Rule="r", Limit=3, NextToken=page["NextToken"])
    assert len(rest["Targets"]) == 1
    # a fifth target is fine; a sixth is over the limit and changes nothing
    events.put_targets(Rule="r", Targets=[{"Id": "five", "Arn": QUEUE_ARN}])
    msg = error(lambda: events.put_targets(Rule="r", Targets=[{"Id": "six", "Arn": QUEUE_ARN}]),
                "LimitExceededException")
    assert msg == "The requested resource exceeds the maximum number allowed."
    assert len(events.list_targets_by_rule(Rule="r")["Targets"]) == 5
    # replacing one by Id is not adding one
    events.put_targets(Rule="r", Targets=[{"Id": "five", "Arn": QUEUE_ARN, "Input": "{}"}])
    out = events.remove_targets(Rule="r", Ids=["five", "sns", "never-there"])
    assert out["FailedEntryCount"] == 0
    ids = sorted(t["Id"] for t in events.list_targets_by_rule(Rule="r")["Targets"])
    assert ids == ["bus", "ecs", "sqs"]


def test_put_targets_errors(events: Any, raw: Any) -> None:
    error(lambda: events.put_targets(Rule="nope", Targets=[{"Id": "t", "Arn": QUEUE_ARN}]),
          "ResourceNotFoundException")
    events.put_rule(Name="r", EventPattern=PATTERN)
    bad: list[dict[str, Any]] = [
        {"Id": "t", "Arn": "not-an-arn"},
        {"Id": "t", "Arn": QUEUE_ARN, "Input": "{not json"},
        {"Id": "t", "Arn": QUEUE_ARN, "Input": "{}", "InputPath": "$.detail"},
        {"Id": "t", "Arn": QUEUE_ARN, "InputPath": "detail"},
        {"Id": "t", "Arn": QUEUE_ARN,
         "InputTransformer": {"InputPathsMap": {"aws.events.rule-arn": "$.id"},
                              "InputTemplate": "<x>"}},
        {"Id": "t", "Arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default",
         "RoleArn": "arn:aws:iam::000000000000:role/r"},
        {"Id": "t", "Arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default",
         "EcsParameters": {"TaskDefinitionArn": "web"}},
        {"Id": "t", "Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q.fifo"},
        {"Id": "t", "Arn": QUEUE_ARN, "DeadLetterConfig": {"Arn": "arn:aws:sns:x:1:t"}},
        {"Id": "bad id!", "Arn": QUEUE_ARN},
        {"Id": "t", "Arn": QUEUE_ARN, "RetryPolicy": {"MaximumRetryAttempts": 186}},
    ]
    for t in bad:
        error(lambda t=t: raw.put_targets(Rule="r", Targets=[t]), "ValidationException")
    error(lambda: events.put_targets(Rule="r", Targets=[{"Id": "a", "Arn": QUEUE_ARN},
                                                        {"Id": "a", "Arn": QUEUE_ARN}]),
          "ValidationException")
    error(lambda: events.put_targets(Rule="r", Targets=[{"Id": f"t{i}", "Arn": QUEUE_ARN}
                                                        for i in range(6)]),
          "LimitExceededException")
    assert events.list_targets_by_rule(Rule="r")["Targets"] == []
    error(lambda: events.remove_targets(Rule="nope", Ids=["t"]), "ResourceNotFoundException")
    error(lambda: events.list_targets_by_rule(Rule="nope"), "ResourceNotFoundException")


def test_list_rule_names_by_target(events: Any) -> None:
    other = f"arn:aws:sqs:{REGION}:{ACCOUNT}:other"
    for name, arns in (("a", [QUEUE_ARN]), ("b", [other]), ("c", [QUEUE_ARN, other]),
                       ("d", [QUEUE_ARN])):
        events.put_rule(Name=name, EventPattern=PATTERN)
        events.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": a}
                                               for i, a in enumerate(arns)])
    assert events.list_rule_names_by_target(TargetArn=QUEUE_ARN)["RuleNames"] == ["a", "c", "d"]
    page = events.list_rule_names_by_target(TargetArn=QUEUE_ARN, Limit=2)
    assert page["RuleNames"] == ["a", "c"]
    rest = events.list_rule_names_by_target(TargetArn=QUEUE_ARN, Limit=2,
                                            NextToken=page["NextToken"])
    assert rest["RuleNames"] == ["d"] and "NextToken" not in rest
    assert events.list_rule_names_by_target(TargetArn="arn:aws:sqs:x:1:none")["RuleNames"] == []
    error(lambda: events.list_rule_names_by_target(TargetArn=QUEUE_ARN, EventBusName="nope"),
          "ResourceNotFoundException")


# -- tags ------------------------------------------------------------------------------------


def test_rule_tags(events: Any) -> None:
    arn = events.put_rule(Name="r", EventPattern=PATTERN,
                          Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"},
                                               {"Key": "a", "Value": "3"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    events.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    error(lambda: events.list_tags_for_resource(
        ResourceARN=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/nope"), "ResourceNotFoundException")


# -- TestEventPattern ------------------------------------------------------------------------

EVENT = {
    "id": "1", "account": ACCOUNT, "source": "my.app", "time": "2026-01-01T00:00:00Z",
    "region": REGION, "resources": [], "detail-type": "Order Placed",
    "detail": {"amount": 12, "state": "new"},
}


def test_test_event_pattern(events: Any) -> None:
    def test(pattern: dict[str, Any], event: dict[str, Any] = EVENT) -> bool:
        out: bool = events.test_event_pattern(EventPattern=json.dumps(pattern),
                                              Event=json.dumps(event))["Result"]
        return out

    assert test({"source": ["my.app"], "detail": {"amount": [{"numeric": [">", 10]}]}})
    assert not test({"source": ["my.app"], "detail": {"amount": [{"numeric": [">", 20]}]}})
    assert test({"detail-type": [{"prefix": "Order"}], "detail": {"gone": [{"exists": False}]}})
    msg = error(lambda: events.test_event_pattern(EventPattern="[]", Event=json.dumps(EVENT)),
                "InvalidEventPatternException")
    assert msg == "Event pattern is not valid. Reason: Filter is not an object"
    partial = {k: v for k, v in EVENT.items() if k != "account"}
    error(lambda: events.test_event_pattern(EventPattern="{}", Event=json.dumps(partial)),
          "InvalidEventPatternException")
    error(lambda: events.test_event_pattern(EventPattern=json.dumps({"a": [1]}),
                                            Event=json.dumps(partial)), "ValidationException")
    error(lambda: events.test_event_pattern(EventPattern=json.dumps({"a": [1]}), Event="nope"),
          "ValidationException")


def test_test_event_pattern_with_the_cli(url: str) -> None:
    out = aws_cli(url, "events", "test-event-pattern",
                  "--event-pattern", json.dumps({"source": ["my.app"]}),
                  "--event", json.dumps(EVENT))
    assert json.loads(out.stdout) == {"Result": True}


# -- PutEvents' answers ----------------------------------------------------------------------


def test_put_events_entries(events: Any) -> None:
    out = events.put_events(Entries=[
        {"Source": "my.app", "DetailType": "t", "Detail": '{"a": 1}'},
        {"DetailType": "t", "Detail": "{}"},
        {"Source": "my.app", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "t"},
        {"Source": "my.app", "DetailType": "t", "Detail": "[1, 2]"},
        {"Source": "my.app", "DetailType": "t", "Detail": "{not json"},
        {"Source": "aws.ecs", "DetailType": "t", "Detail": "{}"},
        {"Source": "my.app", "DetailType": "t", "Detail": "{}", "EventBusName": "nope"},
        {"Source": "my.app", "DetailType": "t", "Detail": "{}",
         "EventBusName": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
         "Resources": ["arn:aws:s3:::b"]},
    ])
    e = out["Entries"]
    assert out["FailedEntryCount"] == 7
    assert len(e) == 9
    assert set(e[0]) == {"EventId"} and set(e[8]) == {"EventId"}
    assert e[0]["EventId"] != e[8]["EventId"]
    assert [(x.get("ErrorCode"), x.get("ErrorMessage")) for x in e[1:8]] == [
        ("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required "
                            "argument."),
        ("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a "
                            "required argument."),
        ("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required "
                            "argument."),
        ("MalformedDetail", "Detail is malformed."),
        ("MalformedDetail", "Detail is malformed."),
        ("NotAuthorizedForSourceException", "Not authorized for the source."),
        ("ResourceNotFoundException", "Event bus nope does not exist."),
    ]


def test_put_events_request_limits(events: Any, raw: Any) -> None:
    entry = {"Source": "my.app", "DetailType": "t", "Detail": "{}"}
    error(lambda: raw.put_events(Entries=[entry] * 11), "ValidationException")
    error(lambda: raw.put_events(Entries=[]), "ValidationException")
    big = {"Source": "my.app", "DetailType": "t",
           "Detail": json.dumps({"x": "y" * (128 * 1024)})}
    msg = error(lambda: events.put_events(Entries=[big, big]), "ValidationException")
    assert msg == "Total size of the entries in the request is over the limit."
    assert events.put_events(Entries=[big])["FailedEntryCount"] == 0
