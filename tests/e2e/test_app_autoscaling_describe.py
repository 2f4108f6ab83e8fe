"""DescribeScalingPolicies and DescribeScheduledActions filters and pages: by
ServiceNamespace, ResourceId, ScalableDimension and names, MaxResults/NextToken
walking every item once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import client

NS = "ecs"
DIM = "ecs:service:DesiredCount"
STEP = {"AdjustmentType": "ChangeInCapacity", "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}]}


def target(name: str) -> dict[str, str]:
    return {"ServiceNamespace": NS, "ScalableDimension": DIM,
            "ResourceId": f"service/default/{name}"}


@pytest.fixture
def aas(url: str, ecs: Any) -> Any:
    ecs.create_cluster(clusterName="default")
    ecs.register_task_definition(family="web", containerDefinitions=[
        {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
    aas = client("application-autoscaling", url)
    for name in ("api", "web"):
        ecs.create_service(cluster="default", serviceName=name, taskDefinition="web",
                           desiredCount=1)
        aas.register_scalable_target(**target(name), MinCapacity=1, MaxCapacity=4)
    for name, items in (("web", ["p1", "p2"]), ("api", ["p3"])):
        for item in items:
            aas.put_scaling_policy(**target(name), PolicyName=item, PolicyType="StepScaling",
                                   StepScalingPolicyConfiguration=STEP)
            aas.put_scheduled_action(**target(name), ScheduledActionName=f"s{item[1]}",
                                     Schedule="cron(0 8 * * ? *)",
                                     ScalableTargetAction={"MinCapacity": 2})
    return aas


OPS = [("describe_scaling_policies", "ScalingPolicies", "PolicyName", "PolicyNames", "p"),
       ("describe_scheduled_actions", "ScheduledActions", "ScheduledActionName",
        "ScheduledActionNames", "s")]


@pytest.mark.parametrize("op,items,field,names,letter", OPS)
def test_filters(aas: Any, op: str, items: str, field: str, names: str, letter: str) -> None:
    def got(**kw: Any) -> list[str]:
        return sorted(i[field] for i in getattr(aas, op)(ServiceNamespace=NS, **kw)[items])

    assert got() == [f"{letter}1", f"{letter}2", f"{letter}3"]
    assert got(ResourceId="service/default/web") == [f"{letter}1", f"{letter}2"]
    assert got(ResourceId="service/default/api", ScalableDimension=DIM) == [f"{letter}3"]
    assert got(ResourceId="service/default/we") == []
    assert got(ScalableDimension="dynamodb:table:ReadCapacityUnits") == []
    assert got(**{names: [f"{letter}3", f"{letter}2", "none"]}) == [f"{letter}2", f"{letter}3"]
    assert got(ResourceId="service/default/web", **{names: [f"{letter}3"]}) == []
    other = client("application-autoscaling", aas.meta.endpoint_url, region="eu-west-1")
    assert getattr(other, op)(ServiceNamespace=NS)[items] == []


@pytest.mark.parametrize("op,items,field,names,letter", OPS)
def test_pages(aas: Any, op: str, items: str, field: str, names: str, letter: str) -> None:
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        kw: dict[str, Any] = {"NextToken": token} if token else {}
        out = getattr(aas, op)(ServiceNamespace=NS, MaxResults=1, **kw)
        assert len(out[items]) <= 1
        seen += [i[field] for i in out[items]]
        token = out.get("NextToken")
        if token is None:
            break
    assert sorted(seen) == [f"{letter}1", f"{letter}2", f"{letter}3"]
    assert len(seen) == 3
