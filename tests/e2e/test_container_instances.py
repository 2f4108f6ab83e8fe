"""Container instances through boto3 and a scripted agent (tests/fake_agent.py):
RegisterContainerInstance (and re-registration), DescribeContainerInstances,
ListContainerInstances with the cluster query language, UpdateContainerInstancesState
(draining), DeregisterContainerInstance with and without force, Put/List/DeleteAttributes,
the agent long poll, liveness with short timeouts, and a kill -9 of the server mid-task."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fake_agent import FakeAgent, PollRefused, raw_poll
from tests.support import ServerProcess, client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
ARN = re.compile(rf"^arn:aws:ecs:{REGION}:{ACCOUNT}:container-instance/default/[0-9a-f]{{32}}$")


def resource(name: str, kind: str, integer: int = 0, strings: list[str] | None = None) -> Any:
    out: dict[str, Any] = {
        "name": name, "type": kind, "doubleValue": 0.0, "longValue": 0, "integerValue": integer
    }
    if kind == "STRINGSET":
        out["stringSetValue"] = strings or []
    return out


def cluster_counts(ecs: Any, name: str = "default") -> dict[str, Any]:
    c = ecs.describe_clusters(clusters=[name], include=["STATISTICS"])["clusters"][0]
    stats = {s["name"]: int(s["value"]) for s in c["statistics"]}
    return {
        "instances": c["registeredContainerInstancesCount"],
        "running": c["runningTasksCount"],
        "pending": c["pendingTasksCount"],
        "runningEC2": stats["runningEC2TasksCount"],
        "pendingEC2": stats["pendingEC2TasksCount"],
    }


def taskdef(ecs: Any, family: str = "web", **container: Any) -> str:
    c = {"name": "app", "image": "busybox", "memory": 256, "cpu": 256, **container}
    arn: str = ecs.register_task_definition(family=family, containerDefinitions=[c])[
        "taskDefinition"
    ]["taskDefinitionArn"]
    return arn


@pytest.fixture
def cluster(ecs: Any) -> str:
    ecs.create_cluster(clusterName="default")
    return "default"


@pytest.fixture
def agent(url: str, cluster: str) -> FakeAgent:
    a = FakeAgent(url)
    a.register()
    return a


# -- RegisterContainerInstance -----------------------------------------------------------


def test_register_answers_the_container_instance_as_ecs_shows_it(
    url: str, ecs: Any, cluster: str
) -> None:
    a = FakeAgent(url, cpu=2048, memory=3955, attributes={"team": "blue"})
    before = time.time()
    ci = a.register(tags=[{"key": "env", "value": "test"}])
    assert ARN.match(ci["containerInstanceArn"])
    registered = [
        resource("CPU", "INTEGER", 2048),
        resource("MEMORY", "INTEGER", 3955),
        resource("PORTS", "STRINGSET", strings=["22", "2375", "2376", "51678", "51679"]),
        resource("PORTS_UDP", "STRINGSET", strings=[]),
    ]
    assert ci["registeredResources"] == registered
    assert ci["remainingResources"] == registered
    assert ci["ec2InstanceId"] == a.ec2_instance_id
    assert ci["status"] == "ACTIVE"
    assert ci["agentConnected"] is True
    assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0
    assert ci["version"] == 1
    assert ci["versionInfo"] == {
        "agentVersion": "1.80.0", "agentHash": "fake", "dockerVersion": "DockerVersion: 25.0.0"
    }
    assert before - 1 <= ci["registeredAt"].timestamp() <= time.time() + 1
    attrs = {x["name"]: x.get("value") for x in ci["attributes"]}
    assert attrs["team"] == "blue"
    assert attrs["ecs.os-type"] == "linux"
    # derived from the instance identity document, as ECS does
    assert attrs["ecs.instance-type"] == "t3.medium"
    assert attrs["ecs.availability-zone"] == "us-east-1a"
    assert attrs["ecs.ami-id"] == "ami-0fake0000000000"
    assert "com.amazonaws.ecs.capability.docker-remote-api.1.24" in attrs
    assert ci["tags"] == [{"key": "env", "value": "test"}]
    assert cluster_counts(ecs)["instances"] == 1
    assert ecs.list_tags_for_resource(resourceArn=ci["containerInstanceArn"])["tags"] == [
        {"key": "env", "value": "test"}
    ]


def test_register_in_a_missing_cluster_is_refused_and_registers_nothing(
    url: str, ecs: Any
) -> None:
    a = FakeAgent(url, cluster="nope")
    error(lambda: a.register(), "ClusterNotFoundException")
    ecs.create_cluster(clusterName="nope")
    assert ecs.list_container_instances(cluster="nope")["containerInstanceArns"] == []


@pytest.mark.parametrize(
    "resources",
    [
        [{"name": "CPU", "type": "INTEGER", "integerValue": -1}],
        [{"name": "CPU", "type": "STRINGSET", "stringSetValue": ["1"]}],
        [{"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["http"]}],
        [{"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["70000"]}],
    ],
)
def test_register_refuses_bad_resources_and_changes_nothing(
    url: str, ecs: Any, cluster: str, resources: list[Any]
) -> None:
    a = FakeAgent(url)
    error(lambda: a.register(totalResources=resources), "InvalidParameterException")
    assert ecs.list_container_instances()["containerInstanceArns"] == []
    assert cluster_counts(ecs)["instances"] == 0


def test_register_refuses_a_bad_identity_document_and_bad_attributes(
    url: str, ecs: Any, cluster: str
) -> None:
    a = FakeAgent(url)
    error(lambda: a.register(instanceIdentityDocument="{not json"), "InvalidParameterException")
    error(
        lambda: a.register(attributes=[{"name": "bad name!", "value": "x"}]),
        "InvalidParameterException",
    )
    assert ecs.list_container_instances()["containerInstanceArns"] == []


def test_re_registration_keeps_the_instance_its_tasks_and_custom_attributes(
    url: str, ecs: Any, agent: FakeAgent
) -> None:
    taskdef(ecs)
    task = ecs.run_task(taskDefinition="web")["tasks"][0]
    ecs.put_attributes(attributes=[{"name": "stack", "value": "prod", "targetId": agent.arn}])
    agent.memory = 8192
    ci = agent.register(again=True)
    assert ci["containerInstanceArn"] == task["containerInstanceArn"]
    mem = {r["name"]: r["integerValue"] for r in ci["remainingResources"]}
    assert mem["MEMORY"] == 8192 - 256 and mem["CPU"] == 2048 - 256
    assert {r["name"]: r["integerValue"] for r in ci["registeredResources"]}["MEMORY"] == 8192
    assert {"name": "stack", "value": "prod"} in ci["attributes"]
    assert ci["pendingTasksCount"] == 1
    assert cluster_counts(ecs)["instances"] == 1
    assert ecs.describe_tasks(tasks=[task["taskArn"]])["tasks"][0]["lastStatus"] == "PENDING"
    # an agent that lost its state but runs on the same EC2 instance is the same one too
    ci2 = agent.register()
    assert ci2["containerInstanceArn"] == agent.arn
    assert len(ecs.list_container_instances()["containerInstanceArns"]) == 1


def test_re_registration_with_an_unknown_or_foreign_arn_is_refused(
    url: str, ecs: Any, agent: FakeAgent
) -> None:
    other = FakeAgent(url)
    error(
        lambda: other.register(containerInstanceArn=agent.arn.replace(agent.instance_id, "0" * 32)),
        "ClientException",
    )
    error(
        lambda: other.register(containerInstanceArn=agent.arn.replace("/default/", "/other/")),
        "InvalidParameterException",
    )
    assert ecs.list_container_instances()["containerInstanceArns"] == [agent.arn]


# -- Describe / List ----------------------------------------------------------------------


def test_describe_includes_tags_and_health_on_request_and_reports_missing(
    url: str, ecs: Any, agent: FakeAgent
) -> None:
    ecs.tag_resource(resourceArn=agent.arn, tags=[{"key": "k", "value": "v"}])
    plain = agent.describe()
    assert plain["tags"] == [] and "healthStatus" not in plain
    full = agent.describe("TAGS", "CONTAINER_INSTANCE_HEALTH")
    assert full["tags"] == [{"key": "k", "value": "v"}]
    assert full["healthStatus"] == {"overallStatus": "INSUFFICIENT_DATA", "details": []}
    agent.poll(instance_health=[{"type": "CONTAINER_RUNTIME", "status": "OK"}])
    health = agent.describe("CONTAINER_INSTANCE_HEALTH")["healthStatus"]
    assert health["overallStatus"] == "OK"
    assert [(d["type"], d["status"]) for d in health["details"]] == [("CONTAINER_RUNTIME", "OK")]

    missing_id = "0" * 32
    out = ecs.describe_container_instances(containerInstances=[agent.instance_id, missing_id])
    assert [c["containerInstanceArn"] for c in out["containerInstances"]] == [agent.arn]
    assert out["failures"] == [
        {"arn": agent.arn.replace(agent.instance_id, missing_id), "reason": "MISSING"}
    ]
    error(lambda: ecs.describe_container_instances(containerInstances=[]),
          "InvalidParameterException")
    error(lambda: ecs.describe_container_instances(containerInstances=["x"] * 101),
          "InvalidParameterException")
    error(lambda: ecs.describe_container_instances(cluster="nope", containerInstances=["x"]),
          "ClusterNotFoundException")


@pytest.fixture
def fleet(url: str, ecs: Any, cluster: str) -> list[FakeAgent]:
    """Five instances: two t2.small in us-east-1a, one g2.2xlarge in us-east-1b, ..."""
    specs = [
        ("t2.small", "us-east-1a", "1.14.0"),
        ("t2.small", "us-east-1a", "1.80.0"),
        ("g2.2xlarge", "us-east-1b", "1.80.0"),
        ("g2.8xlarge", "us-east-1d", "1.80.0"),
        ("m5.large", "us-east-1c", "1.80.0"),
    ]
    agents = []
    for itype, zone, version in specs:
        a = FakeAgent(url, instance_type=itype, zone=zone, agent_version=version)
        a.register()
        agents.append(a)
    return agents


def listed(ecs: Any, **kw: Any) -> set[str]:
    return set(ecs.list_container_instances(**kw)["containerInstanceArns"])


def test_list_filters_with_the_cluster_query_language(ecs: Any, fleet: list[FakeAgent]) -> None:
    arns = [a.arn for a in fleet]
    taskdef(ecs, "db")
    ecs.start_task(taskDefinition="db", containerInstances=[arns[4]], group="database")
    cases = {
        "attribute:ecs.instance-type == t2.small": {0, 1},
        "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]": {0, 1, 2},
        "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d":
            {2},
        "task:group == database": {4},
        "not(task:group == database)": {0, 1, 2, 3},
        "runningTasksCount == 0": {0, 1, 2, 3, 4},
        "agentVersion < 1.14.5": {0},
        "registeredAt < 2018-02-13": set(),
        "registeredAt > 2018-02-13": {0, 1, 2, 3, 4},
        f"ec2InstanceId in ['{fleet[1].ec2_instance_id}', 'i-wxyx7890']": {1},
        "attribute:ecs.os-type exists && !(attribute:nothing exists)": {0, 1, 2, 3, 4},
        "(attribute:ecs.instance-type == m5.large or agentConnected == false)": {4},
        "ec2InstanceType == g2.8xlarge": {3},
    }
    for expression, expected in cases.items():
        assert listed(ecs, filter=expression) == {arns[i] for i in expected}, expression


@pytest.mark.parametrize(
    "expression",
    ["", "size == 1", "attribute:a ==", "runningTasksCount == lots", "(attribute:a exists",
     "agentConnected > true", "attribute:a =~ [", "registeredAt < soon", "attribute:a in [x"],
)
def test_list_refuses_a_bad_filter(ecs: Any, fleet: list[FakeAgent], expression: str) -> None:
    if expression == "":
        assert len(listed(ecs, filter=expression)) == 5  # an empty filter filters nothing
        return
    error(lambda: ecs.list_container_instances(filter=expression), "InvalidParameterException")


def test_list_by_status_and_in_pages(ecs: Any, fleet: list[FakeAgent]) -> None:
    arns = [a.arn for a in fleet]
    ecs.update_container_instances_state(containerInstances=arns[:2], status="DRAINING")
    assert listed(ecs, status="DRAINING") == set(arns[:2])
    assert listed(ecs, status="ACTIVE") == set(arns[2:])
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        page = ecs.list_container_instances(maxResults=2, **({"nextToken": token} if token else {}))
        assert len(page["containerInstanceArns"]) <= 2
        seen += page["containerInstanceArns"]
        token = page.get("nextToken")
        if token is None:
            break
    assert sorted(seen) == sorted(arns) and len(seen) == 5
    error(lambda: ecs.list_container_instances(nextToken="garbage!!"), "InvalidParameterException")
    error(lambda: ecs.list_container_instances(maxResults=101), "InvalidParameterException")
    error(lambda: ecs.list_container_instances(cluster="nope"), "ClusterNotFoundException")


# -- draining -------------------------------------------------------------------------------


def test_draining_instances_get_no_new_tasks(url: str, ecs: Any, cluster: str) -> None:
    a, b = FakeAgent(url), FakeAgent(url)
    a.register()
    b.register()
    taskdef(ecs)
    out = ecs.update_container_instances_state(containerInstances=[a.arn], status="DRAINING")
    assert [c["status"] for c in out["containerInstances"]] == ["DRAINING"]
    assert out["failures"] == []
    assert a.describe()["version"] == 2
    placed = ecs.run_task(taskDefinition="web", count=4)["tasks"]
    assert {t["containerInstanceArn"] for t in placed} == {b.arn}
    ecs.update_container_instances_state(containerInstances=[b.arn], status="DRAINING")
    msg = error(lambda: ecs.run_task(taskDefinition="web"), "InvalidParameterException")
    assert msg == "No Container Instances were found in your cluster."
    ecs.update_container_instances_state(containerInstances=[a.arn], status="ACTIVE")
    again = ecs.run_task(taskDefinition="web")["tasks"]
    assert [t["containerInstanceArn"] for t in again] == [a.arn]


def test_update_state_refusals_and_missing_instances(ecs: Any, agent: FakeAgent) -> None:
    out = ecs.update_container_instances_state(
        containerInstances=[agent.arn, "f" * 32], status="DRAINING"
    )
    assert [c["containerInstanceArn"] for c in out["containerInstances"]] == [agent.arn]
    assert out["failures"] == [
        {"arn": agent.arn.replace(agent.instance_id, "f" * 32), "reason": "MISSING"}
    ]
    for status in ("REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"):
        error(
            lambda s=status: ecs.update_container_instances_state(  # type: ignore[misc]
                containerInstances=[agent.arn], status=s
            ),
            "InvalidParameterException",
        )
    msg = error(
        lambda: ecs.update_container_instances_state(containerInstances=["x"] * 11,
                                                     status="ACTIVE"),
        "InvalidParameterException",
    )
    assert msg == "instanceIds can have at most 10 items."
    assert agent.describe()["status"] == "DRAINING"


# -- deregistration ---------------------------------------------------------------------------


def test_deregister_refuses_an_instance_with_tasks_and_changes_nothing(
    ecs: Any, agent: FakeAgent
) -> None:
    taskdef(ecs)
    task = ecs.run_task(taskDefinition="web")["tasks"][0]
    before = agent.describe()
    error(lambda: ecs.deregister_container_instance(containerInstance=agent.arn),
          "InvalidParameterException")
    assert agent.describe() == before
    assert ecs.describe_tasks(tasks=[task["taskArn"]])["tasks"][0]["desiredStatus"] == "RUNNING"
    assert cluster_counts(ecs)["instances"] == 1
    error(lambda: ecs.deregister_container_instance(containerInstance="0" * 32),
          "InvalidParameterException")


def test_deregister_with_force_stops_its_tasks_and_the_agent_is_told(
    ecs: Any, agent: FakeAgent
) -> None:
    taskdef(ecs)
    tasks = [t["taskArn"] for t in ecs.run_task(taskDefinition="web", count=2)["tasks"]]
    agent.poll()
    agent.report(tasks[0], "RUNNING")
    assert cluster_counts(ecs) == {
        "instances": 1, "running": 1, "pending": 1, "runningEC2": 1, "pendingEC2": 1
    }
    ci = ecs.deregister_container_instance(containerInstance=agent.arn, force=True)[
        "containerInstance"
    ]
    assert ci["status"] == "INACTIVE" and ci["agentConnected"] is False
    assert ci["runningTasksCount"] == 0 and ci["pendingTasksCount"] == 0
    assert ci["remainingResources"] == ci["registeredResources"]
    stopped = ecs.describe_tasks(tasks=tasks)["tasks"]
    assert {t["lastStatus"] for t in stopped} == {"STOPPED"}
    assert {t["stopCode"] for t in stopped} == {"UserInitiated"}
    assert cluster_counts(ecs) == {
        "instances": 0, "running": 0, "pending": 0, "runningEC2": 0, "pendingEC2": 0
    }
    assert listed(ecs) == set()
    assert agent.describe()["status"] == "INACTIVE"  # still describable
    with pytest.raises(PollRefused) as refused:
        agent.poll()
    assert refused.value.code == "InactiveInstanceException"
    error(lambda: agent.register(again=True), "ClientException")
    # nothing left: the cluster can go
    ecs.delete_cluster(cluster="default")


def test_deregister_an_idle_instance_without_force(ecs: Any, agent: FakeAgent) -> None:
    ci = ecs.deregister_container_instance(containerInstance=agent.instance_id)[
        "containerInstance"
    ]
    assert ci["status"] == "INACTIVE"
    again = ecs.deregister_container_instance(containerInstance=agent.arn)["containerInstance"]
    assert again["status"] == "INACTIVE"
    assert cluster_counts(ecs)["instances"] == 0


def test_a_cluster_with_instances_cannot_be_deleted(ecs: Any, agent: FakeAgent) -> None:
    error(lambda: ecs.delete_cluster(cluster="default"),
          "ClusterContainsContainerInstancesException")


# -- attributes -------------------------------------------------------------------------------


def test_put_list_delete_attributes(ecs: Any, fleet: list[FakeAgent]) -> None:
    a, b = fleet[0], fleet[1]
    put = ecs.put_attributes(
        attributes=[
            {"name": "stack", "value": "prod", "targetId": a.arn},
            {"name": "stack", "value": "dev", "targetId": b.instance_id},
            {"name": "gpu", "targetId": a.arn},
        ]
    )["attributes"]
    assert put[0] == {"name": "stack", "value": "prod", "targetId": a.arn}
    got = ecs.list_attributes(targetType="container-instance", attributeName="stack")["attributes"]
    assert sorted((x["targetId"], x["value"]) for x in got) == sorted(
        [(a.arn, "prod"), (b.arn, "dev")]
    )
    prod = ecs.list_attributes(
        targetType="container-instance", attributeName="stack", attributeValue="prod"
    )["attributes"]
    assert prod == [{"name": "stack", "value": "prod", "targetId": a.arn}]
    assert listed(ecs, filter="attribute:stack == prod") == {a.arn}
    assert listed(ecs, filter="attribute:gpu exists") == {a.arn}
    # paging over every attribute of the cluster
    everything: list[Any] = []
    token = None
    for _ in range(200):
        page = ecs.list_attributes(targetType="container-instance", maxResults=7,
                                   **({"nextToken": token} if token else {}))
        everything += page["attributes"]
        token = page.get("nextToken")
        if not token:
            break
    per_instance = sum(len(x.describe()["attributes"]) for x in fleet)
    assert len(everything) == per_instance
    assert len({(x["targetId"], x["name"]) for x in everything}) == per_instance

    ecs.delete_attributes(attributes=[{"name": "stack", "targetId": a.arn}])
    assert listed(ecs, filter="attribute:stack exists") == {b.arn}
    error(
        lambda: ecs.put_attributes(attributes=[{"name": "x", "targetId": "0" * 32}]),
        "TargetNotFoundException",
    )
    error(
        lambda: ecs.list_attributes(targetType="container-instance", attributeValue="prod"),
        "InvalidParameterException",
    )
    ten = [{"name": f"c{i}", "value": "v", "targetId": b.arn} for i in range(10)]
    error(lambda: ecs.put_attributes(attributes=ten), "AttributeLimitExceededException")
    assert "c0" not in {x["name"] for x in b.describe()["attributes"]}  # nothing changed


# -- the channel --------------------------------------------------------------------------------


def test_poll_answers_at_once_when_behind_and_holds_when_up_to_date(
    url: str, ecs: Any, agent: FakeAgent
) -> None:
    first = agent.poll(wait=5)
    assert first == {"version": first["version"], "tasks": []} and first["version"] >= 1
    start = time.monotonic()
    again = agent.poll(wait=0.3)
    assert 0.25 <= time.monotonic() - start < 3
    assert again["version"] == first["version"]


def test_run_task_wakes_a_waiting_poll_promptly(url: str, ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    agent.poll()
    thread, box = agent.poll_in_background(wait=20)
    time.sleep(0.3)
    assert thread.is_alive()
    started = time.monotonic()
    task = ecs.run_task(taskDefinition="web")["tasks"][0]
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 2.0
    answer = box["answer"]
    [given] = answer["tasks"]
    assert given["taskArn"] == task["taskArn"]
    assert given["desiredStatus"] == "RUNNING"
    assert given["taskDefinition"]["taskDefinitionArn"] == task["taskDefinitionArn"]
    assert given["taskDefinition"]["containerDefinitions"][0]["name"] == "app"
    assert given["overrides"] == task["overrides"]
    assert given["group"] == "family:web" and given["launchType"] == "EC2"
    assert given["containers"] == [
        {"name": "app", "containerArn": task["containers"][0]["containerArn"]}
    ]
    # StopTask wakes it as well, and the task stays in the set until reported STOPPED
    thread, box = agent.poll_in_background(wait=20)
    time.sleep(0.2)
    ecs.stop_task(task=task["taskArn"], reason="enough")
    thread.join(timeout=5)
    [stopping] = box["answer"]["tasks"]
    assert stopping["desiredStatus"] == "STOPPED" and stopping["stopReason"] == "enough"
    agent.stop_all()
    assert agent.poll()["tasks"] == []


def test_poll_errors(url: str, ecs: Any, agent: FakeAgent) -> None:
    status, body = raw_poll(url, b"not json")
    assert (status, body["__type"]) == (400, "BadRequestException")
    status, body = raw_poll(url, {"version": 0})
    assert (status, body["__type"]) == (400, "BadRequestException")
    status, body = raw_poll(url, {"containerInstanceArn": agent.arn, "version": -1})
    assert (status, body["__type"]) == (400, "BadRequestException")
    unknown = agent.arn.replace(agent.instance_id, "0" * 32)
    status, body = raw_poll(url, {"containerInstanceArn": unknown, "version": 0})
    assert (status, body["__type"]) == (400, "UnknownInstanceException")
    status, body = raw_poll(url, {"containerInstanceArn": "arn:aws:ecs:x", "version": 0})
    assert (status, body["__type"]) == (400, "UnknownInstanceException")
    status, body = raw_poll(
        url, {"containerInstanceArn": agent.arn, "cluster": "other", "version": 0}
    )
    assert (status, body["__type"]) == (400, "BadRequestException")


# -- liveness (short timeouts) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_server() -> Iterator[str]:
    """A server whose agents count as gone after 1 s, and lose their tasks after 2 s."""
    srv = ServerProcess(
        env={"CARGOBAY_AGENT_TIMEOUT": "1", "CARGOBAY_AGENT_TASK_TIMEOUT": "2"}
    ).start()
    try:
        yield srv.url
    finally:
        srv.stop()


def wait_for(check: Any, timeout: float = 8.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_silent_agent_is_disconnected_and_its_tasks_stop_after_the_task_timeout(
    quick_server: str,
) -> None:
    ecs = client("ecs", quick_server)
    ecs.create_cluster(clusterName="live")
    a = FakeAgent(quick_server, cluster="live")
    a.register()
    taskdef(ecs, "sleepy")
    task = ecs.run_task(cluster="live", taskDefinition="sleepy")["tasks"][0]
    a.poll()
    a.report(task["taskArn"], "RUNNING")
    # a held poll keeps the agent connected although it is longer than the timeout
    a.poll(wait=1.5)
    assert a.describe()["agentConnected"] is True
    assert wait_for(lambda: a.describe()["agentConnected"] is False)
    refused = ecs.run_task(cluster="live", taskDefinition="sleepy")
    assert refused["tasks"] == []
    assert refused["failures"] == [{"arn": a.arn, "reason": "AGENT"}]
    assert listed(ecs, cluster="live", filter="agentConnected == false") == {a.arn}

    def stopped() -> Any:
        t = ecs.describe_tasks(cluster="live", tasks=[task["taskArn"]])["tasks"][0]
        return t if t["lastStatus"] == "STOPPED" else None

    t = wait_for(stopped)
    assert t, "the task of the lost host was not stopped"
    assert t["stopCode"] == "TerminationNotice"
    assert t["stoppedReason"] == f"Host EC2 (instance {a.ec2_instance_id}) terminated."
    assert t["desiredStatus"] == "STOPPED"
    ci = a.describe()
    assert ci["remainingResources"] == ci["registeredResources"]
    assert ci["runningTasksCount"] == 0
    assert cluster_counts(ecs, "live")["running"] == 0
    # the agent comes back: connected again, with nothing to run
    assert a.poll()["tasks"] == []
    assert a.describe()["agentConnected"] is True


# -- kill -9 mid-task ------------------------------------------------------------------------


def test_server_killed_mid_task_loses_nothing_and_duplicates_nothing(tmp_path: Any) -> None:
    data = str(tmp_path / "data")
    srv = ServerProcess(data_dir=data).start()
    port = srv.port
    try:
        ecs = client("ecs", srv.url)
        ecs.create_cluster(clusterName="default")
        a = FakeAgent(srv.url)
        a.register()
        taskdef(ecs, portMappings=[{"containerPort": 80, "hostPort": 8080}])
        arns = [t["taskArn"] for t in ecs.run_task(taskDefinition="web", count=1)["tasks"]]
        answer = a.poll()
        a.report(arns[0], "RUNNING")
        srv.kill9()

        srv = ServerProcess(data_dir=data, port=port).start()
        ecs = client("ecs", srv.url)
        # the agent polls again with the version it had: the same set, no duplicates
        again = a.poll(version=0)
        assert [t["taskArn"] for t in again["tasks"]] == arns
        assert again["version"] == answer["version"]
        assert ecs.list_tasks()["taskArns"] == arns
        t = ecs.describe_tasks(tasks=arns)["tasks"][0]
        assert t["lastStatus"] == "RUNNING"
        ci = a.describe()
        rem = {r["name"]: r for r in ci["remainingResources"]}
        assert rem["MEMORY"]["integerValue"] == 4096 - 256
        assert "8080" in rem["PORTS"]["stringSetValue"]
        assert cluster_counts(ecs)["running"] == 1
        ecs.stop_task(task=arns[0])
        a.poll()
        a.stop_all()
        srv.stop()
        # the lifecycle as recorded, in order (internal _history, read from the file)
        db = sqlite3.connect(f"{data}/state.db")
        [(raw,)] = db.execute("SELECT doc FROM docs WHERE tbl = 'ecs.tasks'").fetchall()
        db.close()
        history = [h[0] for h in json.loads(raw)["_history"]]
        assert history == [
            "PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING",
            "DEPROVISIONING", "STOPPED",
        ]
    finally:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop()
