"""Rolling updates, health, draining and the circuit breaker on a simulated clock
(harness: test_scheduler_sim.py)."""

from __future__ import annotations

import math

import pytest

from tests.unit.ecs.test_scheduler_sim import ESSENTIAL_EXITED, Plane, run


async def sampled_rollout(p: Plane, desired: int, low: int, high: int,
                          passes: int = 40) -> list[tuple[int, int]]:
    """Agents follow the plane pass by pass; after every step the service's tasks by
    lastStatus: (RUNNING, RUNNING or PENDING) of the desired-RUNNING ones."""
    samples: list[tuple[int, int]] = []

    def sample() -> None:
        tasks = p.tasks()
        running = sum(1 for t in tasks if t["lastStatus"] == "RUNNING")
        live = sum(1 for t in tasks if t["lastStatus"] in ("RUNNING", "PENDING",
                                                             "PROVISIONING", "ACTIVATING"))
        samples.append((running, live))

    for _ in range(passes):
        for h in p.hosts:
            await h.poll()
            # one report at a time, sampling after each
            for arn, t in h.desired.items():
                status = p.task(arn)["lastStatus"]
                if t["desiredStatus"] == "RUNNING" and status == "PENDING":
                    h.report(arn, "RUNNING")
                elif t["desiredStatus"] == "STOPPED":
                    h.report(arn, "STOPPED", t.get("stopReason"))
                else:
                    continue
                sample()
                await p.settle()
                sample()
        await p.settle(1)
        sample()
        d = p.service()["deployments"]
        if len(d) == 1 and d[0]["rolloutState"] == "COMPLETED":
            break
    return samples


@pytest.mark.parametrize(("desired", "low", "high"),
                         [(4, 100, 200), (4, 50, 100), (5, 50, 150), (3, 0, 100), (6, 75, 125)])
def test_a_rolling_update_stays_within_min_healthy_and_max_percent(
    desired: int, low: int, high: int
) -> None:
    """ECS Developer Guide, "Deploy Amazon ECS services by replacing tasks": never fewer
    than minimumHealthyPercent (rounded up) RUNNING, never more than maximumPercent
    (rounded down) RUNNING or PENDING."""

    async def scenario(p: Plane) -> None:
        p.host(zone="us-east-1a")
        p.host(zone="us-east-1b")
        p.taskdef()
        p.taskdef()
        p.create(taskDefinition="web:1", desiredCount=desired, deploymentConfiguration={
            "minimumHealthyPercent": low, "maximumPercent": high})
        await p.settle()
        await p.converge()
        first = p.service()["deployments"][0]["id"]
        p.update(taskDefinition="web:2")
        svc = p.service()
        assert [d["status"] for d in svc["deployments"]] == ["PRIMARY", "ACTIVE"]
        assert svc["deployments"][1]["id"] == first
        await p.settle()
        samples = await sampled_rollout(p, desired, low, high)
        floor, ceiling = math.ceil(desired * low / 100), math.floor(desired * high / 100)
        assert min(r for r, _ in samples) >= floor, samples
        assert max(live for _, live in samples) <= ceiling, samples
        svc = p.service()
        assert [(d["status"], d["rolloutState"]) for d in svc["deployments"]] == [
            ("PRIMARY", "COMPLETED")]
        assert {t["taskDefinitionArn"].rsplit(":", 1)[1] for t in p.running()} == {"2"}
        assert svc["runningCount"] == desired

    run(scenario)


def test_min_and_max_100_cannot_deploy_and_say_so() -> None:
    async def scenario(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.taskdef()
        p.create(taskDefinition="web:1", desiredCount=1, deploymentConfiguration={
            "minimumHealthyPercent": 100, "maximumPercent": 100})
        await p.settle()
        await p.converge()
        p.update(taskDefinition="web:2")
        await p.settle(2)
        assert p.messages()[-1] == (
            "(service web) was unable to stop or start tasks during a deployment because of "
            "the service deployment configuration. Update the minimumHealthyPercent or "
            "maximumPercent value and try again.")
        assert len(p.tasks()) == 1

    run(scenario)


def test_tasks_with_health_checks_count_once_healthy_and_unhealthy_ones_are_replaced() -> None:
    """A task counts healthy once RUNNING and HEALTHY; an UNHEALTHY one is replaced
    (replacement first), then stopped with "Task failed container health checks"."""

    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef(health=True)
        p.create(desiredCount=2)
        await p.settle()
        await p.converge()
        d = p.service()["deployments"][0]
        assert d["rolloutState"] == "IN_PROGRESS"  # RUNNING, health UNKNOWN
        arns = [t["taskArn"] for t in p.running()]
        await h.poll(health={a: {"app": "HEALTHY"} for a in arns})
        await p.settle(1)
        assert p.service()["deployments"][0]["rolloutState"] == "COMPLETED"
        await h.poll(health={arns[0]: {"app": "UNHEALTHY"}, arns[1]: {"app": "HEALTHY"}})
        await p.settle(1)
        tasks = p.tasks()
        assert len(tasks) == 3 and arns[0] in {t["taskArn"] for t in tasks}  # replaced first
        await p.converge()
        new = next(t["taskArn"] for t in p.tasks() if t["taskArn"] not in arns)
        await h.poll(health={arns[0]: {"app": "UNHEALTHY"}, arns[1]: {"app": "HEALTHY"},
                             new: {"app": "HEALTHY"}})
        await p.settle(1)
        gone = p.task(arns[0])
        assert (gone["desiredStatus"], gone["stopCode"], gone["stoppedReason"]) == (
            "STOPPED", "ServiceSchedulerInitiated", "Task failed container health checks")

    run(scenario)


def test_unhealthy_is_ignored_during_the_grace_period() -> None:
    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef(health=True)
        p.create(desiredCount=1, healthCheckGracePeriodSeconds=60)
        await p.settle()
        await p.converge()
        arn = p.running()[0]["taskArn"]
        await h.poll(health={arn: {"app": "UNHEALTHY"}})
        await p.settle(30)
        assert len(p.tasks()) == 1
        await p.settle(31)
        assert len(p.tasks()) == 2  # a replacement, then the unhealthy one goes

    run(scenario)


def test_tasks_on_a_draining_instance_are_replaced_elsewhere_first() -> None:
    """ECS: "the service scheduler starts replacement tasks on other instances before
    stopping those on the draining instance, within maximumPercent"."""

    async def scenario(p: Plane) -> None:
        a = p.host(zone="us-east-1a")
        p.host(zone="us-east-1b")
        p.taskdef()
        p.create(desiredCount=2)
        await p.settle()
        await p.converge()
        on_a = [t["taskArn"] for t in p.tasks() if t["containerInstanceArn"] == a.arn]
        assert len(on_a) == 1
        a.set_status("DRAINING")
        await p.settle(1)
        tasks = p.tasks()
        assert len(tasks) == 3 and on_a[0] in {t["taskArn"] for t in tasks}
        await p.converge()
        assert on_a[0] not in {t["taskArn"] for t in p.tasks()}
        assert all(t["containerInstanceArn"] != a.arn for t in p.tasks())
        assert p.service()["runningCount"] == 2

    run(scenario)


# -- the circuit breaker -----------------------------------------------------------------------


def test_a_deployment_whose_tasks_fail_to_start_trips_the_breaker_and_rolls_back() -> None:
    """Threshold max(3, ceil(desired / 2)); FAILED with "ECS deployment circuit breaker:
    tasks failed to start."; rollback to the last COMPLETED deployment."""

    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef()
        p.taskdef()
        # 0 / 100: the old tasks stop first, so the rollback has tasks to start again
        p.create(taskDefinition="web:1", desiredCount=2, deploymentConfiguration={
            "minimumHealthyPercent": 0, "maximumPercent": 100,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        await p.settle()
        await p.converge()
        good = p.service()["deployments"][0]["id"]
        p.update(taskDefinition="web:2")
        bad = p.service()["deployments"][0]["id"]
        failures = 0
        for _ in range(10):
            await p.settle()
            failures += await h.fail_all(revision="web:2")
            d = p.service()["deployments"]
            if d[0]["id"] == good:
                break
            assert d[0]["failedTasks"] == failures
        assert failures == 4  # two batches of two: the threshold is 3
        svc = p.service()
        primary, failed = svc["deployments"]
        assert (primary["id"], primary["status"], primary["rolloutState"]) == (
            good, "PRIMARY", "IN_PROGRESS")
        assert primary["rolloutStateReason"] == (
            f"ECS deployment circuit breaker: rolling back to deploymentId {good}.")
        assert (failed["id"], failed["status"], failed["rolloutState"], failed["failedTasks"]) \
            == (bad, "ACTIVE", "FAILED", 4)
        assert failed["rolloutStateReason"] == (
            "ECS deployment circuit breaker: tasks failed to start.")
        assert svc["taskDefinition"].endswith("web:1")
        msgs = p.messages()
        at = msgs.index(f"(service web) (deployment {bad}) deployment failed: tasks failed to "
                        "start.")
        assert msgs[at + 1] == f"(service web) rolling back to deployment {good}."
        assert msgs[at + 2].startswith("(service web) has started 2 tasks: ")
        await p.settle()
        await p.converge()
        svc = p.service()
        assert [(d["id"], d["rolloutState"]) for d in svc["deployments"]] == [
            (good, "COMPLETED")]
        assert svc["runningCount"] == 2
        assert {t["taskDefinitionArn"][-5:] for t in p.running()} == {"web:1"}
        assert p.messages()[-1] == "(service web) has reached a steady state."

    run(scenario)


def test_a_rollback_to_running_tasks_completes_at_once() -> None:
    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef()
        p.taskdef()
        p.create(taskDefinition="web:1", desiredCount=2, deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}})
        await p.settle()
        await p.converge()
        good = p.service()["deployments"][0]["id"]
        old = {t["taskArn"] for t in p.running()}
        p.update(taskDefinition="web:2")
        for _ in range(5):
            await p.settle()
            await h.fail_all(revision="web:2")
        await p.settle()
        svc = p.service()
        assert [(d["id"], d["rolloutState"]) for d in svc["deployments"]] == [
            (good, "COMPLETED")]
        assert {t["taskArn"] for t in p.running()} == old  # never stopped (minimum 100%)

    run(scenario)


def test_without_rollback_a_failed_deployment_launches_no_more() -> None:
    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef()
        p.create(desiredCount=8, deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": False}})
        failures = 0
        for _ in range(10):
            await p.settle(120)  # beyond any throttling
            failures += await h.fail_all()
        d = p.service()["deployments"][0]
        # the first batch of 8 all failed (threshold 4): FAILED, nothing launched after
        assert (d["status"], d["rolloutState"], d["failedTasks"]) == ("PRIMARY", "FAILED", 8)
        assert failures == 8
        await p.settle(600)
        assert p.tasks() == []
        assert p.messages()[-1] == (
            f"(service web) (deployment {d['id']}) deployment failed: tasks failed to start.")

    run(scenario)


def test_a_task_that_ran_ends_stage_one_and_only_health_failures_count_after() -> None:
    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef()
        p.create(desiredCount=1, deploymentConfiguration={
            "deploymentCircuitBreaker": {"enable": True, "rollback": False}})
        await p.settle()
        await p.converge()
        # crashes after RUNNING are not stage-2 failures (no health check failed)
        for _ in range(5):
            arn = p.running()[0]["taskArn"]
            h.report(arn, "STOPPED", ESSENTIAL_EXITED)
            await p.settle()
            await p.converge()
        d = p.service()["deployments"][0]
        assert (d["rolloutState"], d["failedTasks"]) == ("COMPLETED", 0)

    run(scenario)


def test_failing_tasks_are_throttled_and_the_service_says_so() -> None:
    """After 3 failures in a row the scheduler waits 5 s, then doubles."""

    async def scenario(p: Plane) -> None:
        h = p.host()
        p.taskdef()
        p.create(desiredCount=1)
        await p.settle()
        for _ in range(4):
            assert await h.fail_all() == 1
            await p.settle()
        assert p.tasks() == []  # the 4th failure: wait 5 s
        assert p.messages()[-1] == (
            "(service web) is unable to consistently start tasks successfully.")
        await p.settle(4.5)
        assert p.tasks() == []
        await p.settle(1)
        assert len(p.tasks()) == 1
        assert await h.fail_all() == 1
        await p.settle(9)
        assert p.tasks() == []  # now 10 s
        await p.settle(1.5)
        assert len(p.tasks()) == 1
        await p.converge()  # it runs: the count starts over
        assert p.service()["runningCount"] == 1

    run(scenario)
