"""The rolling update's arithmetic (ECS Developer Guide, "Deploy Amazon ECS services by
replacing tasks"), the DAEMON plan, the deployment configuration's defaults and checks,
and the circuit breaker's threshold and failure count, as pure functions."""

from __future__ import annotations

import pytest

from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import circuit_breaker, daemon, deployments
from cargobay.services.ecs.deployments import TaskView, plan
from cargobay.services.ecs.service_tasks import TaskState

NEW, OLD = "ecs-svc/2", "ecs-svc/1"


def task(i: int, deployment: str = NEW, *, healthy: bool = True, unhealthy: bool = False,
         draining: bool = False, instance: str = "", zone: str = "a") -> TaskView:
    return TaskView(f"t{i}", deployment, healthy, unhealthy, draining,
                    instance or f"i{i % 3}", zone, float(i))


def stops(p: deployments.Plan) -> list[str]:
    return [t for t, _ in p.stop]


# -- configuration ---------------------------------------------------------------------------


def test_defaults_are_100_200_for_replica_and_0_100_for_daemon() -> None:
    rep = deployments.configuration(None, "REPLICA")
    dae = deployments.configuration(None, "DAEMON")
    assert (rep["minimumHealthyPercent"], rep["maximumPercent"]) == (100, 200)
    assert (dae["minimumHealthyPercent"], dae["maximumPercent"]) == (0, 100)
    assert rep["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}


def test_an_update_changes_only_what_it_names() -> None:
    first = deployments.configuration({"minimumHealthyPercent": 50}, "REPLICA")
    second = deployments.configuration(
        {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}, "REPLICA", first
    )
    assert (second["minimumHealthyPercent"], second["maximumPercent"]) == (50, 200)
    assert second["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


@pytest.mark.parametrize(
    ("given", "strategy"),
    [
        ({"minimumHealthyPercent": 101}, "REPLICA"),
        ({"maximumPercent": 99}, "REPLICA"),
        ({"maximumPercent": 200}, "DAEMON"),
        ({"strategy": "BLUE_GREEN"}, "REPLICA"),
    ],
)
def test_bad_configurations_are_refused(given: dict[str, int], strategy: str) -> None:
    with pytest.raises(AwsError) as info:
        deployments.configuration(given, strategy)
    assert info.value.code == "InvalidParameterException"


def test_min_rounds_up_and_max_rounds_down() -> None:
    # "if the minimum healthy percent is 75% and the desired task count is two, then the
    # scheduler can't stop any tasks due to the resulting value also being two"
    assert deployments.min_healthy(2, 75) == 2
    assert deployments.min_healthy(4, 50) == 2
    assert deployments.max_tasks(3, 150) == 4
    assert deployments.max_tasks(4, 200) == 8


def test_deployment_ids_look_like_ecs_ones() -> None:
    d = deployments.new_id()
    assert d.startswith("ecs-svc/") and len(d) == len("ecs-svc/") + 19 and d[8:].isdigit()


# -- the rolling update ----------------------------------------------------------------------


def test_a_new_service_starts_its_desired_count() -> None:
    p = plan(4, 100, 200, NEW, [])
    assert (p.start, p.stop, p.stuck) == (4, [], False)


def test_200_percent_starts_every_new_task_before_stopping_an_old_one() -> None:
    # "if the maximum percent is 200 and the desired task count is four, then the
    # scheduler can start four new tasks before stopping the four old tasks"
    old = [task(i, OLD) for i in range(4)]
    p = plan(4, 100, 200, NEW, old)
    assert (p.start, p.stop) == (4, [])
    pending = [task(10 + i, healthy=False) for i in range(4)]
    p = plan(4, 100, 200, NEW, old + pending)
    assert (p.start, p.stop, p.stuck) == (0, [], False)  # waiting for the new ones
    running = [task(10 + i) for i in range(4)]
    p = plan(4, 100, 200, NEW, old + running)
    assert sorted(stops(p)) == ["t0", "t1", "t2", "t3"] and p.start == 0


def test_50_percent_stops_two_old_tasks_then_starts_two_new_ones() -> None:
    # "if the minimum healthy percent is 50 and the desired task count is four, then the
    # scheduler can stop two existing tasks before starting two new tasks"
    old = [task(i, OLD) for i in range(4)]
    p = plan(4, 50, 100, NEW, old)
    assert len(p.stop) == 2 and p.start == 2
    kept = [t for t in old if t.task_id not in stops(p)]
    new = [task(10, healthy=False), task(11, healthy=False)]
    p = plan(4, 50, 100, NEW, kept + new)
    assert (p.start, p.stop) == (0, [])  # the two new ones must be healthy first
    new = [task(10), task(11)]
    p = plan(4, 50, 100, NEW, kept + new)
    assert len(p.stop) == 2 and p.start == 2


def test_min_100_max_100_cannot_move() -> None:
    p = plan(1, 100, 100, NEW, [task(0, OLD)])
    assert (p.start, p.stop, p.stuck) == (0, [], True)


def test_tasks_that_stopped_are_replaced() -> None:
    p = plan(3, 100, 200, NEW, [task(0)])
    assert (p.start, p.stop) == (2, [])


def test_scale_in_stops_tasks_that_are_not_healthy_first_then_the_newest() -> None:
    tasks = [task(0), task(1), task(2), task(3, healthy=False)]
    p = plan(2, 100, 200, NEW, tasks)
    assert stops(p)[0] == "t3" and len(p.stop) == 2 and p.start == 0


def test_scale_in_keeps_zones_balanced() -> None:
    tasks = [task(0, zone="a", instance="x"), task(1, zone="a", instance="y"),
             task(2, zone="b", instance="z")]
    p = plan(2, 100, 200, NEW, tasks)
    assert stops(p) == ["t1"]  # zone a had two, and t1 is the newer one there


def test_tasks_on_draining_instances_are_replaced_first_within_the_maximum() -> None:
    tasks = [task(0, draining=True), task(1), task(2)]
    p = plan(3, 100, 200, NEW, tasks)
    assert (p.start, p.stop) == (1, [])  # healthy 3 = the minimum: no stop yet
    p = plan(3, 100, 200, NEW, [*tasks, task(3)])
    assert stops(p) == ["t0"] and p.stop[0][1] == "drain"


def test_unhealthy_tasks_are_replaced_before_they_stop() -> None:
    # "the scheduler will start replacement tasks first and maintain
    # minimumHealthyPercent tasks until the replacement tasks become healthy"
    tasks = [task(0, healthy=False, unhealthy=True), task(1), task(2)]
    p = plan(3, 100, 200, NEW, tasks)
    assert (p.start, p.stop) == (1, [])
    p = plan(3, 100, 200, NEW, [*tasks, task(3, healthy=False)])
    assert (p.start, p.stop) == (0, [])
    p = plan(3, 100, 200, NEW, [*tasks, task(3)])
    assert p.stop == [("t0", "unhealthy")]


def test_unhealthy_tasks_stop_one_by_one_when_the_maximum_leaves_no_room() -> None:
    tasks = [task(0, healthy=False, unhealthy=True), task(1, healthy=False, unhealthy=True)]
    p = plan(2, 0, 100, NEW, tasks)
    assert len(p.stop) == 1 and p.stop[0][1] == "unhealthy"


def test_a_failed_or_draining_service_starts_nothing() -> None:
    p = plan(3, 100, 200, NEW, [], can_start=False)
    assert (p.start, p.stuck) == (0, False)
    p = plan(0, 0, 200, NEW, [task(0), task(1, OLD)])
    assert sorted(stops(p)) == ["t0", "t1"]


def test_never_below_the_minimum_nor_above_the_maximum_through_a_whole_rollout() -> None:
    """Simulate rollouts pass by pass (new tasks become healthy one pass after they
    start, stopped ones go at once) for many configurations."""
    for desired in (1, 2, 3, 4, 5, 7, 10):
        for low, high in ((100, 200), (50, 100), (50, 150), (0, 100), (75, 125), (100, 150)):
            lo, hi = deployments.min_healthy(desired, low), deployments.max_tasks(desired, high)
            tasks = [task(i, OLD) for i in range(desired)]
            n = 100
            for _ in range(50):
                p = plan(desired, low, high, NEW, tasks)
                gone = set(stops(p))
                tasks = [t for t in tasks if t.task_id not in gone]
                assert sum(t.healthy for t in tasks) >= min(lo, desired)
                tasks = [TaskView(t.task_id, t.deployment, True, False, False, t.instance,
                                  t.zone, t.created_at) for t in tasks]
                for _ in range(p.start):
                    n += 1
                    tasks.append(task(n, healthy=False))
                assert len(tasks) <= max(hi, desired)
                if not p.start and not p.stop and all(t.deployment == NEW for t in tasks):
                    break
                if p.stuck:
                    # only when neither a stop nor a start is allowed at all
                    assert lo == desired == hi, (desired, low, high)
                    break
            else:
                raise AssertionError(f"no end: desired {desired}, {low}/{high}")
            if not p.stuck:
                assert [t.deployment for t in tasks] == [NEW] * desired, (desired, low, high)


# -- DAEMON ----------------------------------------------------------------------------------


def host(key: str, status: str = "ACTIVE", eligible: bool = True, **kw: bool) -> daemon.Host:
    return daemon.Host(key, status, eligible, **kw)


def test_daemon_one_task_per_eligible_instance() -> None:
    hosts = [host("a"), host("b"), host("c", eligible=False)]
    p = daemon.plan(NEW, 0, 100, hosts, [task(0, instance="a")])
    assert (p.desired, p.start_on, p.stop) == (2, ["b"], [])


def test_daemon_stops_duplicates_and_tasks_off_constraint() -> None:
    hosts = [host("a"), host("c", eligible=False)]
    tasks = [task(0, instance="a"), task(1, instance="a", healthy=False),
             task(2, instance="c")]
    p = daemon.plan(NEW, 0, 100, hosts, tasks)
    assert sorted(p.stop) == [("t1", "duplicate"), ("t2", "constraint")]


def test_daemon_tasks_leave_a_draining_instance_last() -> None:
    tasks = [task(0, instance="a")]
    p = daemon.plan(NEW, 0, 100, [host("a", "DRAINING", False)], tasks)
    assert p.stop == [] and p.desired == 0
    p = daemon.plan(NEW, 0, 100, [host("a", "DRAINING", False, only_daemons=True)], tasks)
    assert p.stop == [("t0", "drain")]


def test_daemon_rollout_stops_the_old_task_then_starts_the_new_one() -> None:
    hosts = [host("a"), host("b")]
    old = [task(0, OLD, instance="a"), task(1, OLD, instance="b")]
    p = daemon.plan(NEW, 0, 100, hosts, old)
    assert sorted(stops(p)) == ["t0", "t1"] and p.start_on == []
    stopping = [host("a", stopping=True), host("b")]
    p = daemon.plan(NEW, 0, 100, stopping, [])
    assert p.start_on == ["b"]
    p = daemon.plan(NEW, 50, 100, hosts, old)  # one at a time
    assert len(p.stop) == 1


# -- the circuit breaker ---------------------------------------------------------------------


@pytest.mark.parametrize(("desired", "expected"),
                         [(1, 3), (6, 3), (7, 4), (25, 13), (400, 200), (800, 200)])
def test_threshold_is_half_the_desired_count_between_3_and_200(desired: int,
                                                               expected: int) -> None:
    assert circuit_breaker.threshold(desired) == expected


def state(i: int, *, ran: bool, code: str, at: float, deployment: str = NEW,
          reason: str = "") -> TaskState:
    return TaskState(f"t{i}", f"k/t{i}", deployment, "i", "a", "STOPPED", "STOPPED",
                     "UNKNOWN", False, ran, 0.0, stop_code=code, stopped_reason=reason,
                     stopping_at=at, stopped_at=at)


def test_failures_count_tasks_that_never_ran_until_one_succeeds() -> None:
    d = {"id": NEW, "createdAt": 0.0, "_since": 0.0}
    states = [
        state(0, ran=False, code="TaskFailedToStart", at=1.0),
        state(1, ran=False, code="EssentialContainerExited", at=2.0),
        state(2, ran=True, code="EssentialContainerExited", at=3.0),  # it ran: stage 1 ok
        state(3, ran=False, code="ServiceSchedulerInitiated", at=4.0),  # we stopped it
        state(4, ran=False, code="TaskFailedToStart", at=5.0, deployment=OLD),
    ]
    assert circuit_breaker.failed_tasks(d, states) == 2
    d["_succeededAt"] = 3.5  # stage 2: only tasks stopped for failed health checks
    unhealthy = state(5, ran=True, code="ServiceSchedulerInitiated", at=6.0,
                      reason=circuit_breaker.HEALTH_CHECK_REASON)
    assert circuit_breaker.failed_tasks(d, [*states, unhealthy]) == 1
