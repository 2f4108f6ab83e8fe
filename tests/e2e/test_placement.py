"""Placement on several registered instances (ECS Developer Guide, "Amazon ECS task
placement strategies", "constraints", "Create expressions to define container
instances"): binpack, spread, distinctInstance, memberOf with every operator, failure
reasons, resources given back when tasks stop."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.fake_agent import FakeAgent


def taskdef(ecs: Any, family: str, cpu: int = 256, memory: int = 256, **td: Any) -> None:
    ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "app", "image": "busybox", "cpu": cpu, "memory": memory}],
        **td,
    )


FLEET: dict[str, dict[str, Any]] = {
    "a": {"zone": "us-east-1a", "instance_type": "t3.small", "cpu": 1024, "memory": 2048,
          "attributes": {"tier": "web", "version": "1.2"}},
    "b": {"zone": "us-east-1b", "instance_type": "m5.large", "cpu": 2048, "memory": 4096,
          "attributes": {"tier": "api", "version": "2.0"}},
    "c": {"zone": "us-east-1a", "instance_type": "m5.xlarge", "cpu": 4096, "memory": 8192,
          "attributes": {"tier": "batch", "gpu": None}},
    "d": {"zone": "us-east-1c", "instance_type": "c5.large", "cpu": 2048, "memory": 3072,
          "attributes": {}},
}


@pytest.fixture
def fleet(url: str, ecs: Any) -> dict[str, FakeAgent]:
    ecs.create_cluster(clusterName="pl")
    out = {}
    for name, spec in FLEET.items():
        a = FakeAgent(url, cluster="pl", **spec)
        a.register()
        out[name] = a
    return out


def where(fleet: dict[str, FakeAgent], tasks: list[dict[str, Any]]) -> list[str]:
    by_arn = {a.arn: n for n, a in fleet.items()}
    return [by_arn[t["containerInstanceArn"]] for t in tasks]


def test_binpack_fills_the_fullest_instance_first(ecs: Any, fleet: dict[str, FakeAgent]) -> None:
    taskdef(ecs, "bp", memory=512)
    out = ecs.run_task(cluster="pl", taskDefinition="bp", count=4,
                       placementStrategy=[{"type": "binpack", "field": "memory"}])
    # a has the least memory (2048): it takes all four 512 MiB tasks
    assert where(fleet, out["tasks"]) == ["a"] * 4
    out = ecs.run_task(cluster="pl", taskDefinition="bp", count=1,
                       placementStrategy=[{"type": "binpack", "field": "memory"}])
    assert where(fleet, out["tasks"]) == ["d"]  # a is full; d (3072) is the next fullest


def test_spread_over_zones_balances(ecs: Any, fleet: dict[str, FakeAgent]) -> None:
    taskdef(ecs, "sp", cpu=64, memory=64)
    out = ecs.run_task(cluster="pl", taskDefinition="sp", count=9, placementStrategy=[
        {"type": "spread", "field": "attribute:ecs.availability-zone"}])
    zones = Counter(FLEET[n]["zone"] for n in where(fleet, out["tasks"]))
    assert sorted(zones.values()) == [3, 3, 3]


def test_distinct_instance_never_co_locates(ecs: Any, fleet: dict[str, FakeAgent]) -> None:
    taskdef(ecs, "di", cpu=64, memory=64)
    out = ecs.run_task(cluster="pl", taskDefinition="di", count=6,
                       placementConstraints=[{"type": "distinctInstance"}])
    assert sorted(where(fleet, out["tasks"])) == ["a", "b", "c", "d"]
    assert {f["reason"] for f in out["failures"]} == {
        "DistinctInstance placement constraint unsatisfied."}


MEMBER_OF = [
    ("attribute:tier == web", {"a"}),
    ("attribute:tier != web", {"b", "c", "d"}),
    ("attribute:tier in [web, api]", {"a", "b"}),
    ("attribute:tier not_in [web, api]", {"c", "d"}),
    ("attribute:gpu exists", {"c"}),
    ("attribute:tier =~ b.*", {"c"}),
    ("attribute:ecs.availability-zone == us-east-1a and attribute:tier == web", {"a"}),
    ("attribute:tier == web or attribute:tier == api", {"a", "b"}),
    ("not(attribute:tier == web)", {"b", "c", "d"}),
    ("(attribute:tier == web or attribute:tier == batch) and "
     "attribute:ecs.availability-zone == us-east-1a", {"a", "c"}),
    ("ec2InstanceType =~ m5.*", {"b", "c"}),
    ("ec2InstanceType in [t3.small, c5.large]", {"a", "d"}),
    ("attribute:version > 1.5", {"b"}),
    ("registeredAt >= 2000-01-01", {"a", "b", "c", "d"}),
    ("registeredAt < 2000-01-01", set()),
    ("runningTasksCount == 0", {"a", "b", "c", "d"}),
    ("task:group == family:never", set()),
    ("not(task:group == family:never)", {"a", "b", "c", "d"}),
]


@pytest.mark.parametrize(("expression", "expected"), MEMBER_OF)
def test_member_of_selects_exactly(
    ecs: Any, fleet: dict[str, FakeAgent], expression: str, expected: set[str]
) -> None:
    taskdef(ecs, "mo", cpu=64, memory=64)
    out = ecs.run_task(cluster="pl", taskDefinition="mo", count=4, placementConstraints=[
        {"type": "distinctInstance"}, {"type": "memberOf", "expression": expression}])
    assert set(where(fleet, out["tasks"])) == expected
    assert len(out["tasks"]) == len(expected)


def test_task_group_member_of_follows_placed_tasks(ecs: Any, fleet: dict[str, FakeAgent]) -> None:
    taskdef(ecs, "g", cpu=64, memory=64)
    first = ecs.run_task(cluster="pl", taskDefinition="g", group="db", placementConstraints=[
        {"type": "memberOf", "expression": "attribute:tier == api"}])
    assert where(fleet, first["tasks"]) == ["b"]
    out = ecs.run_task(cluster="pl", taskDefinition="g", count=3, placementConstraints=[
        {"type": "memberOf", "expression": "task:group == db"}])
    assert where(fleet, out["tasks"]) == ["b", "b", "b"]


def test_task_definition_constraints_are_merged(ecs: Any, fleet: dict[str, FakeAgent]) -> None:
    taskdef(ecs, "tdc", cpu=64, memory=64, placementConstraints=[
        {"type": "memberOf", "expression": "attribute:ecs.availability-zone == us-east-1a"}])
    out = ecs.run_task(cluster="pl", taskDefinition="tdc", count=4, placementConstraints=[
        {"type": "memberOf", "expression": "attribute:tier != batch"}])
    assert set(where(fleet, out["tasks"])) == {"a"}


def test_limits_of_constraints_and_strategies(ecs: Any, fleet: dict[str, FakeAgent]) -> None:
    taskdef(ecs, "lim", cpu=64, memory=64)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.run_task(cluster="pl", taskDefinition="lim", placementConstraints=[
            {"type": "memberOf", "expression": "attribute:tier exists"}] * 11)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.run_task(cluster="pl", taskDefinition="lim",
                     placementStrategy=[{"type": "random"}] * 6)
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.run_task(cluster="pl", taskDefinition="lim", placementConstraints=[
            {"type": "memberOf", "expression": "attribute:tier =="}])


def test_what_fits_nowhere_fails_with_the_reason_and_stopped_tasks_give_back(
    ecs: Any, fleet: dict[str, FakeAgent]
) -> None:
    taskdef(ecs, "big", cpu=64, memory=8192)
    out = ecs.run_task(cluster="pl", taskDefinition="big", count=2)
    assert where(fleet, out["tasks"]) == ["c"]
    assert {f["arn"]: f["reason"] for f in out["failures"]} == {
        a.arn: "RESOURCE:MEMORY" for a in fleet.values()}
    c = fleet["c"]
    mem = {r["name"]: r["integerValue"] for r in c.describe()["remainingResources"]
           if r["name"] == "MEMORY"}
    assert mem == {"MEMORY": 0}
    arn = out["tasks"][0]["taskArn"]
    ecs.stop_task(cluster="pl", task=arn)
    c.poll()
    c.report(arn, "STOPPED")
    mem = {r["name"]: r["integerValue"] for r in c.describe()["remainingResources"]
           if r["name"] == "MEMORY"}
    assert mem == {"MEMORY": 8192}
    again = ecs.run_task(cluster="pl", taskDefinition="big")
    assert where(fleet, again["tasks"]) == ["c"]
