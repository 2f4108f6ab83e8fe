"""The awslogs shipper's batching, against a fake CloudWatch Logs: AWS's PutLogEvents
limits (10,000 events; 1,048,576 bytes counting 26 bytes per event), long lines split
at Docker's event size, empty lines dropped, events in clock order, a refused batch
dropped and reported once, an unreachable endpoint retried with the batch kept."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from cargobay.agent import awslogs as mod
from cargobay.agent.assignment import Assignment
from cargobay.agent.awslogs import AwsLogs
from cargobay.agent.awslogs_client import LogsError, LogsUnreachable
from cargobay.clock import SimClock

CREDS = {"AccessKeyId": "AKIA", "SecretAccessKey": "s", "Token": "t",
         "expiresAt": 1_700_000_000.0 + 3600}


class FakePlane:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def post(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, body))
        return dict(CREDS) if name == "credentials" else {"revoked": 1}


class FakeLogs:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: Exception | None = None

    async def call(self, op: str, body: dict[str, Any], creds: Any, region: str) -> Any:
        if self.fail is not None and op == "PutLogEvents":
            raise self.fail
        self.calls.append((op, body))
        return {}

    def close(self) -> None:
        pass

    def batches(self) -> list[list[dict[str, Any]]]:
        return [b["logEvents"] for op, b in self.calls if op == "PutLogEvents"]


def task(**opts: str) -> Assignment:
    return Assignment.from_doc({
        "taskArn": "arn:aws:ecs:us-east-1:000000000000:task/c/abc123",
        "desiredStatus": "RUNNING",
        "taskDefinition": {
            "family": "f", "revision": 1,
            "executionRoleArn": "arn:aws:iam::000000000000:role/exec",
            "containerDefinitions": [{"name": "app", "image": "x", "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": "g", "awslogs-stream-prefix": "p", **opts}}}],
        },
    })


def shipper(tmp_path: Path) -> tuple[AwsLogs, FakeLogs, Path]:
    plane = FakePlane()
    s = AwsLogs(SimClock(), plane, endpoint="http://127.0.0.1:1",  # type: ignore[arg-type]
                region="us-east-1", instance_arn=lambda: "arn:instance")
    fake = FakeLogs()
    s._client = fake  # type: ignore[assignment]
    return s, fake, tmp_path / "app.log"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_streams_are_made_before_start_and_named_prefix_container_task(tmp_path: Path) -> None:
    s, fake, _ = shipper(tmp_path)
    run(s.prepare(task(**{"awslogs-create-group": "true"})))
    assert fake.calls == [
        ("CreateLogGroup", {"logGroupName": "g"}),
        ("CreateLogStream", {"logGroupName": "g", "logStreamName": "p/app/abc123"}),
    ]


def test_batches_respect_the_event_count_and_byte_limits(tmp_path: Path) -> None:
    s, fake, path = shipper(tmp_path)
    t = task()
    run(s.prepare(t))
    lines = [f"l{i}" for i in range(25_000)] + ["", "x" * 300_000, *(["y" * 100_000] * 12)]
    path.write_text("\n".join(lines) + "\n")
    s.follow(str(path), t.task_id, "app")
    run(s.finish_task(t))
    batches = fake.batches()
    for b in batches:
        assert len(b) <= mod.MAX_BATCH_EVENTS
        size = sum(len(e["message"].encode()) + mod.EVENT_OVERHEAD for e in b)
        assert size <= mod.MAX_BATCH_BYTES
        stamps = [e["timestamp"] for e in b]
        assert stamps == sorted(stamps)
    sent = [e["message"] for b in batches for e in b]
    assert sent[:25_000] == lines[:25_000]
    # the empty line is dropped, the 300,000-byte line split at 262,118 bytes
    assert sent[25_000:25_002] == ["x" * mod.MAX_EVENT_BYTES,
                                   "x" * (300_000 - mod.MAX_EVENT_BYTES)]
    assert sent[25_002:] == ["y" * 100_000] * 12
    # 5,000 short lines (32 bytes each with the overhead), the split line and five of the
    # 100,026-byte events fill the third batch to 960,182 bytes; a sixth would pass 1 MiB
    assert [len(b) for b in batches] == [10_000, 10_000, 5_000 + 2 + 5, 7]


def test_the_execution_role_is_asked_for_and_its_keys_released_at_the_end(
    tmp_path: Path,
) -> None:
    s, _, _ = shipper(tmp_path)
    plane: FakePlane = s.plane  # type: ignore[assignment]
    t = task()
    run(s.prepare(t))
    assert plane.calls == [("credentials", {"containerInstanceArn": "arn:instance",
                                            "taskArn": t.task_arn, "role": "execution"})]
    run(s.finish_task(t))
    assert plane.calls[-1] == ("release", {"containerInstanceArn": "arn:instance",
                                           "taskArn": t.task_arn})
    assert s._streams == {} and s._creds == {}


def test_a_task_without_awslogs_costs_nothing(tmp_path: Path) -> None:
    s, fake, _ = shipper(tmp_path)
    t = task()
    t.task_definition["containerDefinitions"][0].pop("logConfiguration")
    run(s.prepare(t))
    run(s.finish_task(t))
    assert s.plane.calls == [] and fake.calls == []  # type: ignore[attr-defined]


def test_a_refused_batch_is_dropped_and_reported_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s, fake, path = shipper(tmp_path)
    t = task()
    run(s.prepare(t))
    fake.fail = LogsError("AccessDeniedException", "not authorized to perform: "
                          "logs:PutLogEvents")
    path.write_text("a\n")
    s.follow(str(path), t.task_id, "app")

    async def two_passes() -> None:
        await s._flush(list(s._streams.values()))
        with path.open("a") as f:
            f.write("b\n")
        await s._flush(list(s._streams.values()))

    with caplog.at_level(logging.WARNING, logger="cargobay.agent.awslogs"):
        run(two_passes())
    assert fake.batches() == []
    warnings = [r for r in caplog.records if "AccessDeniedException" in r.getMessage()]
    assert len(warnings) == 1


def test_an_unreachable_endpoint_keeps_the_batch_for_the_next_pass(tmp_path: Path) -> None:
    s, fake, path = shipper(tmp_path)
    t = task()
    run(s.prepare(t))
    fake.fail = LogsUnreachable("connection refused")
    path.write_text("kept\n")
    s.follow(str(path), t.task_id, "app")

    async def passes() -> None:
        await s._flush(list(s._streams.values()))
        fake.fail = None
        await s._flush(list(s._streams.values()))

    run(passes())
    assert [[e["message"] for e in b] for b in fake.batches()] == [["kept"]]


def test_partial_lines_wait_for_their_newline(tmp_path: Path) -> None:
    s, fake, path = shipper(tmp_path)
    t = task()
    run(s.prepare(t))
    path.write_text("whole\npart")
    s.follow(str(path), t.task_id, "app")

    async def passes() -> None:
        await s._flush(list(s._streams.values()))
        assert [e["message"] for b in fake.batches() for e in b] == ["whole"]
        with path.open("a") as f:
            f.write("ial\n")
        await s._flush(list(s._streams.values()))

    run(passes())
    assert [e["message"] for b in fake.batches() for e in b] == ["whole", "partial"]
