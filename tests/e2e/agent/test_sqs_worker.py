"""Issue 8's queue-worker scenario on a real task: a task pulls work from an SQS queue
with its task role (no keys in its environment), processes each message and deletes it;
the queue ends empty, every message processed exactly once."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.agent.conftest import TEST_IMAGE, Env
from tests.e2e.agent.test_task_iam import TRUST_ECS_TASKS, _role
from tests.support import client

WORKER = r"""
import json, sys
import boto3
queue_url = sys.argv[1]
sqs = boto3.client("sqs")
done = []
for _ in range(50):  # bounded: at most 50 receives
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    msgs = got.get("Messages", [])
    if not msgs:
        break
    for m in msgs:
        done.append(json.loads(m["Body"])["n"])
    sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
print("PROCESSED " + json.dumps(sorted(done)), flush=True)
"""


@pytest.fixture
def proc(plane_url: str, tmp_path: Path) -> Iterator[Env]:
    e = Env(url=plane_url, cluster=f"c-{uuid.uuid4().hex[:8]}", runtime="process",
            data_dir=tmp_path / "agent", ecs=client("ecs", plane_url))
    e.start_agent()
    try:
        yield e
    finally:
        if e.agent is not None:
            e.agent.stop()


def test_a_worker_task_drains_a_queue_and_deletes_what_it_processed(proc: Env) -> None:
    sqs = client("sqs", proc.url)
    q = sqs.create_queue(QueueName=f"work-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    for start in range(0, 35, 10):
        sqs.send_message_batch(QueueUrl=q, Entries=[
            {"Id": str(n), "MessageBody": json.dumps({"n": n})}
            for n in range(start, min(start + 10, 35))])
    role = _role(proc.url, "worker", TRUST_ECS_TASKS, {
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:DeleteMessageBatch"],
        "Resource": q_arn,
    })
    arn = proc.run({"name": "app", "image": TEST_IMAGE, "memory": 128,
                    "command": [sys.executable, "-c", WORKER, q]}, taskRoleArn=role)
    task = proc.wait(arn)
    assert task["containers"][0]["exitCode"] == 0, proc.log(arn, "app")
    line = next(x for x in proc.log(arn, "app").splitlines() if x.startswith("PROCESSED "))
    assert json.loads(line[len("PROCESSED "):]) == list(range(35))
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
