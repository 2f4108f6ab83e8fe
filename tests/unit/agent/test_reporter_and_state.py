"""Reporter ordering and retries; the agent's state file; log echo."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from cargobay.agent.ecs_client import ApiError, Unreachable
from cargobay.agent.logs import LogEcho, log_path
from cargobay.agent.reporter import Reporter
from cargobay.agent.state import AgentState, ContainerRecord, StateFile, TaskRecord
from cargobay.clock import RealClock
from tests.unit.agent.fakes import TASK_ARN, FakeApi


def reporter(api: FakeApi, sent: list[str]) -> Reporter:
    return Reporter(
        api,
        RealClock(),
        lambda: "cluster-arn",  # type: ignore[arg-type]
        lambda arn, status: sent.append(status),
        pending_delay=0.05,
    )


def test_pending_is_dropped_for_a_fast_running_and_running_precedes_stopped() -> None:
    api, sent = FakeApi(), []

    async def body() -> None:
        r = reporter(api, sent)
        r.task_changed(TASK_ARN, {"status": "PENDING"})
        r.task_changed(TASK_ARN, {"status": "RUNNING"})
        r.task_changed(TASK_ARN, {"status": "STOPPED", "reason": "x"})
        await r.drained(TASK_ARN)

    asyncio.run(body())
    assert api.statuses() == ["RUNNING", "STOPPED"] and sent == ["RUNNING", "STOPPED"]
    assert all(p["cluster"] == "cluster-arn" and p["task"] == TASK_ARN for _, p in api.calls)


def test_a_slow_start_still_reports_pending() -> None:
    api, sent = FakeApi(), []

    async def body() -> None:
        r = reporter(api, sent)
        r.task_changed(TASK_ARN, {"status": "PENDING"})
        await asyncio.sleep(0.15)
        r.task_changed(TASK_ARN, {"status": "RUNNING"})
        await r.drained(TASK_ARN)

    asyncio.run(body())
    assert api.statuses() == ["PENDING", "RUNNING"]


def test_unreachable_is_retried_and_a_refusal_is_dropped() -> None:
    api, sent = FakeApi(), []
    api.failures = [
        Unreachable("down"),
        Unreachable("down"),
        ApiError("InvalidParameterException", "gone", 400),
    ]

    async def body() -> None:
        r = reporter(api, sent)
        r.task_changed(TASK_ARN, {"status": "RUNNING"})
        r.task_changed(TASK_ARN, {"status": "STOPPED"})
        await asyncio.wait_for(r.drained(TASK_ARN), 5)

    asyncio.run(body())
    assert api.statuses() == ["STOPPED"] and sent == ["STOPPED"]


def test_state_file_round_trip_and_a_corrupt_file(tmp_path: Path) -> None:
    f = StateFile(str(tmp_path))
    assert f.load().instance_arn is None
    rec = TaskRecord(
        TASK_ARN,
        {"taskArn": TASK_ARN},
        known_status="RUNNING",
        containers={"app": ContainerRecord("app", runtime_id="c1", status="RUNNING")},
    )
    f.save(
        AgentState(
            cluster="c",
            instance_arn="arn:i",
            instance_id="i-1",
            runtime="docker",
            tasks={TASK_ARN: rec},
        )
    )
    back = f.load()
    assert (back.instance_arn, back.instance_id, back.runtime) == ("arn:i", "i-1", "docker")
    assert back.tasks[TASK_ARN].containers["app"].runtime_id == "c1"
    (tmp_path / "agent-state.json").write_text("{not json")
    assert f.load().instance_arn is None
    assert StateFile(None).load().tasks == {}


def test_log_echo_prefixes_whole_lines(tmp_path: Path) -> None:
    path = log_path(str(tmp_path), "tid", "web/1")
    assert path.endswith("logs/tid/web_1.log")
    Path(path).parent.mkdir(parents=True)
    out = io.StringIO()
    echo = LogEcho(RealClock(), out)
    echo.follow(path, "tid", "web")
    Path(path).write_text("one\ntw")
    echo.pump()
    assert out.getvalue() == "[tid/web] one\n"
    with open(path, "a") as fh:
        fh.write("o\nthree")
    echo.unfollow(path)
    echo.pump()
    assert out.getvalue() == "[tid/web] one\n[tid/web] two\n[tid/web] three\n"
