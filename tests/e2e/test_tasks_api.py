"""Tasks through boto3 (and the AWS CLI) with a scripted agent (tests/fake_agent.py):
RunTask placement and every failure reason, resource accounting, overrides, StartTask,
StopTask, the lifecycle driven by the agent's reports, DescribeTasks, ListTasks filters
and pages, clientToken idempotency, tags, health, and the cluster counters."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fake_agent import CAPABILITIES, FakeAgent
from tests.support import aws_cli
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"
TASK_ARN = re.compile(rf"^arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/([0-9a-f]{{32}})$")


def taskdef(ecs: Any, family: str = "web", *containers: dict[str, Any], **extra: Any) -> str:
    if not containers:
        containers = ({"name": "app", "image": "busybox", "memory": 256, "cpu": 256},)
    arn: str = ecs.register_task_definition(
        family=family, containerDefinitions=list(containers), **extra
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def remaining(agent: FakeAgent) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in agent.describe()["remainingResources"]:
        out[r["name"]] = r.get("stringSetValue", r["integerValue"])
    return out


def counts(ecs: Any, cluster: str = "default") -> tuple[int, int, int, int]:
    c = ecs.describe_clusters(clusters=[cluster], include=["STATISTICS"])["clusters"][0]
    s = {x["name"]: int(x["value"]) for x in c["statistics"]}
    return (
        c["runningTasksCount"],
        c["pendingTasksCount"],
        s["runningEC2TasksCount"],
        s["pendingEC2TasksCount"],
    )


def describe(ecs: Any, arn: str, **kw: Any) -> dict[str, Any]:
    out = ecs.describe_tasks(tasks=[arn], **kw)
    assert out["failures"] == []
    task: dict[str, Any] = out["tasks"][0]
    return task


@pytest.fixture
def agent(url: str, ecs: Any) -> FakeAgent:
    ecs.create_cluster(clusterName="default")
    a = FakeAgent(url, cpu=1024, memory=1024,
                  capabilities=[*CAPABILITIES, "ecs.capability.container-health-check"])
    a.register()
    return a


# -- RunTask -------------------------------------------------------------------------------


def test_run_task_answers_the_task_as_ecs_shows_it(ecs: Any, agent: FakeAgent) -> None:
    td = taskdef(
        ecs,
        "web",
        {"name": "app", "image": "nginx", "cpu": 128, "memory": 300,
         "healthCheck": {"command": ["CMD-SHELL", "true"]}},
        {"name": "side", "image": "busybox", "memoryReservation": 64, "essential": False},
    )
    before = time.time()
    out = ecs.run_task(taskDefinition="web", startedBy="me")
    assert out["failures"] == []
    [t] = out["tasks"]
    m = TASK_ARN.match(t["taskArn"])
    assert m, t["taskArn"]
    task_id = m.group(1)
    assert t["clusterArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
    assert t["taskDefinitionArn"] == td
    assert t["containerInstanceArn"] == agent.arn
    assert t["lastStatus"] == "PENDING" and t["desiredStatus"] == "RUNNING"
    assert t["cpu"] == "128" and t["memory"] == "364"
    assert t["group"] == "family:web" and t["startedBy"] == "me"
    assert t["launchType"] == "EC2" and t["version"] == 1
    assert t["connectivity"] == "CONNECTED"
    assert before - 1 <= t["createdAt"].timestamp() <= time.time() + 1
    assert t["connectivityAt"] == t["createdAt"]
    assert t["availabilityZone"] == "us-east-1a"
    assert t["attributes"] == [{"name": "ecs.cpu-architecture", "value": "x86_64"}]
    assert t["enableExecuteCommand"] is False and t["healthStatus"] == "UNKNOWN"
    assert t["overrides"] == {
        "containerOverrides": [{"name": "app"}, {"name": "side"}],
        "inferenceAcceleratorOverrides": [],
    }
    assert t["attachments"] == [] and t["tags"] == []
    for absent in ("startedAt", "stoppedAt", "stopCode", "stoppedReason", "pullStartedAt"):
        assert absent not in t
    app, side = t["containers"]
    assert re.match(
        rf"^arn:aws:ecs:{REGION}:{ACCOUNT}:container/default/{task_id}/[0-9a-f-]{{36}}$",
        app["containerArn"],
    )
    assert app == {
        "containerArn": app["containerArn"], "taskArn": t["taskArn"], "name": "app",
        "image": "nginx", "lastStatus": "PENDING", "networkInterfaces": [],
        "healthStatus": "UNKNOWN", "cpu": "128", "memory": "300",
    }
    assert side == {
        "containerArn": side["containerArn"], "taskArn": t["taskArn"], "name": "side",
        "image": "busybox", "lastStatus": "PENDING", "networkInterfaces": [], "cpu": "0",
        "memoryReservation": "64",
    }
    assert describe(ecs, t["taskArn"]) == t
    assert describe(ecs, task_id) == t


def test_placement_holds_resources_exactly_and_frees_them_at_stopped(
    ecs: Any, agent: FakeAgent
) -> None:
    taskdef(
        ecs, "web",
        {"name": "a", "image": "x", "cpu": 100, "memory": 200, "memoryReservation": 150,
         "portMappings": [{"containerPort": 80, "hostPort": 8080},
                          {"containerPort": 53, "hostPort": 5353, "protocol": "udp"},
                          {"containerPort": 9000}]},
        {"name": "b", "image": "x", "cpu": 50, "memory": 100},
    )
    fresh = remaining(agent)
    t = ecs.run_task(taskDefinition="web")["tasks"][0]
    held = remaining(agent)
    assert held["CPU"] == 1024 - 150
    assert held["MEMORY"] == 1024 - 250  # memoryReservation (soft) of a, memory of b
    assert held["PORTS"] == [*fresh["PORTS"], "8080"]
    assert held["PORTS_UDP"] == ["5353"]
    assert counts(ecs) == (0, 1, 0, 1)
    assert agent.describe()["pendingTasksCount"] == 1

    agent.poll()
    agent.report(t["taskArn"], "RUNNING")
    assert counts(ecs) == (1, 0, 1, 0)
    ci = agent.describe()
    assert (ci["runningTasksCount"], ci["pendingTasksCount"]) == (1, 0)
    assert remaining(agent) == held

    ecs.stop_task(task=t["taskArn"])
    assert remaining(agent) == held  # held until the agent reports STOPPED
    agent.poll()
    agent.stop_all()
    assert remaining(agent) == fresh
    assert counts(ecs) == (0, 0, 0, 0)
    ci = agent.describe()
    assert (ci["runningTasksCount"], ci["pendingTasksCount"]) == (0, 0)


def test_task_level_size_and_host_mode_ports(ecs: Any, agent: FakeAgent) -> None:
    taskdef(
        ecs, "hosty",
        {"name": "a", "image": "x", "portMappings": [{"containerPort": 7000}]},
        networkMode="host", cpu="768", memory="300",
    )
    t = ecs.run_task(taskDefinition="hosty")["tasks"][0]
    assert (t["cpu"], t["memory"]) == ("768", "300")
    rem = remaining(agent)
    assert (rem["CPU"], rem["MEMORY"]) == (256, 724)
    assert "7000" in rem["PORTS"]
    out = ecs.run_task(taskDefinition="hosty")
    assert out["tasks"] == []
    assert out["failures"] == [{"arn": agent.arn, "reason": "RESOURCE:CPU"}]


@pytest.mark.parametrize(
    ("container", "reason"),
    [
        ({"cpu": 2048, "memory": 10}, "RESOURCE:CPU"),
        ({"memory": 4096}, "RESOURCE:MEMORY"),
        ({"memory": 10, "portMappings": [{"containerPort": 22, "hostPort": 22}]},
         "RESOURCE:PORTS"),
        ({"memory": 10, "logConfiguration": {"logDriver": "syslog"}}, "ATTRIBUTE"),
    ],
)
def test_run_task_failure_reasons_change_nothing(
    ecs: Any, agent: FakeAgent, container: dict[str, Any], reason: str
) -> None:
    taskdef(ecs, "big", {"name": "a", "image": "x", **container})
    fresh = agent.describe()
    out = ecs.run_task(taskDefinition="big", count=3)
    assert out["tasks"] == []
    assert out["failures"] == [{"arn": agent.arn, "reason": reason}]
    assert agent.describe() == fresh
    assert counts(ecs) == (0, 0, 0, 0)
    assert ecs.list_tasks()["taskArns"] == []


def test_run_task_places_what_fits_and_reports_the_rest(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs, "half", {"name": "a", "image": "x", "memory": 400})
    out = ecs.run_task(taskDefinition="half", count=4)
    assert len(out["tasks"]) == 2
    assert out["failures"] == [{"arn": agent.arn, "reason": "RESOURCE:MEMORY"}]
    assert remaining(agent)["MEMORY"] == 1024 - 800
    assert counts(ecs) == (0, 2, 0, 2)


def test_placement_constraints_and_strategies(url: str, ecs: Any, agent: FakeAgent) -> None:
    other = FakeAgent(url, cpu=1024, memory=1024, instance_type="m5.large", zone="us-east-1b")
    other.register()
    taskdef(ecs, "web", {"name": "a", "image": "x", "memory": 100})
    on_m5 = ecs.run_task(
        taskDefinition="web", count=3,
        placementConstraints=[
            {"type": "memberOf", "expression": "attribute:ecs.instance-type == m5.large"}
        ],
    )["tasks"]
    assert {t["containerInstanceArn"] for t in on_m5} == {other.arn}
    distinct = ecs.run_task(
        taskDefinition="web", count=3, group="solo",
        placementConstraints=[{"type": "distinctInstance"}],
    )
    assert sorted(t["containerInstanceArn"] for t in distinct["tasks"]) == sorted(
        [agent.arn, other.arn]
    )
    assert sorted(f["reason"] for f in distinct["failures"]) == [
        "DistinctInstance placement constraint unsatisfied.",
        "DistinctInstance placement constraint unsatisfied.",
    ]
    nowhere = ecs.run_task(
        taskDefinition="web",
        placementConstraints=[{"type": "memberOf", "expression": "attribute:gpu exists"}],
    )
    assert nowhere["tasks"] == []
    assert {f["reason"] for f in nowhere["failures"]} == {
        "MemberOf placement constraint unsatisfied."
    }
    packed = ecs.run_task(
        taskDefinition="web", count=2, placementStrategy=[{"type": "binpack", "field": "memory"}]
    )["tasks"]
    # other holds 3 + 1 tasks (less memory left): binpack keeps filling it
    assert {t["containerInstanceArn"] for t in packed} == {other.arn}
    spread = ecs.run_task(
        taskDefinition="web", count=2, group="pair",
        placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
    )["tasks"]
    assert sorted(t["containerInstanceArn"] for t in spread) == sorted([agent.arn, other.arn])
    for bad in (
        {"placementConstraints": [{"type": "distinctInstance", "expression": "x == y"}]},
        {"placementConstraints": [{"type": "memberOf"}]},
        {"placementConstraints": [{"type": "memberOf", "expression": "nonsense"}]},
        {"placementConstraints": [{"type": "distinctInstance"}] * 11},
        {"placementStrategy": [{"type": "binpack", "field": "disk"}]},
        {"placementStrategy": [{"type": "spread"}]},
        {"placementStrategy": [{"type": "random"}] * 6},
    ):
        error(lambda b=bad: ecs.run_task(taskDefinition="web", **b),  # type: ignore[misc]
              "InvalidParameterException")


def test_run_task_refusals_change_nothing(ecs: Any, agent: FakeAgent) -> None:
    td = taskdef(ecs)
    ecs.register_task_definition(
        family="fg", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
        memory="512", containerDefinitions=[{"name": "a", "image": "x"}],
    )
    taskdef(ecs, "vpc", {"name": "a", "image": "x", "memory": 10}, networkMode="awsvpc")
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        ({"taskDefinition": "nope"}, "ClientException", "TaskDefinition not found."),
        ({"taskDefinition": "web:9"}, "ClientException", "TaskDefinition not found."),
        ({"taskDefinition": "web", "cluster": "nope"}, "ClusterNotFoundException", None),
        ({"taskDefinition": "web", "count": 0}, "InvalidParameterException", None),
        ({"taskDefinition": "web", "count": 11}, "InvalidParameterException", None),
        ({"taskDefinition": "fg"}, "InvalidParameterException",
         "Task definition does not support launch_type EC2."),
        ({"taskDefinition": "web", "launchType": "FARGATE"}, "InvalidParameterException",
         "Task definition does not support launch_type FARGATE."),
        ({"taskDefinition": "web", "launchType": "EXTERNAL"}, "UnsupportedFeatureException",
         None),
        ({"taskDefinition": "vpc"}, "InvalidParameterException",
         "Network Configuration must be provided when networkMode 'awsvpc' is specified."),
        ({"taskDefinition": "web",
          "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s-1"]}}},
         "InvalidParameterException", None),
        ({"taskDefinition": "web", "overrides": {"containerOverrides": [{"name": "ghost"}]}},
         "InvalidParameterException",
         "Override for container named ghost is not a container in the TaskDefinition."),
        ({"taskDefinition": "web",
          "overrides": {"containerOverrides": [{"name": "app", "memory": 100,
                                                "memoryReservation": 200}]}},
         "InvalidParameterException", None),
        ({"taskDefinition": "web", "startedBy": "no spaces allowed"},
         "InvalidParameterException", None),
        ({"taskDefinition": "web", "propagateTags": "SERVICE"}, "InvalidParameterException",
         None),
        ({"taskDefinition": "web", "launchType": "EC2",
          "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]},
         "InvalidParameterException", None),
        ({"taskDefinition": "web", "platformVersion": "LATEST"}, "InvalidParameterException",
         None),
        ({"taskDefinition": "web", "enableExecuteCommand": True}, "InvalidParameterException",
         None),
    ]
    for req, code, message in cases:
        got = error(lambda r=req: ecs.run_task(**r), code)  # type: ignore[misc]
        if message is not None:
            assert got == message, req
    ecs.deregister_task_definition(taskDefinition=td)
    assert error(lambda: ecs.run_task(taskDefinition=td), "ClientException") == (
        "TaskDefinition is inactive"
    )
    assert ecs.list_tasks()["taskArns"] == []
    assert counts(ecs) == (0, 0, 0, 0)
    ci = agent.describe()
    assert ci["remainingResources"] == ci["registeredResources"]


def test_run_task_without_instances(ecs: Any) -> None:
    ecs.create_cluster(clusterName="default")
    taskdef(ecs)
    msg = error(lambda: ecs.run_task(taskDefinition="web"), "InvalidParameterException")
    assert msg == "No Container Instances were found in your cluster."


def test_overrides_change_what_is_held_and_what_the_agent_gets(
    ecs: Any, agent: FakeAgent
) -> None:
    taskdef(ecs)
    overrides = {
        "containerOverrides": [
            {"name": "app", "command": ["echo", "hi"], "environment": [{"name": "A", "value": "1"}],
             "cpu": 64, "memory": 512, "memoryReservation": 128}
        ],
        "taskRoleArn": "arn:aws:iam::000000000000:role/task",
        "executionRoleArn": "arn:aws:iam::000000000000:role/exec",
    }
    t = ecs.run_task(taskDefinition="web", overrides=overrides)["tasks"][0]
    assert t["overrides"] == {**overrides, "inferenceAcceleratorOverrides": []}
    app = t["containers"][0]
    assert (app["cpu"], app["memory"], app["memoryReservation"]) == ("64", "512", "128")
    assert (t["cpu"], t["memory"]) == ("64", "128")
    rem = remaining(agent)
    assert (rem["CPU"], rem["MEMORY"]) == (1024 - 64, 1024 - 128)
    [given] = agent.poll()["tasks"]
    assert given["overrides"] == t["overrides"]
    sized = ecs.run_task(taskDefinition="web", overrides={"cpu": "256", "memory": "300"})
    assert (sized["tasks"][0]["cpu"], sized["tasks"][0]["memory"]) == ("256", "300")


def test_client_token_makes_run_task_idempotent(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    first = ecs.run_task(taskDefinition="web", count=2, clientToken="tok-1")
    again = ecs.run_task(taskDefinition="web", count=2, clientToken="tok-1")
    assert [t["taskArn"] for t in again["tasks"]] == [t["taskArn"] for t in first["tasks"]]
    assert len(ecs.list_tasks()["taskArns"]) == 2
    assert counts(ecs) == (0, 2, 0, 2)
    error(lambda: ecs.run_task(taskDefinition="web", count=1, clientToken="tok-1"),
          "ConflictException")
    try:
        ecs.run_task(taskDefinition="web", count=1, clientToken="tok-1")
    except ecs.exceptions.ConflictException as e:  # the modelled member names the tasks
        assert sorted(e.response["resourceIds"]) == sorted(t["taskArn"] for t in first["tasks"])
    else:
        raise AssertionError("no ConflictException")
    assert len(ecs.list_tasks()["taskArns"]) == 2
    other = ecs.run_task(taskDefinition="web", count=1, clientToken="tok-2")
    assert len(other["tasks"]) == 1 and len(ecs.list_tasks()["taskArns"]) == 3


# -- StartTask ----------------------------------------------------------------------------------


def test_start_task_on_named_instances(url: str, ecs: Any, agent: FakeAgent) -> None:
    gone = FakeAgent(url)
    gone.register()
    ecs.deregister_container_instance(containerInstance=gone.arn)
    taskdef(ecs)
    missing = agent.arn.replace(agent.instance_id, "a" * 32)
    out = ecs.start_task(
        taskDefinition="web", containerInstances=[agent.instance_id, missing, gone.arn],
        startedBy="sched", group="g1",
    )
    assert [t["containerInstanceArn"] for t in out["tasks"]] == [agent.arn]
    assert out["tasks"][0]["group"] == "g1" and out["tasks"][0]["startedBy"] == "sched"
    assert out["failures"] == [
        {"arn": missing, "reason": "MISSING"},
        {"arn": gone.arn, "reason": "INACTIVE"},
    ]
    taskdef(ecs, "huge", {"name": "a", "image": "x", "memory": 5000})
    out = ecs.start_task(taskDefinition="huge", containerInstances=[agent.arn])
    assert out["failures"] == [{"arn": agent.arn, "reason": "RESOURCE:MEMORY"}]
    error(lambda: ecs.start_task(taskDefinition="web", containerInstances=[agent.arn] * 11),
          "InvalidParameterException")
    error(lambda: ecs.start_task(taskDefinition="web", containerInstances=[]),
          "InvalidParameterException")


# -- the lifecycle from the agent's reports ------------------------------------------------------


def test_lifecycle_of_a_task_whose_essential_container_exits(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs, "job", {"name": "main", "image": "x", "memory": 64,
                         "portMappings": [{"containerPort": 80}]},
            {"name": "log", "image": "x", "memory": 32, "essential": False})
    t = ecs.run_task(taskDefinition="job")["tasks"][0]
    arn = t["taskArn"]
    agent.poll()
    agent.report(arn, "PENDING", pullStartedAt=1_800_000_000.0)
    pending = describe(ecs, arn)
    assert pending["lastStatus"] == "PENDING"
    assert pending["pullStartedAt"].timestamp() == 1_800_000_000.0
    binding = {"bindIP": "0.0.0.0", "containerPort": 80, "hostPort": 32768, "protocol": "tcp"}
    agent.report(
        arn, "RUNNING", pullStoppedAt=1_800_000_001.0,
        containers=[
            {"containerName": "main", "runtimeId": "r-main", "status": "RUNNING",
             "networkBindings": [binding]},
            {"containerName": "log", "runtimeId": "r-log", "status": "RUNNING"},
        ],
    )
    running = describe(ecs, arn)
    assert running["lastStatus"] == "RUNNING" and "startedAt" in running
    main, log = running["containers"]
    assert main["runtimeId"] == "r-main" and main["networkBindings"] == [binding]
    assert main["lastStatus"] == "RUNNING" and log["lastStatus"] == "RUNNING"
    assert running["version"] > pending["version"]
    # a non-essential container finishes on its own
    ecs.submit_container_state_change(
        task=arn, containerName="log", runtimeId="r-log", status="STOPPED", exitCode=0
    )
    log = describe(ecs, arn)["containers"][1]
    assert (log["lastStatus"], log["exitCode"]) == ("STOPPED", 0)
    # the essential one exits 3
    agent.report(
        arn, "STOPPED", reason="Essential container in task exited",
        executionStoppedAt=1_800_000_100.0,
        containers=[{"containerName": "main", "status": "STOPPED", "exitCode": 3}],
    )
    done = describe(ecs, arn)
    assert done["lastStatus"] == "STOPPED" and done["desiredStatus"] == "STOPPED"
    assert done["stopCode"] == "EssentialContainerExited"
    assert done["stoppedReason"] == "Essential container in task exited"
    assert done["containers"][0]["exitCode"] == 3
    assert done["executionStoppedAt"].timestamp() == 1_800_000_100.0
    for stamp in ("stoppingAt", "stoppedAt", "startedAt", "pullStoppedAt"):
        assert stamp in done
    # a resent or backward report changes nothing
    agent.report(arn, "RUNNING")
    assert describe(ecs, arn) == done
    assert ecs.list_tasks(desiredStatus="STOPPED")["taskArns"] == [arn]
    assert counts(ecs) == (0, 0, 0, 0)


def test_a_task_that_fails_to_start(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    arn = ecs.run_task(taskDefinition="web")["tasks"][0]["taskArn"]
    agent.poll()
    reason = "CannotPullContainerError: pull access denied for nosuch"
    agent.report(
        arn, "STOPPED", reason=reason,
        containers=[{"containerName": "app", "status": "STOPPED", "reason": reason}],
    )
    t = describe(ecs, arn)
    assert (t["stopCode"], t["stoppedReason"]) == ("TaskFailedToStart", reason)
    assert "startedAt" not in t
    assert t["containers"][0]["reason"] == reason
    assert counts(ecs) == (0, 0, 0, 0)


def test_reports_for_unknown_tasks_and_containers_are_refused(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    arn = ecs.run_task(taskDefinition="web")["tasks"][0]["taskArn"]
    error(lambda: ecs.submit_task_state_change(task="0" * 32, status="RUNNING"),
          "InvalidParameterException")
    error(lambda: ecs.submit_task_state_change(task=arn, status="DANCING"),
          "InvalidParameterException")
    error(lambda: ecs.submit_task_state_change(
        task=arn, status="RUNNING", containers=[{"containerName": "ghost", "status": "RUNNING"}]),
        "InvalidParameterException")
    error(lambda: ecs.submit_container_state_change(task=arn, containerName="ghost"),
          "InvalidParameterException")
    assert describe(ecs, arn)["lastStatus"] == "PENDING"


def test_health_reported_through_the_poll(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs, "hc",
            {"name": "web", "image": "x", "memory": 64,
             "healthCheck": {"command": ["CMD", "true"]}},
            {"name": "plain", "image": "x", "memory": 64})
    arn = ecs.run_task(taskDefinition="hc")["tasks"][0]["taskArn"]
    agent.poll()
    agent.report(arn, "RUNNING")
    agent.poll(health={arn: {"web": "HEALTHY", "plain": "HEALTHY"}})
    t = describe(ecs, arn)
    assert t["healthStatus"] == "HEALTHY"
    assert t["containers"][0]["healthStatus"] == "HEALTHY"
    assert "healthStatus" not in t["containers"][1]  # no health check: not reported
    agent.poll(health={arn: {"web": "UNHEALTHY"}})
    t = describe(ecs, arn)
    assert (t["healthStatus"], t["containers"][0]["healthStatus"]) == ("UNHEALTHY", "UNHEALTHY")


# -- StopTask ------------------------------------------------------------------------------------


def test_stop_task(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    a, b = (t["taskArn"] for t in ecs.run_task(taskDefinition="web", count=2)["tasks"])
    agent.poll()
    agent.report(a, "RUNNING")
    stopping = ecs.stop_task(task=a, reason="Scaling in")["task"]
    assert stopping["desiredStatus"] == "STOPPED" and stopping["lastStatus"] == "STOPPING"
    assert (stopping["stopCode"], stopping["stoppedReason"]) == ("UserInitiated", "Scaling in")
    assert "stoppingAt" in stopping
    # a second StopTask changes nothing
    assert ecs.stop_task(task=a, reason="other")["task"] == stopping
    plain = ecs.stop_task(task=b.rsplit("/", 1)[1])["task"]
    assert plain["stoppedReason"] == "Task stopped by user"
    agent.poll()
    assert {t["desiredStatus"] for t in agent.tasks.values()} == {"STOPPED"}
    agent.stop_all()
    for arn, reason in ((a, "Scaling in"), (b, "Task stopped by user")):
        t = describe(ecs, arn)
        assert t["lastStatus"] == "STOPPED"
        assert (t["stopCode"], t["stoppedReason"]) == ("UserInitiated", reason)
    assert error(lambda: ecs.stop_task(task="0" * 32), "InvalidParameterException") == (
        "The referenced task was not found."
    )
    assert error(lambda: ecs.stop_task(task="not a task!"), "InvalidParameterException") == (
        "Task Identifier is invalid"
    )
    error(lambda: ecs.stop_task(task=a, cluster="nope"), "ClusterNotFoundException")
    error(lambda: ecs.stop_task(task=a, reason="x" * 256), "InvalidParameterException")


# -- DescribeTasks / ListTasks ------------------------------------------------------------------


def test_describe_tasks_failures_and_tags(ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    ecs.tag_resource(
        resourceArn=ecs.describe_task_definition(taskDefinition="web")["taskDefinition"][
            "taskDefinitionArn"],
        tags=[{"key": "team", "value": "core"}, {"key": "tier", "value": "td"}],
    )
    t = ecs.run_task(
        taskDefinition="web", tags=[{"key": "tier", "value": "task"}],
        propagateTags="TASK_DEFINITION", enableECSManagedTags=True,
    )["tasks"][0]
    expected = [
        {"key": "team", "value": "core"},
        {"key": "tier", "value": "task"},
        {"key": "aws:ecs:clusterName", "value": "default"},
    ]
    assert t["tags"] == expected
    assert describe(ecs, t["taskArn"])["tags"] == []
    assert describe(ecs, t["taskArn"], include=["TAGS"])["tags"] == expected
    ecs.tag_resource(resourceArn=t["taskArn"], tags=[{"key": "more", "value": "1"}])
    assert ecs.list_tags_for_resource(resourceArn=t["taskArn"])["tags"][-1] == {
        "key": "more", "value": "1"
    }
    missing = t["taskArn"].replace(TASK_ARN.match(t["taskArn"]).group(1), "b" * 32)  # type: ignore[union-attr]
    out = ecs.describe_tasks(tasks=[t["taskArn"], "b" * 32, "bad id!"])
    assert [x["taskArn"] for x in out["tasks"]] == [t["taskArn"]]
    assert out["failures"] == [
        {"arn": missing, "reason": "MISSING"},
        {"arn": "bad id!", "reason": "MISSING"},
    ]
    error(lambda: ecs.describe_tasks(tasks=[]), "InvalidParameterException")
    error(lambda: ecs.describe_tasks(tasks=["a"] * 101), "InvalidParameterException")
    error(lambda: ecs.describe_tasks(tasks=["a"], cluster="nope"), "ClusterNotFoundException")


def test_list_tasks_filters_and_pages(url: str, ecs: Any, agent: FakeAgent) -> None:
    other = FakeAgent(url)
    other.register()
    taskdef(ecs, "web", {"name": "a", "image": "x", "memory": 10, "cpu": 10})
    taskdef(ecs, "batch", {"name": "a", "image": "x", "memory": 10, "cpu": 10})
    on_agent = ecs.start_task(taskDefinition="web", containerInstances=[agent.arn] * 6)["tasks"]
    on_other = ecs.start_task(
        taskDefinition="batch", containerInstances=[other.arn] * 6, startedBy="nightly"
    )["tasks"]
    everything = {t["taskArn"] for t in on_agent + on_other}
    seen: list[str] = []
    token = None
    for _ in range(10):
        page = ecs.list_tasks(maxResults=5, **({"nextToken": token} if token else {}))
        assert len(page["taskArns"]) <= 5
        seen += page["taskArns"]
        token = page.get("nextToken")
        if not token:
            break
    assert len(seen) == 12 and set(seen) == everything

    def listed(**kw: Any) -> set[str]:
        return set(ecs.list_tasks(**kw)["taskArns"])

    assert listed(containerInstance=agent.arn) == {t["taskArn"] for t in on_agent}
    assert listed(containerInstance=other.instance_id) == {t["taskArn"] for t in on_other}
    assert listed(family="batch") == {t["taskArn"] for t in on_other}
    assert listed(startedBy="nightly") == {t["taskArn"] for t in on_other}
    assert listed(launchType="EC2") == everything
    assert listed(launchType="FARGATE") == set()
    # ListTasks names a service that must exist (issue 5: services)
    error(lambda: ecs.list_tasks(serviceName="svc"), "ServiceNotFoundException")
    assert listed(desiredStatus="PENDING") == set()
    assert listed(desiredStatus="STOPPED") == set()
    ecs.stop_task(task=on_agent[0]["taskArn"])
    assert listed(desiredStatus="STOPPED") == {on_agent[0]["taskArn"]}
    assert on_agent[0]["taskArn"] not in listed()
    error(lambda: ecs.list_tasks(nextToken="!!"), "InvalidParameterException")
    error(lambda: ecs.list_tasks(cluster="nope"), "ClusterNotFoundException")


def test_a_running_task_keeps_its_cluster_and_definition(ecs: Any, agent: FakeAgent) -> None:
    td = taskdef(ecs)
    t = ecs.run_task(taskDefinition="web")["tasks"][0]
    error(lambda: ecs.delete_cluster(cluster="default"),
          "ClusterContainsContainerInstancesException")
    ecs.deregister_task_definition(taskDefinition=td)
    deleted = ecs.delete_task_definitions(taskDefinitions=[td])["taskDefinitions"]
    assert deleted[0]["status"] == "DELETE_IN_PROGRESS"
    # still in use: still there
    assert ecs.describe_task_definition(taskDefinition=td)["taskDefinition"]["status"] == (
        "DELETE_IN_PROGRESS"
    )
    agent.poll()
    assert agent.tasks[t["taskArn"]]["taskDefinition"]["taskDefinitionArn"] == td
    ecs.stop_task(task=t["taskArn"])
    agent.poll()
    agent.stop_all()
    error(lambda: ecs.describe_task_definition(taskDefinition=td), "ClientException")


def test_run_task_with_the_aws_cli(url: str, ecs: Any, agent: FakeAgent) -> None:
    taskdef(ecs)
    out = json.loads(aws_cli(url, "ecs", "run-task", "--task-definition", "web",
                             "--count", "2").stdout)
    assert len(out["tasks"]) == 2 and out["failures"] == []
    listed = json.loads(aws_cli(url, "ecs", "list-tasks").stdout)["taskArns"]
    assert sorted(listed) == sorted(t["taskArn"] for t in out["tasks"])


# -- robustness -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(expression=st.text(alphabet=st.sampled_from(list("attribute:ecs.x=!~<>()[],'\" andor")),
                          max_size=40))
def test_any_filter_is_answered_or_refused_never_a_server_error(
    server_url: str, expression: str
) -> None:
    from tests.support import client

    ecs = client("ecs", server_url)
    ecs.create_cluster(clusterName="fuzz")
    try:
        out = ecs.list_container_instances(cluster="fuzz", filter=expression)
        assert out["containerInstanceArns"] == []
    except Exception as e:  # only ECS's refusal is acceptable
        assert getattr(e, "response", {}).get("Error", {}).get("Code") == (
            "InvalidParameterException"
        ), e
