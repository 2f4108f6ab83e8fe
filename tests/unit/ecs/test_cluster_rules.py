"""The pure pieces behind clusters: names, settings, strategies, namespaces, statistics."""

from __future__ import annotations

import pytest

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import cluster_settings as rules
from cargobay.services.ecs.cluster_stats import (
    STAT_NAMES,
    cluster_statistics,
    instances_held,
    services_held,
    tasks_held,
)
from cargobay.services.ecs.errors import InvalidParameterException


def ctx(region: str = "us-east-1", account: str = "000000000000") -> RequestContext:
    return RequestContext("ecs", "CreateCluster", region, account, "req-1", "json")


@pytest.mark.parametrize("name", ["a", "default", "A_b-9", "x" * 255])
def test_cluster_names_ecs_accepts(name: str) -> None:
    assert rules.check_cluster_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 256, "a b", "a.b", "a/b", "a:b", "ü"])
def test_cluster_names_ecs_refuses(name: str) -> None:
    with pytest.raises(InvalidParameterException):
        rules.check_cluster_name(name)


def test_cluster_settings_keep_one_value_per_name() -> None:
    got = rules.cluster_settings([{"name": "containerInsights", "value": "enabled"},
                                  {"name": "containerInsights", "value": "enhanced"}])
    assert got == [{"name": "containerInsights", "value": "enhanced"}]
    assert rules.merge_settings(got, [{"name": "containerInsights", "value": "disabled"}]) == [
        {"name": "containerInsights", "value": "disabled"}
    ]


def test_strategy_items_get_ecs_defaults_for_weight_and_base() -> None:
    got = rules.capacity_provider_strategy(
        [{"capacityProvider": "FARGATE"}, {"capacityProvider": "FARGATE_SPOT", "base": 3}],
        ["FARGATE", "FARGATE_SPOT"],
    )
    assert got == [{"capacityProvider": "FARGATE", "weight": 0, "base": 0},
                   {"capacityProvider": "FARGATE_SPOT", "weight": 0, "base": 3}]


def test_a_strategy_holds_at_most_twenty_providers() -> None:
    names = [f"cp{i}" for i in range(21)]
    with pytest.raises(InvalidParameterException):
        rules.capacity_provider_strategy([{"capacityProvider": n} for n in names], names)


def test_namespace_names_map_to_a_stable_arn_per_account_and_region() -> None:
    a = rules.service_connect_defaults(ctx(), "shop")
    assert a == rules.service_connect_defaults(ctx(), "shop")
    assert a is not None and a["namespace"].startswith(
        "arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-")
    assert a != rules.service_connect_defaults(ctx(region="eu-west-1"), "shop")
    assert a != rules.service_connect_defaults(ctx(), "shop2")
    assert rules.service_connect_defaults(ctx(), "") is None


def test_statistics_are_strings_in_ecs_order_and_ignore_junk() -> None:
    stats = cluster_statistics({"runningFargateTasksCount": 4, "pendingEC2TasksCount": -1,
                                "activeEC2ServiceCount": True, "unknown": 9})
    assert [s["name"] for s in stats] == list(STAT_NAMES)
    values = {s["name"]: s["value"] for s in stats}
    assert values["runningFargateTasksCount"] == "4"
    assert values["pendingEC2TasksCount"] == "0"
    assert values["activeEC2ServiceCount"] == "0"
    assert all(isinstance(v, str) for v in values.values())


def test_what_holds_a_cluster() -> None:
    doc = {"activeServicesCount": 1, "registeredContainerInstancesCount": 0,
           "runningTasksCount": 0, "pendingTasksCount": 2,
           "stats": {"drainingEC2ServiceCount": 1}}
    assert services_held(doc) == 2
    assert instances_held(doc) == 0
    assert tasks_held(doc) == 2
    assert services_held({}) == instances_held({}) == tasks_held({}) == 0
