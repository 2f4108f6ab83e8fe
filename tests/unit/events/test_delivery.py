"""The outbox, in-process: deliveries are durable before PutEvents answers and survive a
restart; input transformation details; which target errors are retried."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.events import names
from cargobay.services.events.input_transform import render, select, target_input
from cargobay.services.events.service import EventsService
from cargobay.services.events.targets import classify, run_task_params

CTX = RequestContext("events", "", "us-east-1", "000000000000", "r", "json")
QUEUE = "arn:aws:sqs:us-east-1:000000000000:inbox"


class StubSqs:
    """Just enough SQS: a queue URL per name and the messages sent."""

    def __init__(self, app: App) -> None:
        self.sent: list[dict[str, Any]] = []

    def get_queue_url(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        return {"QueueUrl": f"http://sqs.local/{ctx.account_id}/{req['QueueName']}"}

    def send_message(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(req)
        return {"MessageId": str(len(self.sent)), "MD5OfMessageBody": "x"}

    def send_message_batch(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ok = []
        for e in req["Entries"]:
            self.send_message(ctx, {"QueueUrl": req["QueueUrl"], **e})
            ok.append({"Id": e["Id"], "MessageId": str(len(self.sent)),
                       "MD5OfMessageBody": "x"})
        return {"Successful": ok, "Failed": []}


def make_app(path: str) -> App:
    return App(Config(data_dir=os.path.dirname(path)), clock=SimClock(),
               services=lambda app: {"events": EventsService(app), "sqs": StubSqs(app)})


def test_deliveries_are_durable_before_they_are_sent(tmp_path: Any) -> None:
    path = str(tmp_path / "state.db")
    app = make_app(path)
    ev: Any = app.services["events"]
    ev.put_rule(CTX, {"Name": "r", "EventPattern": json.dumps({"source": ["my.app"]})})
    ev.put_targets(CTX, {"Rule": "r", "Targets": [{"Id": "q", "Arn": QUEUE}]})
    out = ev.put_events(CTX, {"Entries": [
        {"Source": "my.app", "DetailType": "t", "Detail": json.dumps({"n": i})}
        for i in range(3)]})
    ids = [e["EventId"] for e in out["Entries"]]
    [(_, doc)] = list(app.store.scan(names.OUTBOX))  # one document per PutEvents
    assert [job["event"]["id"] for job in doc["jobs"]] == ids
    app.store.close()  # the process dies before its loops ever ran

    again = make_app(path)
    sqs: Any = again.services["sqs"]

    async def run() -> None:
        await again.start()
        for _ in range(50):
            if len(sqs.sent) == 3:
                break
            await asyncio.sleep(0)
        await again.stop()

    asyncio.run(run())
    assert [json.loads(m["MessageBody"])["id"] for m in sqs.sent] == ids
    assert sqs.sent[0]["QueueUrl"] == "http://sqs.local/000000000000/inbox"
    reopened = make_app(path)
    assert reopened.store.count(names.OUTBOX) == 0


def test_reset_forgets_pending_deliveries() -> None:
    app = App(Config(data_dir=None), clock=SimClock(),
              services=lambda app: {"events": EventsService(app), "sqs": StubSqs(app)})
    ev: Any = app.services["events"]
    ev.put_rule(CTX, {"Name": "r", "EventPattern": json.dumps({"source": ["my.app"]})})
    ev.put_targets(CTX, {"Rule": "r", "Targets": [{"Id": "q", "Arn": QUEUE}]})
    ev.put_events(CTX, {"Entries": [{"Source": "my.app", "DetailType": "t", "Detail": "{}"}]})
    assert ev.deliveries.pending() == 1
    app.reset()
    assert ev.deliveries.pending() == 0
    assert ev.list_rules(CTX, {})["Rules"] == []


# -- input transformation ------------------------------------------------------------------

EVENT = {"id": "e1", "source": "s", "detail": {"a": {"b": [10, 20]}, "s": 'say "hi"\n',
                                               "list": [{"k": 1}, {"k": 2}]}}


def test_json_paths() -> None:
    assert select("$", EVENT) == EVENT
    assert select("$.detail.a.b[1]", EVENT) == 20
    assert select("$.detail.list[*].k", EVENT) == [1, 2]
    assert select("$.detail['a'].b", EVENT) == [10, 20]
    assert select("$.detail.nope", EVENT) is None
    assert select("$.detail.a.b[5]", EVENT) is None


def test_placeholders_inside_and_outside_strings() -> None:
    values = {"s": 'say "hi"\n', "n": 5, "o": {"x": [1]}, "none": None}
    assert render('{"a": "<s>", "b": <s>, "c": <n>, "d": "<n>", "e": <o>}', values) == (
        '{"a": "say \\"hi\\"\\n", "b": "say \\"hi\\"\\n", "c": 5, "d": "5", "e": {"x":[1]}}')
    assert json.loads(render('{"o": "<o>", "z": <none>, "q": "<none>"}', values)) == {
        "o": '{"x":[1]}', "z": None, "q": ""}
    # names that are not variables, and text that merely looks like one, stay as they are
    assert render('"<unknown> < n > <n>"', values) == '"<unknown> < n > 5"'
    # a quote escaped inside a string does not end it
    assert render('"x\\"<n>"', values) == '"x\\"5"'


def test_target_input_kinds() -> None:
    rule_arn = "arn:aws:events:us-east-1:000000000000:rule/r"
    assert json.loads(target_input({}, EVENT, rule_arn, "r", "t")) == EVENT
    assert target_input({"Input": '{"k": 1}'}, EVENT, rule_arn, "r", "t") == '{"k": 1}'
    assert json.loads(target_input({"InputPath": "$.detail.a"}, EVENT, rule_arn, "r", "t")) == {
        "b": [10, 20]}
    t = {"InputTransformer": {"InputPathsMap": {"x": "$.detail.a.b[0]", "gone": "$.nope"},
                              "InputTemplate": '{"x": <x>, "gone": <gone>, '
                                               '"rule": "<aws.events.rule-arn>", '
                                               '"ev": <aws.events.event>, '
                                               '"at": "<aws.events.event.ingestion-time>"}'}}
    out = json.loads(target_input(t, EVENT, rule_arn, "r", "2026-01-01T00:00:00Z"))
    assert out == {"x": 10, "gone": None, "rule": rule_arn,
                   "ev": {"id": "e1", "source": "s"}, "at": "2026-01-01T00:00:00Z"}


# -- targets -------------------------------------------------------------------------------


def test_error_classes() -> None:
    cases = [
        (AwsError("slow down", "ThrottlingException"), "THROTTLING", True),
        (AwsError("boom", "InternalFailure", 500, sender_fault=False), "INTERNAL_ERROR", True),
        (AwsError("no queue", "AWS.SimpleQueueService.NonExistentQueue"), "NO_RESOURCE", False),
        (AwsError("gone", "QueueDoesNotExist"), "NO_RESOURCE", False),
        (AwsError("no", "ClusterNotFoundException"), "NO_RESOURCE", False),
        (AwsError("no", "AccessDeniedException"), "NO_PERMISSIONS", False),
        (AwsError("bad", "InvalidParameterException"), "INVALID_PARAMETER", False),
    ]
    for err, code, retriable in cases:
        got = classify(err)
        assert (got.code, got.retriable) == (code, retriable), err


def test_run_task_parameters_from_ecs_parameters() -> None:
    target = {
        "Arn": "arn:aws:ecs:us-east-1:000000000000:cluster/c",
        "EcsParameters": {
            "TaskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/w:3",
            "TaskCount": 3, "LaunchType": "EC2", "Group": "g", "PlatformVersion": "LATEST",
            "NetworkConfiguration": {"awsvpcConfiguration": {
                "Subnets": ["s-1"], "SecurityGroups": ["sg-1"], "AssignPublicIp": "DISABLED"}},
            "PropagateTags": "TASK_DEFINITION", "ReferenceId": "ref",
            "EnableECSManagedTags": True, "Tags": [{"Key": "k", "Value": "v"}],
            "PlacementConstraints": [{"type": "distinctInstance"}],
        },
        "Input": '{"containerOverrides": [{"name": "a", "command": ["x"]}], "ignored": 1}',
    }
    params = run_task_params({"rule": "nightly"}, target, target["Input"])
    assert params == {
        "cluster": target["Arn"],
        "taskDefinition": "arn:aws:ecs:us-east-1:000000000000:task-definition/w:3",
        "count": 3, "startedBy": "events-rule/nightly", "launchType": "EC2", "group": "g",
        "platformVersion": "LATEST", "propagateTags": "TASK_DEFINITION", "referenceId": "ref",
        "enableECSManagedTags": True, "placementConstraints": [{"type": "distinctInstance"}],
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": ["s-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
        "tags": [{"key": "k", "value": "v"}],
        "overrides": {"containerOverrides": [{"name": "a", "command": ["x"]}]},
    }
    bare = run_task_params({"rule": "r"}, {"Arn": target["Arn"], "EcsParameters": {
        "TaskDefinitionArn": "w"}}, "{}")
    assert bare == {"cluster": target["Arn"], "taskDefinition": "w", "count": 1,
                    "startedBy": "events-rule/r"}
