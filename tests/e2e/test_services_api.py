"""ECS services through boto3 (and the AWS CLI) against the shared server, with scripted
agents (tests/fake_agent.py): the shapes ECS answers with, its defaults and errors,
pages and filters, tags, counters, and the scheduler seen from the API."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.fake_agent import FakeAgent
from tests.support import aws_cli
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/default/web"
DEPLOYMENT_ID = re.compile(r"^ecs-svc/\d{19}$")


def until(check: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} not met in {timeout}s"
        time.sleep(0.02)


def taskdef(ecs: Any, family: str = "web", **extra: Any) -> str:
    containers = extra.pop("containerDefinitions", [
        {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
    arn: str = ecs.register_task_definition(
        family=family, containerDefinitions=containers, **extra
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def describe(ecs: Any, name: str = "web", **kw: Any) -> dict[str, Any]:
    out = ecs.describe_services(services=[name], **kw)
    assert out["failures"] == [], out["failures"]
    svc: dict[str, Any] = out["services"][0]
    return svc


@pytest.fixture
def cluster(ecs: Any) -> Any:
    ecs.create_cluster(clusterName="default")
    taskdef(ecs)
    return ecs


@pytest.fixture
def agent(url: str, cluster: Any) -> FakeAgent:
    a = FakeAgent(url, cpu=4096, memory=4096)
    a.register()
    return a


def run_all(agent: FakeAgent, count: int) -> list[str]:
    """Poll until ``count`` tasks are desired RUNNING, report them RUNNING."""
    until(lambda: sum(t["desiredStatus"] == "RUNNING" for t in agent.poll(0)["tasks"]) >= count,
          what=f"{count} tasks placed")
    return agent.start_all()


# -- CreateService ---------------------------------------------------------------------------


def test_create_service_answers_the_service_as_ecs_shows_it(cluster: Any) -> None:
    before = time.time()
    svc = cluster.create_service(serviceName="web", taskDefinition="web", desiredCount=2,
                                 tags=[{"key": "team", "value": "a"}])["service"]
    assert svc["serviceArn"] == SERVICE_ARN
    assert svc["clusterArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
    assert (svc["serviceName"], svc["status"], svc["desiredCount"]) == ("web", "ACTIVE", 2)
    assert (svc["runningCount"], svc["pendingCount"]) == (0, 0)
    assert svc["launchType"] == "EC2"
    assert svc["schedulingStrategy"] == "REPLICA"
    assert svc["deploymentController"] == {"type": "ECS"}
    assert svc["taskDefinition"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:1"
    # DeploymentConfiguration defaults for REPLICA: 100 / 200, no circuit breaker
    assert svc["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": False, "rollback": False},
        "maximumPercent": 200, "minimumHealthyPercent": 100}
    assert svc["tags"] == [{"key": "team", "value": "a"}]
    assert (svc["propagateTags"], svc["enableECSManagedTags"]) == ("NONE", False)
    assert svc["createdAt"].timestamp() >= before - 1
    (d,) = svc["deployments"]
    assert DEPLOYMENT_ID.match(d["id"])
    assert (d["status"], d["desiredCount"], d["runningCount"], d["pendingCount"],
            d["failedTasks"]) == ("PRIMARY", 2, 0, 0, 0)
    assert (d["rolloutState"], d["rolloutStateReason"]) == (
        "IN_PROGRESS", f"ECS deployment {d['id']} in progress.")
    assert d["taskDefinition"] == svc["taskDefinition"]


def test_create_service_is_idempotent_with_the_same_client_token(cluster: Any) -> None:
    req = {"serviceName": "web", "taskDefinition": "web", "desiredCount": 1,
           "clientToken": "tok-1"}
    first = cluster.create_service(**req)["service"]
    again = cluster.create_service(**req)["service"]
    assert again["deployments"][0]["id"] == first["deployments"][0]["id"]
    msg = error(lambda: cluster.create_service(**{**req, "desiredCount": 2}),
                "InvalidParameterException")
    assert msg == "Creation of service was not idempotent."
    msg = error(lambda: cluster.create_service(serviceName="web", taskDefinition="web",
                                               desiredCount=1), "InvalidParameterException")
    assert msg == "Creation of service was not idempotent."
    assert describe(cluster)["desiredCount"] == 1


@pytest.mark.parametrize(
    ("req", "code"),
    [
        ({"serviceName": "bad name!", "desiredCount": 1}, "InvalidParameterException"),
        ({"taskDefinition": "nope", "desiredCount": 1}, "ClientException"),
        ({"taskDefinition": "web:9", "desiredCount": 1}, "ClientException"),
        ({}, "InvalidParameterException"),  # REPLICA without desiredCount
        ({"schedulingStrategy": "DAEMON", "desiredCount": 2}, "InvalidParameterException"),
        ({"schedulingStrategy": "DAEMON",
          "placementStrategy": [{"type": "spread", "field": "instanceId"}]},
         "InvalidParameterException"),
        ({"desiredCount": 1, "launchType": "EC2",
          "capacityProviderStrategy": [{"capacityProvider": "cp"}]},
         "InvalidParameterException"),
        ({"desiredCount": 1, "deploymentConfiguration": {"minimumHealthyPercent": 150}},
         "InvalidParameterException"),
        ({"desiredCount": 1, "deploymentConfiguration": {"maximumPercent": 50}},
         "InvalidParameterException"),
        ({"desiredCount": 1, "deploymentController": {"type": "CODE_DEPLOY"}},
         "UnsupportedFeatureException"),
        ({"desiredCount": 1, "placementConstraints": [{"type": "memberOf"}]},
         "InvalidParameterException"),
        ({"desiredCount": 1, "launchType": "FARGATE"}, "InvalidParameterException"),
        ({"desiredCount": 1, "tags": [{"key": "aws:x", "value": "y"}]},
         "InvalidParameterException"),
        ({"desiredCount": 1, "cluster": "nope"}, "ClusterNotFoundException"),
    ],
)
def test_create_service_refuses_what_ecs_refuses(cluster: Any, req: dict[str, Any],
                                                 code: str) -> None:
    full = {"serviceName": "web", "taskDefinition": "web", **req}
    error(lambda: cluster.create_service(**full), code)
    assert cluster.list_services()["serviceArns"] == []
    stats = cluster.describe_clusters(clusters=["default"])["clusters"][0]
    assert stats["activeServicesCount"] == 0


def test_an_awsvpc_task_definition_needs_a_network_configuration(cluster: Any) -> None:
    taskdef(cluster, "vpc", networkMode="awsvpc")
    msg = error(lambda: cluster.create_service(serviceName="web", taskDefinition="vpc",
                                               desiredCount=1), "InvalidParameterException")
    assert "Network Configuration must be provided" in msg


def test_a_deregistered_revision_cannot_start_a_service(cluster: Any) -> None:
    cluster.deregister_task_definition(taskDefinition="web:1")
    assert error(lambda: cluster.create_service(serviceName="web", taskDefinition="web:1",
                                                desiredCount=1),
                 "ClientException") == "TaskDefinition is inactive"


# -- the scheduler, seen from the API ---------------------------------------------------------


def test_a_service_reaches_a_steady_state_with_its_events(cluster: Any, agent: FakeAgent) -> None:
    cluster.create_service(serviceName="web", taskDefinition="web", desiredCount=2)
    started = run_all(agent, 2)
    until(lambda: describe(cluster)["deployments"][0]["rolloutState"] == "COMPLETED")
    svc = describe(cluster)
    assert (svc["runningCount"], svc["pendingCount"]) == (2, 0)
    d = svc["deployments"][0]
    assert d["rolloutStateReason"] == f"ECS deployment {d['id']} completed."
    tasks = cluster.describe_tasks(tasks=started)["tasks"]
    assert {t["group"] for t in tasks} == {"service:web"}
    assert {t["startedBy"] for t in tasks} == {d["id"]}
    def steady() -> list[str]:
        events = describe(cluster)["events"]
        ok = bool(events) and events[0]["message"].endswith("steady state.")
        return [e["message"] for e in events] if ok else []

    messages = until(steady)
    ids = sorted(a.rsplit("/", 1)[1] for a in started)
    assert messages[0] == "(service web) has reached a steady state."
    assert messages[1] == f"(service web) (deployment {d['id']}) deployment completed."
    assert messages[2].startswith("(service web) has started 2 tasks: (task ")
    assert sorted(re.findall(r"\(task ([0-9a-f]{32})\)", messages[2])) == ids
    assert set(cluster.list_tasks(serviceName="web")["taskArns"]) == set(started)
    assert set(cluster.list_tasks(startedBy=d["id"])["taskArns"]) == set(started)
    stats = cluster.describe_clusters(clusters=["default"], include=["STATISTICS"])["clusters"][0]
    s = {x["name"]: x["value"] for x in stats["statistics"]}
    assert (stats["activeServicesCount"], s["activeEC2ServiceCount"]) == (1, "1")
    assert error(lambda: cluster.delete_cluster(cluster="default"),
                 "ClusterContainsServicesException")


def test_update_service_scales_and_deploys(cluster: Any, agent: FakeAgent) -> None:
    cluster.create_service(serviceName="web", taskDefinition="web", desiredCount=1)
    run_all(agent, 1)
    until(lambda: describe(cluster)["deployments"][0]["rolloutState"] == "COMPLETED")
    first = describe(cluster)["deployments"][0]["id"]
    svc = cluster.update_service(service="web", desiredCount=3)["service"]
    assert svc["desiredCount"] == 3 and svc["deployments"][0]["id"] == first
    run_all(agent, 3)
    until(lambda: describe(cluster)["runningCount"] == 3)
    taskdef(cluster)
    svc = cluster.update_service(service=SERVICE_ARN, taskDefinition="web:2")["service"]
    new = svc["deployments"][0]
    assert [d["status"] for d in svc["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert new["taskDefinition"].endswith("web:2") and new["id"] != first
    assert svc["deployments"][1]["id"] == first
    # the same task definition again: no new deployment; forceNewDeployment: one
    same = cluster.update_service(service="web", taskDefinition="web:2")["service"]
    assert same["deployments"][0]["id"] == new["id"]
    forced = cluster.update_service(service="web", forceNewDeployment=True)["service"]
    assert forced["deployments"][0]["id"] != new["id"]
    cfg = cluster.update_service(service="web", deploymentConfiguration={
        "minimumHealthyPercent": 50})["service"]["deploymentConfiguration"]
    assert (cfg["minimumHealthyPercent"], cfg["maximumPercent"]) == (50, 200)


def test_update_and_delete_errors(cluster: Any, agent: FakeAgent) -> None:
    assert error(lambda: cluster.update_service(service="nope", desiredCount=1),
                 "ServiceNotFoundException") == "Service not found."
    error(lambda: cluster.delete_service(service="nope"), "ServiceNotFoundException")
    cluster.create_service(serviceName="web", taskDefinition="web", desiredCount=1)
    assert error(lambda: cluster.delete_service(service="web"),
                 "InvalidParameterException") == (
        "The service cannot be stopped while it is scaled above 0.")
    error(lambda: cluster.update_service(service="web", taskDefinition="nope"),
          "ClientException")
    svc = cluster.delete_service(service="web", force=True)["service"]
    assert (svc["status"], svc["desiredCount"]) == ("DRAINING", 0)
    assert cluster.list_services()["serviceArns"] == []
    assert error(lambda: cluster.update_service(service="web", desiredCount=1),
                 "ServiceNotActiveException") == "Service was not ACTIVE."
    until(lambda: describe(cluster)["status"] == "INACTIVE")
    error(lambda: cluster.update_service(service="web", desiredCount=1),
          "ServiceNotActiveException")
    error(lambda: cluster.delete_service(service="web"), "ServiceNotFoundException")
    # the name is free again once INACTIVE
    fresh = cluster.create_service(serviceName="web", taskDefinition="web",
                                   desiredCount=0)["service"]
    assert fresh["events"] == []  # the old service's events went with it
    assert all(e["createdAt"] >= fresh["createdAt"] for e in describe(cluster)["events"])


def test_a_draining_service_keeps_its_name(cluster: Any, agent: FakeAgent) -> None:
    cluster.create_service(serviceName="web", taskDefinition="web", desiredCount=1)
    run_all(agent, 1)
    until(lambda: describe(cluster)["runningCount"] == 1)
    cluster.update_service(service="web", desiredCount=0)
    cluster.delete_service(service="web")
    # the agent has not stopped it yet... but it was asked to: INACTIVE at once
    until(lambda: describe(cluster)["status"] == "INACTIVE")
    agent.poll(0)
    agent.stop_all()
    assert cluster.list_tasks(serviceName="web")["taskArns"] == []


def test_describe_and_list_services(cluster: Any) -> None:
    for name in ("a", "b", "c", "d", "e"):
        cluster.create_service(serviceName=name, taskDefinition="web", desiredCount=0)
    cluster.create_service(serviceName="dd", taskDefinition="web", schedulingStrategy="DAEMON")
    seen: list[str] = []
    token = None
    while True:
        page = cluster.list_services(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["serviceArns"]) <= 2
        seen += page["serviceArns"]
        token = page.get("nextToken")
        if not token:
            break
    assert [s.rsplit("/", 1)[1] for s in seen] == ["a", "b", "c", "d", "dd", "e"]
    assert len(cluster.list_services()["serviceArns"]) == 6  # 10 by default
    daemons = cluster.list_services(schedulingStrategy="DAEMON")["serviceArns"]
    assert [s.rsplit("/", 1)[1] for s in daemons] == ["dd"]
    assert cluster.list_services(launchType="FARGATE")["serviceArns"] == []
    error(lambda: cluster.list_services(maxResults=101), "InvalidParameterException")
    error(lambda: cluster.list_services(nextToken="%%%"), "InvalidParameterException")

    out = cluster.describe_services(services=["a", SERVICE_ARN.replace("/web", "/b"), "zz"])
    assert [s["serviceName"] for s in out["services"]] == ["a", "b"]
    assert out["failures"] == [{"arn": SERVICE_ARN.replace("/web", "/zz"), "reason": "MISSING"}]
    error(lambda: cluster.describe_services(services=[str(i) for i in range(11)]),
          "InvalidParameterException")
    error(lambda: cluster.describe_services(cluster="nope", services=["a"]),
          "ClusterNotFoundException")
    dd = describe(cluster, "dd")
    assert (dd["schedulingStrategy"], dd["desiredCount"]) == ("DAEMON", 0)
    assert (dd["deploymentConfiguration"]["minimumHealthyPercent"],
            dd["deploymentConfiguration"]["maximumPercent"]) == (0, 100)


def test_tags_on_services_and_their_tasks(cluster: Any, agent: FakeAgent) -> None:
    cluster.tag_resource(resourceArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/web:1",
                         tags=[{"key": "from", "value": "taskdef"}])
    svc = cluster.create_service(
        serviceName="web", taskDefinition="web", desiredCount=1, propagateTags="SERVICE",
        enableECSManagedTags=True, tags=[{"key": "from", "value": "service"}],
    )["service"]
    arn = svc["serviceArn"]
    cluster.tag_resource(resourceArn=arn, tags=[{"key": "more", "value": "1"}])
    assert describe(cluster, include=["TAGS"])["tags"] == [
        {"key": "from", "value": "service"}, {"key": "more", "value": "1"}]
    assert "tags" not in describe(cluster)
    cluster.untag_resource(resourceArn=arn, tagKeys=["more"])
    assert cluster.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "from", "value": "service"}]
    (task_arn,) = run_all(agent, 1)
    tags = cluster.list_tags_for_resource(resourceArn=task_arn)["tags"]
    assert sorted((t["key"], t["value"]) for t in tags) == [
        ("aws:ecs:clusterName", "default"), ("aws:ecs:serviceName", "web"),
        ("from", "service")]
    error(lambda: cluster.tag_resource(resourceArn=arn.replace("/web", "/nope"),
                                       tags=[{"key": "k", "value": "v"}]),
          "ResourceNotFoundException")


def test_list_tasks_by_service(cluster: Any, agent: FakeAgent) -> None:
    error(lambda: cluster.list_tasks(serviceName="web"), "ServiceNotFoundException")
    cluster.create_service(serviceName="web", taskDefinition="web", desiredCount=2)
    cluster.create_service(serviceName="api", taskDefinition="web", desiredCount=1)
    run_all(agent, 3)
    assert len(cluster.list_tasks(serviceName="web")["taskArns"]) == 2
    assert len(cluster.list_tasks(serviceName=SERVICE_ARN.replace("/web", "/api"))
               ["taskArns"]) == 1


def test_a_fargate_service_starts_its_tasks_without_an_instance(cluster: Any,
                                                               agent: FakeAgent) -> None:
    taskdef(cluster, "fg", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": "cargobay-test/busybox:latest",
                                   "command": ["sleep", "60"]}])
    svc = cluster.create_service(
        serviceName="fg", taskDefinition="fg", desiredCount=1, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
    )["service"]
    assert (svc["launchType"], svc["platformVersion"]) == ("FARGATE", "LATEST")
    (arn,) = until(lambda: cluster.list_tasks(serviceName="fg", launchType="FARGATE")[
        "taskArns"])
    task = cluster.describe_tasks(tasks=[arn])["tasks"][0]
    assert "containerInstanceArn" not in task and task["group"] == "service:fg"
    assert not any("unable to place" in e["message"] for e in describe(cluster, "fg")["events"])
    stats = cluster.describe_clusters(clusters=["default"], include=["STATISTICS"])["clusters"][0]
    assert {x["name"]: x["value"] for x in stats["statistics"]}["activeFargateServiceCount"] \
        == "1"


def test_list_services_by_namespace(cluster: Any) -> None:
    error(lambda: cluster.list_services_by_namespace(namespace="nope"),
          "NamespaceNotFoundException")
    cluster.create_cluster(clusterName="sc", serviceConnectDefaults={"namespace": "shop"})
    taskdef(cluster, "sc")
    assert cluster.list_services_by_namespace(namespace="shop")["serviceArns"] == []
    cluster.create_service(cluster="sc", serviceName="web", taskDefinition="sc",
                           desiredCount=0, serviceConnectConfiguration={
                               "enabled": True, "namespace": "shop"})
    assert [a.rsplit("/", 1)[1] for a in cluster.list_services_by_namespace(
        namespace="shop")["serviceArns"]] == ["web"]


def test_the_aws_cli_creates_and_describes_services(url: str, cluster: Any) -> None:
    out = json.loads(aws_cli(url, "ecs", "create-service", "--service-name", "cli",
                             "--task-definition", "web", "--desired-count", "0",
                             "--deployment-configuration",
                             "maximumPercent=150,minimumHealthyPercent=50").stdout)
    assert out["service"]["deploymentConfiguration"]["maximumPercent"] == 150
    out = json.loads(aws_cli(url, "ecs", "describe-services", "--services", "cli").stdout)
    assert out["services"][0]["serviceName"] == "cli"
    bad = aws_cli(url, "ecs", "delete-service", "--service", "nope", check=False)
    assert bad.returncode != 0 and "ServiceNotFoundException" in bad.stderr


def test_a_deregistered_revision_keeps_serving_its_service(cluster: Any,
                                                           agent: FakeAgent) -> None:
    """Deregistering (and deleting) a revision a service runs changes nothing for it: it
    still scales with it, and the deletion waits (DELETE_IN_PROGRESS)."""
    cluster.create_service(serviceName="web", taskDefinition="web:1", desiredCount=1)
    run_all(agent, 1)
    cluster.deregister_task_definition(taskDefinition="web:1")
    out = cluster.delete_task_definitions(taskDefinitions=["web:1"])
    assert out["taskDefinitions"][0]["status"] == "DELETE_IN_PROGRESS"
    cluster.update_service(service="web", desiredCount=2)
    run_all(agent, 2)
    until(lambda: describe(cluster)["runningCount"] == 2)
    td = cluster.describe_task_definition(taskDefinition="web:1")["taskDefinition"]
    assert td["status"] == "DELETE_IN_PROGRESS"


def test_service_and_deployment_events_reach_eventbridge(url: str, cluster: Any,
                                                         agent: FakeAgent) -> None:
    """ECS Developer Guide, "Amazon ECS service action events" and "Amazon ECS service
    deployment state change events", on the default bus (here delivered to a queue)."""
    from tests.e2e.test_events_delivery import queue, receive
    from tests.support import client

    events, sqs = client("events", url), client("sqs", url)
    q, arn = queue(sqs, "service-events")
    events.put_rule(Name="svc", EventPattern=json.dumps({
        "source": ["aws.ecs"],
        "detail-type": ["ECS Service Action", "ECS Deployment State Change"]}))
    events.put_targets(Rule="svc", Targets=[{"Id": "q", "Arn": arn}])
    svc = cluster.create_service(serviceName="web", taskDefinition="web",
                                 desiredCount=1)["service"]
    deployment = svc["deployments"][0]["id"]
    run_all(agent, 1)
    got = [json.loads(m["Body"]) for m in receive(sqs, q, 3)]
    seen = {(e["detail-type"], e["detail"]["eventName"]) for e in got}
    assert seen == {("ECS Deployment State Change", "SERVICE_DEPLOYMENT_IN_PROGRESS"),
                    ("ECS Deployment State Change", "SERVICE_DEPLOYMENT_COMPLETED"),
                    ("ECS Service Action", "SERVICE_STEADY_STATE")}
    for e in got:
        assert e["resources"] == [svc["serviceArn"]]
        if e["detail-type"] == "ECS Deployment State Change":
            assert e["detail"]["deploymentId"] == deployment
