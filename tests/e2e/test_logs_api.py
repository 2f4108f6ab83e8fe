"""CloudWatch Logs through boto3 and the AWS CLI against a real server: groups, streams,
PutLogEvents' batch rules (CloudWatch Logs API Reference, PutLogEvents), GetLogEvents'
tokens, FilterLogEvents with the filter pattern syntax (CloudWatch Logs User Guide,
"Filter pattern syntax"), retention policies and tags."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture
def logs(url: str) -> Any:
    return client("logs", url)


def put(logs: Any, group: str, stream: str, messages: list[str], ts: int | None = None) -> Any:
    base = ts if ts is not None else now_ms()
    return logs.put_log_events(
        logGroupName=group, logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )


def make(logs: Any, group: str = "app", *streams: str) -> None:
    logs.create_log_group(logGroupName=group)
    for s in streams or ("s1",):
        logs.create_log_stream(logGroupName=group, logStreamName=s)


# -- groups and streams -------------------------------------------------------------------


def test_log_groups_are_created_described_and_deleted(logs: Any) -> None:
    logs.create_log_group(logGroupName="/ecs/web", tags={"team": "a"})
    logs.create_log_group(logGroupName="/ecs/worker")
    logs.create_log_group(logGroupName="other")
    msg = error(lambda: logs.create_log_group(logGroupName="/ecs/web"),
                "ResourceAlreadyExistsException")
    assert "already exists" in msg
    groups = logs.describe_log_groups(logGroupNamePrefix="/ecs/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == ["/ecs/web", "/ecs/worker"]
    g = groups[0]
    assert g["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web:*"
    assert g["logGroupArn"] == "arn:aws:logs:us-east-1:000000000000:log-group:/ecs/web"
    assert g["storedBytes"] == 0 and "retentionInDays" not in g
    assert abs(g["creationTime"] - now_ms()) < 60_000
    found = logs.describe_log_groups(logGroupNamePattern="WORK")["logGroups"]
    assert [g["logGroupName"] for g in found] == ["/ecs/worker"]
    error(lambda: logs.describe_log_groups(logGroupNamePrefix="/", logGroupNamePattern="x"),
          "InvalidParameterException")
    page = logs.describe_log_groups(limit=2)
    assert len(page["logGroups"]) == 2
    rest = logs.describe_log_groups(limit=2, nextToken=page["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == ["other"]
    assert "nextToken" not in rest
    logs.delete_log_group(logGroupName="/ecs/web")
    error(lambda: logs.delete_log_group(logGroupName="/ecs/web"), "ResourceNotFoundException")
    assert len(logs.describe_log_groups()["logGroups"]) == 2


def test_log_group_names_are_checked(logs: Any) -> None:
    error(lambda: logs.create_log_group(logGroupName="bad name!"), "ValidationException")
    raw = client("logs", logs.meta.endpoint_url, parameter_validation=False)
    error(lambda: raw.create_log_group(logGroupName="x" * 513), "ValidationException")
    assert logs.describe_log_groups()["logGroups"] == []


def test_log_streams_are_created_listed_ordered_and_deleted(logs: Any) -> None:
    make(logs, "app", "b", "a", "c")
    error(lambda: logs.create_log_stream(logGroupName="app", logStreamName="a"),
          "ResourceAlreadyExistsException")
    error(lambda: logs.create_log_stream(logGroupName="nope", logStreamName="a"),
          "ResourceNotFoundException")
    error(lambda: logs.create_log_stream(logGroupName="app", logStreamName="x:y"),
          "ValidationException")
    names = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="app")
             ["logStreams"]]
    assert names == ["a", "b", "c"]
    put(logs, "app", "c", ["one"], now_ms() - 3000)
    put(logs, "app", "a", ["two"], now_ms() - 1000)
    put(logs, "app", "b", ["three"], now_ms() - 2000)
    by_time = logs.describe_log_streams(logGroupName="app", orderBy="LastEventTime",
                                        descending=True)["logStreams"]
    assert [s["logStreamName"] for s in by_time] == ["a", "b", "c"]
    s = by_time[0]
    assert s["arn"] == ("arn:aws:logs:us-east-1:000000000000:log-group:app:log-stream:a")
    assert s["firstEventTimestamp"] == s["lastEventTimestamp"]
    assert s["lastIngestionTime"] >= s["lastEventTimestamp"]
    error(lambda: logs.describe_log_streams(logGroupName="app", orderBy="LastEventTime",
                                            logStreamNamePrefix="a"),
          "InvalidParameterException")
    page = logs.describe_log_streams(logGroupName="app", limit=2)
    assert len(page["logStreams"]) == 2
    rest = logs.describe_log_streams(logGroupName="app", limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["c"]
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:app"
    assert len(logs.describe_log_streams(logGroupIdentifier=arn)["logStreams"]) == 3
    error(lambda: logs.describe_log_streams(logGroupName="app", logGroupIdentifier="app"),
          "InvalidParameterException")
    logs.delete_log_stream(logGroupName="app", logStreamName="a")
    error(lambda: logs.delete_log_stream(logGroupName="app", logStreamName="a"),
          "ResourceNotFoundException")
    error(lambda: logs.get_log_events(logGroupName="app", logStreamName="a"),
          "ResourceNotFoundException")
    assert logs.describe_log_groups()["logGroups"][0]["storedBytes"] == len("one") + len("three")


# -- PutLogEvents ---------------------------------------------------------------------------


def test_put_log_events_needs_the_group_and_stream(logs: Any) -> None:
    msg = error(lambda: put(logs, "none", "s", ["x"]), "ResourceNotFoundException")
    assert msg == "The specified log group does not exist."
    logs.create_log_group(logGroupName="g")
    msg = error(lambda: put(logs, "g", "s", ["x"]), "ResourceNotFoundException")
    assert msg == "The specified log stream does not exist."


def test_events_of_a_batch_must_be_in_chronological_order(logs: Any) -> None:
    """API Reference: "The log events in the batch must be in chronological order by their
    timestamp" — else the operation fails, and nothing is stored."""
    make(logs)
    t = now_ms()
    error(lambda: logs.put_log_events(
        logGroupName="app", logStreamName="s1",
        logEvents=[{"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}],
    ), "InvalidParameterException")
    assert logs.get_log_events(logGroupName="app", logStreamName="s1")["events"] == []


def test_a_batch_may_not_span_more_than_24_hours(logs: Any) -> None:
    make(logs)
    t = now_ms()
    error(lambda: logs.put_log_events(
        logGroupName="app", logStreamName="s1",
        logEvents=[{"timestamp": t - DAY_MS - 60_000, "message": "a"},
                   {"timestamp": t, "message": "b"}],
    ), "InvalidParameterException")


def test_batch_size_counts_26_bytes_per_event(logs: Any) -> None:
    """The maximum batch is 1,048,576 bytes: the messages' UTF-8 bytes plus 26 per event."""
    make(logs)
    n = 4
    each = 1_048_576 // n - 26
    ok = put(logs, "app", "s1", ["x" * each] * n)
    assert "rejectedLogEventsInfo" not in ok
    error(lambda: put(logs, "app", "s1", ["x" * (each + 1)] * n), "InvalidParameterException")
    raw = client("logs", logs.meta.endpoint_url, parameter_validation=False)
    error(lambda: raw.put_log_events(logGroupName="app", logStreamName="s1", logEvents=[]),
          "ValidationException")
    assert logs.describe_log_streams(logGroupName="app")["logStreams"][0]["storedBytes"] == (
        each * n)


def test_too_old_too_new_and_expired_events_are_rejected_the_rest_stored(logs: Any) -> None:
    """Events more than 2 hours in the future, older than 14 days or before the group's
    retention are rejected while the remaining valid events are processed."""
    make(logs)
    logs.put_retention_policy(logGroupName="app", retentionInDays=7)
    t = now_ms()
    stamps = [t - 15 * DAY_MS, t - 14 * DAY_MS - 60_000, t - 8 * DAY_MS,
              t - 60_000, t, t + 3 * HOUR_MS, t + 4 * HOUR_MS]
    out = logs.put_log_events(
        logGroupName="app", logStreamName="s1",
        logEvents=[{"timestamp": s, "message": f"m{i}"} for i, s in enumerate(stamps)],
    )
    assert out["rejectedLogEventsInfo"] == {
        "tooOldLogEventEndIndex": 1, "expiredLogEventEndIndex": 2,
        "tooNewLogEventStartIndex": 5,
    }
    got = logs.get_log_events(logGroupName="app", logStreamName="s1", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["m3", "m4"]


def test_the_sequence_token_is_ignored(logs: Any) -> None:
    make(logs)
    first = put(logs, "app", "s1", ["a"])
    out = logs.put_log_events(logGroupName="app", logStreamName="s1", sequenceToken="123",
                              logEvents=[{"timestamp": now_ms(), "message": "b"}])
    assert out["nextSequenceToken"] != first["nextSequenceToken"]


# -- GetLogEvents ---------------------------------------------------------------------------


def test_get_log_events_from_head_and_tail_with_tokens(logs: Any) -> None:
    make(logs)
    t = now_ms() - 100_000
    put(logs, "app", "s1", [f"line {i}" for i in range(25)], t)
    head = logs.get_log_events(logGroupName="app", logStreamName="s1", startFromHead=True,
                               limit=10)
    assert [e["message"] for e in head["events"]] == [f"line {i}" for i in range(10)]
    assert head["events"][0]["timestamp"] == t
    nxt = logs.get_log_events(logGroupName="app", logStreamName="s1", limit=10,
                              nextToken=head["nextForwardToken"])
    assert [e["message"] for e in nxt["events"]] == [f"line {i}" for i in range(10, 20)]
    tail = logs.get_log_events(logGroupName="app", logStreamName="s1", limit=10)
    assert [e["message"] for e in tail["events"]] == [f"line {i}" for i in range(15, 25)]
    back = logs.get_log_events(logGroupName="app", logStreamName="s1", limit=10,
                               nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == [f"line {i}" for i in range(5, 15)]
    end = logs.get_log_events(logGroupName="app", logStreamName="s1",
                              nextToken=tail["nextForwardToken"])
    assert end["events"] == []
    assert end["nextForwardToken"] == tail["nextForwardToken"]
    put(logs, "app", "s1", ["later"], t + 50_000)
    after = logs.get_log_events(logGroupName="app", logStreamName="s1",
                                nextToken=end["nextForwardToken"])
    assert [e["message"] for e in after["events"]] == ["later"]
    window = logs.get_log_events(logGroupName="app", logStreamName="s1", startFromHead=True,
                                 startTime=t + 5, endTime=t + 8)
    assert [e["message"] for e in window["events"]] == ["line 5", "line 6", "line 7"]
    error(lambda: logs.get_log_events(logGroupName="app", logStreamName="s1",
                                      nextToken="garbage"), "InvalidParameterException")
    raw = client("logs", logs.meta.endpoint_url, parameter_validation=False)
    error(lambda: raw.get_log_events(logGroupName="app", logStreamName="s1", limit=10_001),
          "ValidationException")


def test_aws_cli_reads_log_events(url: str, logs: Any) -> None:
    make(logs)
    put(logs, "app", "s1", ["hello from the cli"])
    out = json.loads(aws_cli(url, "logs", "get-log-events", "--log-group-name", "app",
                             "--log-stream-name", "s1").stdout)
    assert [e["message"] for e in out["events"]] == ["hello from the cli"]


# -- FilterLogEvents ------------------------------------------------------------------------

LINES = [
    "ERROR Exception in thread main",
    "ERROR timeout talking to db",
    "WARN disk 91% full",
    "INFO request done",
    "[ERROR] 400 BAD REQUEST",
    "Out of memory: killed process 42",
    json.dumps({"level": "error", "latency": 250, "user": {"id": "u-1"}, "ok": False}),
    json.dumps({"level": "info", "latency": 50, "user": {"id": "u-2"}, "ok": True}),
    json.dumps({"level": "error", "latency": 90, "tags": ["a", "b"], "ok": None}),
    json.dumps({"level": "warn", "latency": "120", "path": "/api/v1/items"}),
]

# (pattern, indexes of LINES it matches): the User Guide's syntax, one case per row
PATTERNS: list[tuple[str, list[int]]] = [
    ("", list(range(10))),
    ("ERROR", [0, 1, 4]),
    ("ERROR Exception", [0]),
    ("ERROR -Exception", [1, 4]),
    ("?WARN ?INFO", [2, 3]),
    ('"Out of memory"', [5]),
    ('"[ERROR]"', [4]),
    ("%process [0-9]+%", [5]),
    ("%^(WARN|INFO) %", [2, 3]),
    ("error", [6, 8]),  # terms are case-sensitive
    ('{ $.level = "error" }', [6, 8]),
    ("{ $.level = error }", [6, 8]),
    ('{ $.level != "error" }', [7, 9]),
    ("{ $.latency > 100 }", [6]),
    ("{ $.latency >= 50 && $.latency < 100 }", [7, 8]),
    ('{ $.level = "error" && $.latency > 100 }', [6]),
    ('{ $.level = "info" || $.latency > 200 }', [6, 7]),
    ('{ ($.level = "error" || $.level = "warn") && $.latency < 100 }', [8]),
    ('{ $.user.id = "u-2" }', [7]),
    ('{ $.tags[1] = "b" }', [8]),
    ('{ $.path = "/api/*" }', [9]),
    ("{ $.level = err* }", [6, 8]),
    ("{ $.ok IS TRUE }", [7]),
    ("{ $.ok IS FALSE }", [6]),
    ("{ $.ok IS NULL }", [8]),
    ("{ $.user NOT EXISTS }", [8, 9]),
    ("{ $.latency = 120 }", [9]),  # a numeric string compares as a number for =
]


@pytest.mark.parametrize(("pattern", "matches"), PATTERNS,
                         ids=[p or "<empty>" for p, _ in PATTERNS])
def test_filter_log_events_pattern(logs: Any, pattern: str, matches: list[int]) -> None:
    make(logs, "app", "s1", "s2")
    t = now_ms() - 60_000
    for i, line in enumerate(LINES):
        logs.put_log_events(logGroupName="app", logStreamName="s1" if i % 2 else "s2",
                            logEvents=[{"timestamp": t + i, "message": line}])
    out = logs.filter_log_events(logGroupName="app", filterPattern=pattern)
    assert [e["message"] for e in out["events"]] == [LINES[i] for i in matches]
    assert {e["logStreamName"] for e in out["events"]} <= {"s1", "s2"}


@pytest.mark.parametrize("pattern", ['"unterminated', "{ $.a = }", "{ $.a > x }", "{ $.a = 1",
                                     "[ip, user]", "{ && }",
                                     "%(%"])
def test_invalid_filter_patterns_are_rejected(logs: Any, pattern: str) -> None:
    make(logs)
    error(lambda: logs.filter_log_events(logGroupName="app", filterPattern=pattern),
          "InvalidParameterException")


def test_filter_log_events_interleaves_streams_and_pages(logs: Any) -> None:
    make(logs, "app", "a", "b", "c")
    t = now_ms() - 60_000
    for i in range(30):
        stream = "abc"[i % 3]
        logs.put_log_events(logGroupName="app", logStreamName=stream,
                            logEvents=[{"timestamp": t + i, "message": f"e{i}"}])
    page = logs.filter_log_events(logGroupName="app", limit=12)
    assert [e["message"] for e in page["events"]] == [f"e{i}" for i in range(12)]
    assert len({e["eventId"] for e in page["events"]}) == 12
    pager = logs.get_paginator("filter_log_events")
    every = [e["message"] for p in pager.paginate(logGroupName="app",
                                                  PaginationConfig={"PageSize": 7})
             for e in p["events"]]
    assert every == [f"e{i}" for i in range(30)]
    only = logs.filter_log_events(logGroupName="app", logStreamNames=["b"],
                                  startTime=t + 10, endTime=t + 20)
    assert [e["message"] for e in only["events"]] == ["e10", "e13", "e16", "e19"]
    pref = logs.filter_log_events(logGroupName="app", logStreamNamePrefix="c", limit=2)
    assert [e["message"] for e in pref["events"]] == ["e2", "e5"]
    error(lambda: logs.filter_log_events(logGroupName="app", logStreamNames=["a"],
                                         logStreamNamePrefix="a"),
          "InvalidParameterException")


# -- retention and tags ---------------------------------------------------------------------


def test_retention_policy_values_are_checked(logs: Any) -> None:
    make(logs)
    error(lambda: logs.put_retention_policy(logGroupName="app", retentionInDays=2),
          "InvalidParameterException")
    error(lambda: logs.put_retention_policy(logGroupName="none", retentionInDays=1),
          "ResourceNotFoundException")
    logs.put_retention_policy(logGroupName="app", retentionInDays=30)
    assert logs.describe_log_groups()["logGroups"][0]["retentionInDays"] == 30
    logs.delete_retention_policy(logGroupName="app")
    assert "retentionInDays" not in logs.describe_log_groups()["logGroups"][0]


def test_tags_by_arn_and_by_name(logs: Any) -> None:
    logs.create_log_group(logGroupName="app", tags={"env": "dev"})
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:app"
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev"}
    logs.tag_resource(resourceArn=arn, tags={"team": "core"})
    assert logs.list_tags_log_group(logGroupName="app")["tags"] == {"env": "dev",
                                                                   "team": "core"}
    logs.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "core"}
    # the tagging API takes the ARN without the trailing ":*" (its pattern has no "*")
    error(lambda: logs.list_tags_for_resource(resourceArn=arn + ":*"), "ValidationException")
    error(lambda: logs.tag_resource(resourceArn=arn + "x", tags={"a": "b"}),
          "ResourceNotFoundException")
    error(lambda: logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)}),
          "TooManyTagsException")
    error(lambda: logs.tag_resource(resourceArn=arn, tags={"aws:x": "v"}),
          "InvalidParameterException")
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "core"}
