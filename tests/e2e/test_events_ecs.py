"""ECS and EventBridge together, on a real server with a scripted container instance
(tests/fake_agent.py): ECS's events on the default bus (ECS Developer Guide, "Amazon ECS
events"), and rules whose target runs tasks (RunTask with the target's EcsParameters and
an InputTransformer's container overrides)."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from tests.e2e.test_events_delivery import queue, receive
from tests.fake_agent import FakeAgent
from tests.support import client

ACCOUNT = "000000000000"
REGION = "us-east-1"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsEventsRole"
#: "Amazon ECS CloudWatch Events IAM role": EventBridge assumes it to call RunTask
EVENTS_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
EVENTS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceEventsRole"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def events(url: str) -> Any:
    return client("events", url)


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


@pytest.fixture
def agent(url: str, ecs: Any) -> FakeAgent:
    ecs.create_cluster(clusterName="default")
    a = FakeAgent(url, cpu=2048, memory=2048)
    a.register()
    return a


@pytest.fixture
def events_role(url: str) -> str:
    """The role ECS targets name: trusted by EventBridge, allowed to run tasks."""
    iam = client("iam", url)
    iam.create_role(RoleName="ecsEventsRole", AssumeRolePolicyDocument=EVENTS_TRUST)
    iam.attach_role_policy(RoleName="ecsEventsRole", PolicyArn=EVENTS_POLICY)
    return ROLE


def worker_taskdef(ecs: Any) -> str:
    arn: str = ecs.register_task_definition(
        family="worker",
        containerDefinitions=[{"name": "worker", "image": "busybox", "memory": 128,
                               "command": ["process", "default"]}],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def bodies(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(m["Body"]) for m in messages]


def test_task_state_change_events_when_a_task_stops(
    ecs: Any, events: Any, sqs: Any, agent: FakeAgent
) -> None:
    stopped_q, stopped_arn = queue(sqs, "stopped")
    all_q, all_arn = queue(sqs, "all-task-changes")
    events.put_rule(Name="task-stopped", EventPattern=json.dumps({
        "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
        "detail": {"lastStatus": ["STOPPED"], "clusterArn": [CLUSTER_ARN]}}))
    events.put_targets(Rule="task-stopped", Targets=[{"Id": "q", "Arn": stopped_arn}])
    events.put_rule(Name="task-changes", EventPattern=json.dumps({
        "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"]}))
    events.put_targets(Rule="task-changes", Targets=[{"Id": "q", "Arn": all_arn}])
    td = worker_taskdef(ecs)
    task_arn = ecs.run_task(taskDefinition="worker", startedBy="me")["tasks"][0]["taskArn"]
    agent.poll()
    agent.report(task_arn, "RUNNING")
    ecs.stop_task(task=task_arn, reason="done for today")
    agent.poll()
    agent.stop_all()

    [event] = bodies(receive(sqs, stopped_q))
    assert (event["source"], event["detail-type"]) == ("aws.ecs", "ECS Task State Change")
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    assert event["resources"] == [task_arn]
    d = event["detail"]
    final = ecs.describe_tasks(tasks=[task_arn])["tasks"][0]
    assert d["taskArn"] == task_arn and d["clusterArn"] == CLUSTER_ARN
    assert d["taskDefinitionArn"] == td
    assert (d["lastStatus"], d["desiredStatus"]) == ("STOPPED", "STOPPED")
    assert (d["stopCode"], d["stoppedReason"]) == ("UserInitiated", "done for today")
    assert d["version"] == final["version"]
    assert (d["launchType"], d["group"], d["startedBy"]) == ("EC2", "family:worker", "me")
    assert d["containerInstanceArn"] == agent.arn
    assert d["memory"] == final["memory"] and isinstance(d["memory"], str)
    for k in ("createdAt", "startedAt", "stoppingAt", "stoppedAt", "updatedAt"):
        assert ISO_MS.match(d[k]), (k, d[k])
    [c] = d["containers"]
    assert (c["name"], c["lastStatus"], c["taskArn"]) == ("worker", "STOPPED", task_arn)
    assert c["containerArn"] == final["containers"][0]["containerArn"]

    seen = bodies(receive(sqs, all_q, 4))
    assert [e["detail"]["lastStatus"] for e in seen] == [
        "PENDING", "RUNNING", "STOPPING", "STOPPED"]
    versions = [e["detail"]["version"] for e in seen]
    assert versions == sorted(versions) and len(set(versions)) == 4


def test_container_instance_state_change_events(
    ecs: Any, events: Any, sqs: Any, url: str
) -> None:
    q, arn = queue(sqs, "instances")
    events.put_rule(Name="instances", EventPattern=json.dumps({
        "source": ["aws.ecs"], "detail-type": ["ECS Container Instance State Change"]}))
    events.put_targets(Rule="instances", Targets=[{"Id": "q", "Arn": arn}])
    ecs.create_cluster(clusterName="default")
    a = FakeAgent(url, cpu=1024, memory=1024)
    a.register()
    ecs.update_container_instances_state(containerInstances=[a.arn], status="DRAINING")
    ecs.deregister_container_instance(containerInstance=a.arn)
    got = bodies(receive(sqs, q, 3))
    assert [e["detail"]["status"] for e in got] == ["ACTIVE", "DRAINING", "INACTIVE"]
    first = got[0]
    assert first["resources"] == [a.arn]
    d = first["detail"]
    assert d["containerInstanceArn"] == a.arn and d["clusterArn"] == CLUSTER_ARN
    assert d["ec2InstanceId"] == a.ec2_instance_id
    assert d["agentConnected"] is True
    assert {r["name"] for r in d["registeredResources"]} >= {"CPU", "MEMORY"}
    assert ISO_MS.match(d["updatedAt"]) and ISO_MS.match(d["registeredAt"])
    assert d["versionInfo"]["agentVersion"] == "1.80.0"


def test_an_event_runs_a_task_with_its_data_in_the_command(
    ecs: Any, events: Any, agent: FakeAgent, events_role: str
) -> None:
    td = worker_taskdef(ecs)
    events.put_rule(Name="run-jobs", EventPattern=json.dumps(
        {"source": ["my.jobs"], "detail-type": ["Job Submitted"]}))
    events.put_targets(Rule="run-jobs", Targets=[{
        "Id": "worker",
        "Arn": CLUSTER_ARN,
        "RoleArn": ROLE,
        "EcsParameters": {"TaskDefinitionArn": td, "TaskCount": 2, "LaunchType": "EC2",
                          "Group": "jobs", "ReferenceId": "ref-1",
                          "Tags": [{"Key": "origin", "Value": "events"}]},
        "InputTransformer": {
            "InputPathsMap": {"job": "$.detail.jobId", "size": "$.detail.size"},
            "InputTemplate": '{"containerOverrides": [{"name": "worker", '
                             '"command": ["process", <job>, "--size", "<size>"]}]}',
        },
    }])
    events.put_events(Entries=[{"Source": "my.jobs", "DetailType": "Job Submitted",
                                "Detail": json.dumps({"jobId": "j-42", "size": 7})},
                               {"Source": "my.jobs", "DetailType": "Job Cancelled",
                                "Detail": json.dumps({"jobId": "j-43", "size": 1})}])
    deadline = time.monotonic() + 10
    arns: list[str] = []
    while len(arns) < 2 and time.monotonic() < deadline:
        arns = ecs.list_tasks(startedBy="events-rule/run-jobs")["taskArns"]
        time.sleep(0.05)
    assert len(arns) == 2
    tasks = ecs.describe_tasks(tasks=arns, include=["TAGS"])["tasks"]
    for t in tasks:
        assert t["taskDefinitionArn"] == td
        assert (t["group"], t["startedBy"], t["launchType"]) == (
            "jobs", "events-rule/run-jobs", "EC2")
        assert t["overrides"]["containerOverrides"] == [
            {"name": "worker", "command": ["process", "j-42", "--size", "7"]}]
        assert {"key": "origin", "value": "events"} in t["tags"]
    # the agent is told to run the command from the event
    given = agent.poll()["tasks"]
    assert {g["taskArn"] for g in given} == set(arns)
    assert all(g["overrides"]["containerOverrides"][0]["command"] ==
               ["process", "j-42", "--size", "7"] for g in given)
    # only the submitted job ran
    time.sleep(0.3)
    assert len(ecs.list_tasks()["taskArns"]) == 2


def test_ecs_target_without_a_task_definition_goes_to_the_dead_letter_queue(
    ecs: Any, events: Any, sqs: Any, agent: FakeAgent, events_role: str
) -> None:
    dlq, dlq_arn = queue(sqs, "ecs-dlq")
    events.put_rule(Name="run", EventPattern=json.dumps({"source": ["my.jobs"]}))
    events.put_targets(Rule="run", Targets=[{
        "Id": "worker", "Arn": CLUSTER_ARN, "RoleArn": ROLE,
        "EcsParameters": {"TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:"
                          "task-definition/missing:1"},
        "DeadLetterConfig": {"Arn": dlq_arn}}])
    events.put_events(Entries=[{"Source": "my.jobs", "DetailType": "x", "Detail": "{}"}])
    [m] = receive(sqs, dlq)
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["TARGET_ARN"] == CLUSTER_ARN
    assert attrs["ERROR_CODE"] == "INVALID_PARAMETER"
    assert "TaskDefinition not found" in attrs["ERROR_MESSAGE"]
    assert ecs.list_tasks()["taskArns"] == []


def test_an_ecs_target_whose_role_may_not_run_tasks_is_dead_lettered(
    ecs: Any, events: Any, sqs: Any, agent: FakeAgent, url: str
) -> None:
    iam = client("iam", url)
    iam.create_role(RoleName="powerless", AssumeRolePolicyDocument=EVENTS_TRUST)
    td = worker_taskdef(ecs)
    dlq, dlq_arn = queue(sqs, "denied-dlq")
    events.put_rule(Name="run", EventPattern=json.dumps({"source": ["my.jobs"]}))
    events.put_targets(Rule="run", Targets=[{
        "Id": "worker", "Arn": CLUSTER_ARN, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/powerless",
        "EcsParameters": {"TaskDefinitionArn": td}, "DeadLetterConfig": {"Arn": dlq_arn}}])
    events.put_events(Entries=[{"Source": "my.jobs", "DetailType": "x", "Detail": "{}"}])
    [m] = receive(sqs, dlq)
    attrs = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
    assert attrs["ERROR_CODE"] == "NO_PERMISSIONS"
    assert ecs.list_tasks()["taskArns"] == []


def test_a_stopped_task_notifies_an_sns_topic_whose_queue_receives_it(
    ecs: Any, events: Any, sqs: Any, agent: FakeAgent, url: str
) -> None:
    sns = client("sns", url)
    topic = sns.create_topic(Name="task-stopped")["TopicArn"]
    q, q_arn = queue(sqs, "ops-inbox")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn)
    events.put_rule(Name="stopped-to-sns", EventPattern=json.dumps({
        "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
        "detail": {"lastStatus": ["STOPPED"]}}))
    events.put_targets(Rule="stopped-to-sns", Targets=[{"Id": "topic", "Arn": topic}])
    worker_taskdef(ecs)
    task_arn = ecs.run_task(taskDefinition="worker")["tasks"][0]["taskArn"]
    agent.poll()
    agent.report(task_arn, "RUNNING")
    agent.report(task_arn, "STOPPED", reason="Essential container in task exited",
                 containers=[{"containerName": "worker", "status": "STOPPED", "exitCode": 3}])
    [m] = receive(sqs, q)
    envelope = json.loads(m["Body"])
    assert (envelope["Type"], envelope["TopicArn"]) == ("Notification", topic)
    event = json.loads(envelope["Message"])
    assert event["detail-type"] == "ECS Task State Change"
    d = event["detail"]
    assert (d["taskArn"], d["lastStatus"]) == (task_arn, "STOPPED")
    assert (d["stopCode"], d["stoppedReason"]) == ("EssentialContainerExited",
                                                   "Essential container in task exited")
    assert d["containers"][0]["exitCode"] == 3


def test_a_pending_delivery_survives_kill_9(tmp_path: Any) -> None:
    """An acknowledged event whose delivery is waiting for a retry is delivered after the
    server is killed (-9) and started again on the same data directory."""
    from tests.support import ServerProcess

    data = str(tmp_path)
    srv = ServerProcess(data_dir=data).start()
    try:
        ecs, events, iam = (client(s, srv.url) for s in ("ecs", "events", "iam"))
        iam.create_role(RoleName="ecsEventsRole", AssumeRolePolicyDocument=EVENTS_TRUST)
        iam.attach_role_policy(RoleName="ecsEventsRole", PolicyArn=EVENTS_POLICY)
        ecs.create_cluster(clusterName="default")
        FakeAgent(srv.url, cpu=128, memory=64).register()  # too small for the task
        td = worker_taskdef(ecs)
        events.put_rule(Name="run", EventPattern=json.dumps({"source": ["my.jobs"]}))
        events.put_targets(Rule="run", Targets=[{
            "Id": "w", "Arn": CLUSTER_ARN, "RoleArn": ROLE,
            "EcsParameters": {"TaskDefinitionArn": td, "Group": "survivor"}}])
        events.put_events(Entries=[{"Source": "my.jobs", "DetailType": "x", "Detail": "{}"}])
        time.sleep(0.5)  # the first attempt has failed (no room); a retry is pending
        assert ecs.list_tasks()["taskArns"] == []
        port = srv.port
        srv.kill9()
        srv = ServerProcess(data_dir=data, port=port).start()
        ecs = client("ecs", srv.url)
        FakeAgent(srv.url, cpu=2048, memory=2048).register()
        deadline = time.monotonic() + 20
        arns: list[str] = []
        while not arns and time.monotonic() < deadline:
            arns = ecs.list_tasks(startedBy="events-rule/run")["taskArns"]
            time.sleep(0.1)
        assert len(arns) == 1
        assert ecs.describe_tasks(tasks=arns)["tasks"][0]["group"] == "survivor"
    finally:
        srv.stop()
