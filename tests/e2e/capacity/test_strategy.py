"""Capacity provider strategies on RunTask and CreateService (CapacityProviderStrategyItem):
base first, then weight; the cluster's default strategy when neither launchType nor a
strategy is given; tasks carry capacityProviderName.  FARGATE and FARGATE_SPOT are the
two providers here, so no instance is needed."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from tests.support import expect_error

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}


def fargate_td(ecs: Any) -> str:
    return str(ecs.register_task_definition(
        family="spot", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512",
        containerDefinitions=[{"name": "main", "image": "cargobay-test/busybox:latest",
                               "command": ["sleep", "600"], "stopTimeout": 2}],
    )["taskDefinition"]["taskDefinitionArn"])


def providers_of(ecs: Any, cluster: str, arns: list[str]) -> Counter[str]:
    got = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
    return Counter(t["capacityProviderName"] for t in got)


def test_run_task_splits_by_base_then_weight(ecs: Any) -> None:
    ecs.create_cluster(clusterName="s", capacityProviders=["FARGATE", "FARGATE_SPOT"])
    td = fargate_td(ecs)
    out = ecs.run_task(cluster="s", taskDefinition=td, count=10, networkConfiguration=NETWORK,
                       capacityProviderStrategy=[
                           {"capacityProvider": "FARGATE", "base": 2, "weight": 1},
                           {"capacityProvider": "FARGATE_SPOT", "weight": 3}])
    assert out["failures"] == []
    # 2 for the base, then the other 8 split 1:3
    assert Counter(t["capacityProviderName"] for t in out["tasks"]) == {
        "FARGATE": 4, "FARGATE_SPOT": 6}
    assert providers_of(ecs, "s", [t["taskArn"] for t in out["tasks"]]) == {
        "FARGATE": 4, "FARGATE_SPOT": 6}
    for t in out["tasks"]:
        ecs.stop_task(cluster="s", task=t["taskArn"])


def test_cluster_default_strategy_and_service_split(ecs: Any) -> None:
    ecs.create_cluster(clusterName="d", capacityProviders=["FARGATE", "FARGATE_SPOT"],
                       defaultCapacityProviderStrategy=[
                           {"capacityProvider": "FARGATE_SPOT", "weight": 1},
                           {"capacityProvider": "FARGATE", "weight": 1}])
    td = fargate_td(ecs)
    out = ecs.run_task(cluster="d", taskDefinition=td, count=4, networkConfiguration=NETWORK)
    assert Counter(t["capacityProviderName"] for t in out["tasks"]) == {
        "FARGATE": 2, "FARGATE_SPOT": 2}
    for t in out["tasks"]:
        ecs.stop_task(cluster="d", task=t["taskArn"])
    svc = ecs.create_service(cluster="d", serviceName="w", taskDefinition=td, desiredCount=5,
                             networkConfiguration=NETWORK,
                             capacityProviderStrategy=[
                                 {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                                 {"capacityProvider": "FARGATE_SPOT", "weight": 4}])["service"]
    assert [s["capacityProvider"] for s in svc["capacityProviderStrategy"]] == [
        "FARGATE", "FARGATE_SPOT"]
    for _ in range(100):
        arns = ecs.list_tasks(cluster="d", serviceName="w")["taskArns"]
        if len(arns) == 5:
            break
        time.sleep(0.1)
    assert providers_of(ecs, "d", arns) == {"FARGATE": 2, "FARGATE_SPOT": 3}
    ecs.update_service(cluster="d", service="w", desiredCount=0)
    ecs.delete_service(cluster="d", service="w", force=True)


def test_strategy_errors(ecs: Any) -> None:
    ecs.create_cluster(clusterName="e", capacityProviders=["FARGATE"])
    td = fargate_td(ecs)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "base": 1}]},
         "The capacity provider strategy must contain at least one capacity provider with "
         "a weight value greater than 0."),
        ({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]},
         "The specified capacity provider strategy cannot contain a capacity provider that "
         "is not associated with the cluster. Associate the capacity provider with the "
         "cluster or specify a valid capacity provider and try again."),
        ({"launchType": "FARGATE",
          "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]},
         "Specifying both a launch type and capacity provider strategy is not supported. "
         "Remove one and try again."),
    ]
    for extra, message in cases:
        got = expect_error(lambda e=extra: ecs.run_task(  # type: ignore[misc]
            cluster="e", taskDefinition=td, networkConfiguration=NETWORK, **e),
            "InvalidParameterException")
        assert got == message
        got = expect_error(lambda e=extra: ecs.create_service(  # type: ignore[misc]
            cluster="e", serviceName="x", taskDefinition=td, desiredCount=1,
            networkConfiguration=NETWORK, **e), "InvalidParameterException")
        assert got == message
    assert ecs.list_tasks(cluster="e")["taskArns"] == []


def test_a_provider_in_use_cannot_leave_the_cluster(ecs: Any) -> None:
    ecs.create_cluster(clusterName="u", capacityProviders=["FARGATE", "FARGATE_SPOT"])
    td = fargate_td(ecs)
    out = ecs.run_task(cluster="u", taskDefinition=td, networkConfiguration=NETWORK,
                       capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                                  "weight": 1}])
    msg = expect_error(lambda: ecs.put_cluster_capacity_providers(
        cluster="u", capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[]),
        "ResourceInUseException")
    assert msg == "The specified capacity provider is in use and cannot be removed."
    assert ecs.describe_clusters(clusters=["u"])["clusters"][0]["capacityProviders"] == [
        "FARGATE", "FARGATE_SPOT"]
    # FARGATE is not in use: it may go
    ecs.put_cluster_capacity_providers(cluster="u", capacityProviders=["FARGATE_SPOT"],
                                       defaultCapacityProviderStrategy=[])
    ecs.stop_task(cluster="u", task=out["tasks"][0]["taskArn"])
