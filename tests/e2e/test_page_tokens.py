"""NextTokens that are not one of ours (services/page_tokens.py): one that does not
decode, one of another region's listing, one of another kind of listing — each
service's own error, nothing listed; and a token handed out continues where it left."""

from __future__ import annotations

from typing import Any

from tests.support import client, expect_error


def test_ecs_and_logs_refuse_a_token_that_does_not_decode(url: str, ecs: Any) -> None:
    for name in ("a", "b"):
        ecs.create_cluster(clusterName=name)
    first = ecs.list_clusters(maxResults=1)
    rest = ecs.list_clusters(nextToken=first["nextToken"])
    assert len(first["clusterArns"] + rest["clusterArns"]) == 2
    assert expect_error(lambda: ecs.list_clusters(nextToken="a"),
                        "InvalidParameterException") == "Invalid nextToken."
    logs = client("logs", url)
    msg = expect_error(lambda: logs.describe_log_groups(nextToken="a"),
                       "InvalidParameterException")
    assert msg == "The specified nextToken is invalid."


def test_events_tokens_belong_to_their_listing(url: str) -> None:
    events = client("events", url)
    for i in range(3):
        events.put_rule(Name=f"r{i}", ScheduleExpression="rate(1 hour)", State="DISABLED")
    first = events.list_rules(Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["r0", "r1"]
    rest = events.list_rules(Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == ["r2"] and "NextToken" not in rest
    elsewhere = client("events", url, region="eu-west-1")
    for token in (first["NextToken"], "a"):
        msg = expect_error(lambda t=token: elsewhere.list_rules(NextToken=t),
                           "ValidationException")
        assert msg == "The NextToken provided is invalid."


def test_ssm_history_and_listing_tokens_are_not_interchangeable(url: str) -> None:
    ssm = client("ssm", url)
    for i in range(3):
        ssm.put_parameter(Name=f"/p/{i}", Value="v", Type="String")
    ssm.put_parameter(Name="/p/0", Value="w", Overwrite=True)
    listing = ssm.describe_parameters(MaxResults=1)["NextToken"]
    history = ssm.get_parameter_history(Name="/p/0", MaxResults=1)
    assert [h["Value"] for h in history["Parameters"]] == ["v"]
    again = ssm.get_parameter_history(Name="/p/0", MaxResults=1, NextToken=history["NextToken"])
    assert [h["Value"] for h in again["Parameters"]] == ["w"]
    expect_error(lambda: ssm.get_parameter_history(Name="/p/0", NextToken=listing),
                 "InvalidNextToken")
    expect_error(lambda: ssm.describe_parameters(NextToken=history["NextToken"]),
                 "InvalidNextToken")
    expect_error(lambda: ssm.get_parameter_history(Name="/p/0", NextToken="a"),
                 "InvalidNextToken")
