"""The task runner's rules, against an in-memory runtime (amazon-ecs-agent's desired vs
known: one supervisor per task, ordered states NONE → PENDING → RUNNING → STOPPED)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.runtime import HealthStatus
from cargobay.agent.task_runner import ESSENTIAL_EXITED, TaskRunner
from tests.unit.agent.fakes import FakeApi, FakeRuntime, assignment, container, make_runner


def run(body: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(asyncio.wait_for(body(), 10))


async def until(check: Callable[[], bool]) -> None:
    for _ in range(1000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not met")


async def finish(runner: TaskRunner, task: asyncio.Task[None]) -> None:
    await asyncio.wait_for(task, 5)
    await runner.ctx.reporter.drained(runner.task.task_arn)


def test_an_essential_exit_stops_the_task_and_every_other_container() -> None:
    rt, api = FakeRuntime(), FakeApi()

    async def body() -> None:
        r = make_runner(assignment(container("app"), container("side", essential=False)), rt, api)
        t = asyncio.create_task(r.run())
        await until(lambda: r.known == "RUNNING")
        rt.exit("app", 3)
        await finish(r, t)
        report = api.last_task_report()
        assert report["status"] == "STOPPED" and report["reason"] == ESSENTIAL_EXITED
        by_name = {c["containerName"]: c for c in report["containers"]}
        assert by_name["app"]["exitCode"] == 3
        assert by_name["side"]["exitCode"] == 143 and by_name["side"]["status"] == "STOPPED"
        assert "executionStoppedAt" in report and "pullStartedAt" in report

    run(body)
    assert api.statuses() == ["RUNNING", "STOPPED"]  # PENDING superseded by a fast RUNNING


def test_a_non_essential_exit_is_reported_alone_and_the_task_keeps_running() -> None:
    rt, api = FakeRuntime(), FakeApi()

    async def body() -> None:
        r = make_runner(assignment(container("app"), container("job", essential=False)), rt, api)
        t = asyncio.create_task(r.run())
        await until(lambda: r.known == "RUNNING")
        rt.exit("job", 0)
        await until(lambda: any(op == "submit_container_state_change" for op, _ in api.calls))
        assert r.known == "RUNNING"
        r.update(Assignment.from_doc({**r.task.to_doc(), "desiredStatus": "STOPPED"}))
        await finish(r, t)

    run(body)
    [(_, change)] = [c for c in api.calls if c[0] == "submit_container_state_change"]
    assert change["containerName"] == "job" and change["exitCode"] == 0
    assert api.last_task_report()["reason"] == "Task stopped by user"


def test_dependencies_start_in_order_and_stop_in_reverse() -> None:
    rt, api = FakeRuntime(), FakeApi()
    rt.exit_on_start["init"] = 0
    task = assignment(
        container(
            "web",
            dependsOn=[
                {"containerName": "db", "condition": "START"},
                {"containerName": "init", "condition": "SUCCESS"},
            ],
        ),
        container("db", essential=False),
        container("init", essential=False),
    )

    async def body() -> None:
        r = make_runner(task, rt, api)
        t = asyncio.create_task(r.run())
        await until(lambda: r.known == "RUNNING")
        r.stop("enough")
        await finish(r, t)

    run(body)
    starts = [n for e, n in rt.events if e == "start"]
    assert starts.index("web") > starts.index("db") and starts.index("web") > starts.index("init")
    stops = [n for e, n in rt.events if e == "stop"]
    assert stops == ["web", "db"]  # the dependent first; init had already exited


def test_a_failed_success_dependency_fails_the_task_before_its_dependent_starts() -> None:
    rt, api = FakeRuntime(), FakeApi()
    rt.exit_on_start["init"] = 2
    task = assignment(
        container("init", essential=False),
        container("web", dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
    )

    async def body() -> None:
        r = make_runner(task, rt, api)
        await asyncio.wait_for(r.run(), 5)
        await r.ctx.reporter.drained(r.task.task_arn)

    run(body)
    assert ("start", "web") not in rt.events
    report = api.last_task_report()
    assert report["status"] == "STOPPED" and "exited with code 2" in report["reason"]
    web = next(c for c in report["containers"] if c["containerName"] == "web")
    assert "exitCode" not in web and web["status"] == "STOPPED"


def test_a_healthy_dependency_waits_for_health_and_reports_it() -> None:
    rt, api = FakeRuntime(), FakeApi()
    check = {"command": ["CMD-SHELL", "true"], "interval": 1}
    task = assignment(
        container("db", healthCheck=check),
        container("web", dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]),
    )

    async def body() -> None:
        r = make_runner(task, rt, api)
        t = asyncio.create_task(r.run())
        await until(lambda: ("start", "db") in rt.events)
        await asyncio.sleep(0.05)
        assert ("start", "web") not in rt.events and r.health() == {"db": "UNKNOWN"}
        rt.set_health("db", HealthStatus.HEALTHY)
        await until(lambda: ("start", "web") in rt.events)
        assert r.health() == {"db": "HEALTHY"}
        r.stop("done")
        await finish(r, t)

    run(body)


def test_a_dependency_that_never_resolves_times_out() -> None:
    rt, api = FakeRuntime(), FakeApi()
    task = assignment(
        container("db"),
        container(
            "web", startTimeout=0.1, dependsOn=[{"containerName": "db", "condition": "COMPLETE"}]
        ),
    )

    async def body() -> None:
        r = make_runner(task, rt, api)
        await asyncio.wait_for(r.run(), 5)
        await r.ctx.reporter.drained(r.task.task_arn)

    run(body)
    assert api.last_task_report()["reason"].startswith("DependencyTimeoutError")
    assert ("stop", "db") in rt.events


def test_an_image_that_cannot_be_pulled_stops_the_task_with_its_reason() -> None:
    rt, api = FakeRuntime(missing_images={"nope"}), FakeApi()

    async def body() -> None:
        r = make_runner(assignment({"name": "app", "image": "nope"}), rt, api)
        await asyncio.wait_for(r.run(), 5)
        await r.ctx.reporter.drained(r.task.task_arn)

    run(body)
    report = api.last_task_report()
    assert report["reason"].startswith("CannotPullContainerError:")
    assert report["containers"][0]["reason"].startswith("CannotPullContainerError:")
    assert "pullStartedAt" in report and "pullStoppedAt" in report
    assert not [e for e in rt.events if e[0] == "create"]


def test_stop_before_start_reports_stopped_without_running_anything() -> None:
    rt, api = FakeRuntime(), FakeApi()
    task = assignment(container("app"), desiredStatus="STOPPED", stopReason="never mind")

    async def body() -> None:
        r = make_runner(task, rt, api)
        await asyncio.wait_for(r.run(), 5)
        await r.ctx.reporter.drained(r.task.task_arn)

    run(body)
    assert rt.events == []
    assert api.statuses() == ["STOPPED"]
    assert api.last_task_report()["reason"] == "never mind"


def test_oom_reason_and_137_reach_the_report() -> None:
    rt, api = FakeRuntime(), FakeApi()

    async def body() -> None:
        r = make_runner(assignment(container("hog", memory=8)), rt, api)
        t = asyncio.create_task(r.run())
        await until(lambda: r.known == "RUNNING")
        rt.exit("hog", 137, oom=True)
        await finish(r, t)

    run(body)
    [c] = api.last_task_report()["containers"]
    assert c["exitCode"] == 137
    assert c["reason"] == "OutOfMemoryError: Container killed due to memory usage"


def test_stop_timeout_is_the_containers_own() -> None:
    rt, api = FakeRuntime(), FakeApi()
    rt.ignores_term.add("app")

    async def body() -> float:
        r = make_runner(assignment(container("app", stopTimeout=0.2)), rt, api)
        t = asyncio.create_task(r.run())
        await until(lambda: r.known == "RUNNING")
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        r.stop("bye")
        await finish(r, t)
        return loop.time() - t0

    took = run(body)
    assert 0.2 <= took < 2
    assert api.last_task_report()["containers"][0]["exitCode"] == 137
