"""The DAEMON scheduling strategy and restarts of the scheduler, on a simulated clock
(harness: test_scheduler_sim.py)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.ecs.test_scheduler_sim import CTX, Plane, run


def on(p: Plane, name: str = "dd") -> dict[str, int]:
    """Live tasks of the service by instance ARN."""
    out: dict[str, int] = {}
    for t in p.tasks(name):
        out[t["containerInstanceArn"]] = out.get(t["containerInstanceArn"], 0) + 1
    return out


def test_a_daemon_runs_one_task_per_instance_and_follows_instances_that_join() -> None:
    """"The daemon service scheduler places one task on each active container instance
    that meets all of the task placement constraints"; a joining instance gets one."""

    async def scenario(p: Plane) -> None:
        a, b = p.host(), p.host()
        p.taskdef("agentd", cpu=64, memory=64)
        svc = p.create("dd", taskDefinition="agentd", schedulingStrategy="DAEMON")
        assert svc["desiredCount"] == 0
        cfg = svc["deploymentConfiguration"]
        assert (cfg["minimumHealthyPercent"], cfg["maximumPercent"]) == (0, 100)
        await p.settle()
        assert on(p) == {a.arn: 1, b.arn: 1}
        assert p.service("dd")["desiredCount"] == 2
        await p.converge()
        assert p.messages("dd")[-1] == "(service dd) has reached a steady state."
        c = p.host()
        await p.settle(1)
        assert on(p) == {a.arn: 1, b.arn: 1, c.arn: 1}
        assert p.service("dd")["desiredCount"] == 3
        await p.converge()
        assert p.service("dd")["runningCount"] == 3

    run(scenario)


def test_daemon_tasks_leave_a_draining_instance_after_the_replica_tasks() -> None:
    async def scenario(p: Plane) -> None:
        a = p.host(zone="us-east-1a")
        b = p.host(zone="us-east-1b")
        p.taskdef("agentd", cpu=64, memory=64)
        p.taskdef("web")
        p.create("dd", taskDefinition="agentd", schedulingStrategy="DAEMON")
        p.create("web", taskDefinition="web", desiredCount=2)
        await p.settle()
        await p.converge()
        assert on(p, "web") == {a.arn: 1, b.arn: 1}
        a.set_status("DRAINING")
        await p.settle(1)
        # the daemon stays while the replica task is being replaced
        assert on(p, "dd") == {a.arn: 1, b.arn: 1}
        assert p.service("dd")["desiredCount"] == 1
        await p.converge()
        assert on(p, "web") == {b.arn: 2}
        await p.settle(1)
        assert on(p, "dd") == {b.arn: 1}
        await p.converge()
        assert p.service("dd")["runningCount"] == 1
        assert p.messages("dd")[-1] == "(service dd) has reached a steady state."

    run(scenario)


def test_a_daemon_follows_its_constraints() -> None:
    async def scenario(p: Plane) -> None:
        a = p.host(attributes={"role": "web"})
        b = p.host(attributes={"role": "db"})
        p.taskdef("agentd", cpu=64, memory=64)
        p.create("dd", taskDefinition="agentd", schedulingStrategy="DAEMON",
                 placementConstraints=[{"type": "memberOf",
                                        "expression": "attribute:role == web"}])
        await p.settle()
        assert on(p) == {a.arn: 1}
        await p.converge()
        p.ecs.put_attributes(CTX, {"attributes": [{
            "name": "role", "value": "db", "targetType": "container-instance",
            "targetId": a.arn}]})
        p.ecs.put_attributes(CTX, {"attributes": [{
            "name": "role", "value": "web", "targetType": "container-instance",
            "targetId": b.arn}]})
        await p.settle(1)
        assert on(p) == {b.arn: 1}
        stopped = p.tasks("dd", desired="STOPPED")
        assert [t["containerInstanceArn"] for t in stopped] == [a.arn]
        assert any(m.startswith("(service dd) stopped 1 tasks that no longer met the "
                                "placement constraints") for m in p.messages("dd"))

    run(scenario)


def test_a_daemon_deployment_replaces_the_task_on_each_instance() -> None:
    async def scenario(p: Plane) -> None:
        a, b = p.host(), p.host()
        p.taskdef("agentd", cpu=64, memory=64)
        p.taskdef("agentd", cpu=64, memory=64)
        p.create("dd", taskDefinition="agentd:1", schedulingStrategy="DAEMON")
        await p.settle()
        await p.converge()
        p.update("dd", taskDefinition="agentd:2")
        await p.settle()
        # 0 / 100: the old task stops first, the new one starts once it is gone
        assert on(p) == {}
        await p.converge()
        assert on(p) == {a.arn: 1, b.arn: 1}
        assert {t["taskDefinitionArn"][-8:] for t in p.tasks("dd")} == {"agentd:2"}
        d = p.service("dd")["deployments"]
        assert [(x["status"], x["rolloutState"]) for x in d] == [("PRIMARY", "COMPLETED")]

    run(scenario)


# -- restarts --------------------------------------------------------------------------------


def test_a_restarted_control_plane_resumes_and_starts_no_duplicate(tmp_path: Path) -> None:
    """The scheduler counts the tasks that exist for each deployment (startedBy, group),
    so after a restart on the same store it starts nothing twice."""
    arns: set[str] = set()

    async def first(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.create(desiredCount=3)
        await p.settle()
        arns.update(t["taskArn"] for t in p.tasks())  # placed, not yet running

    run(first, str(tmp_path))

    async def second(p: Plane) -> None:
        await p.settle(2)
        assert {t["taskArn"] for t in p.tasks()} == arns
        assert len(p.messages()) == 1  # the first "has started 3 tasks", nothing since
        host = p.hosts_from_store()
        await host.converge()
        await p.settle(1)
        svc = p.service()
        assert (svc["runningCount"], svc["deployments"][0]["rolloutState"]) == (
            3, "COMPLETED")
        assert {t["taskArn"] for t in p.tasks()} == arns

    run(second, str(tmp_path))


def test_an_index_rebuilt_from_the_store_sees_what_the_hook_saw() -> None:
    async def scenario(p: Plane) -> None:
        p.host()
        p.taskdef()
        p.create(desiredCount=4)
        await p.settle()
        await p.converge()
        skey = "000000000000/us-east-1/default/web"
        before = dict(p.ecs._index.of(skey))
        p.ecs._index.load()
        assert p.ecs._index.of(skey) == before

    run(scenario)
