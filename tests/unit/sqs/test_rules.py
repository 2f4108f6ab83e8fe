"""Queue attribute rules, queue URLs and ARNs, receipt handles, and the JSON error shape
botocore reads SQS errors from (``__type`` the model's shape, ``x-amzn-query-error`` the
query code)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser

from cargobay.app import App
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.protocol.json_protocol import JsonProtocol
from cargobay.services.sqs import attributes as qa
from cargobay.services.sqs.errors import (
    InvalidAddress,
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
    QueueDoesNotExist,
    register_shapes,
)
from cargobay.services.sqs.names import QueueRef, ref_from_arn, ref_from_url
from cargobay.services.sqs.receive import read_handle, select_attributes

CTX = RequestContext("sqs", "op", "us-east-1", "000000000000", "req", "json")
SQS_MODEL = botocore.session.get_session().get_service_model("sqs")


@pytest.mark.parametrize(("name", "value", "stored"), [
    ("VisibilityTimeout", " 60 ", "60"), ("DelaySeconds", "0", "0"),
    ("SqsManagedSseEnabled", "TRUE", "true"), ("KmsMasterKeyId", "alias/x", "alias/x"),
])
def test_normalized_values(name: str, value: str, stored: str) -> None:
    assert qa.normalize(name, value, False, creating=True) == stored


def test_attributes_a_queue_cannot_have() -> None:
    with pytest.raises(InvalidAttributeName, match=r"Unknown Attribute Foo\."):
        qa.normalize("Foo", "1", False, creating=True)
    with pytest.raises(InvalidAttributeName):
        qa.normalize("ContentBasedDeduplication", "true", False, creating=True)
    with pytest.raises(InvalidAttributeName):
        qa.normalize("FifoQueue", "true", True, creating=False)
    with pytest.raises(InvalidAttributeName):
        qa.check_names(["All", "Nope"])
    qa.check_names(["All", "QueueArn", "ApproximateNumberOfMessagesDelayed"])


def test_redrive_policy_is_normalized() -> None:
    raw = json.dumps({"maxReceiveCount": "5", "deadLetterTargetArn": "arn:aws:sqs:r:1:q"})
    out = qa.normalize("RedrivePolicy", raw, False, creating=True)
    assert json.loads(out) == {"deadLetterTargetArn": "arn:aws:sqs:r:1:q", "maxReceiveCount": 5}
    with pytest.raises(InvalidParameterValue, match="Only following attributes"):
        qa.normalize("RedrivePolicy", json.dumps({
            "maxReceiveCount": 1, "deadLetterTargetArn": "a", "extra": 1}), False, creating=True)
    with pytest.raises(InvalidParameterValue, match="maxReceiveCount"):
        qa.normalize("RedrivePolicy", json.dumps({
            "maxReceiveCount": True, "deadLetterTargetArn": "a"}), False, creating=True)


def test_config_from_attributes() -> None:
    cfg = qa.QueueConfig.of({}, False)
    assert (cfg.visibility, cfg.delay, cfg.max_size, cfg.retention, cfg.wait) == (
        30, 0, 1_048_576, 345_600, 0)
    assert cfg.redrive is None and not cfg.content_dedup
    cfg = qa.QueueConfig.of({"ContentBasedDeduplication": "true",
                             "DeduplicationScope": "messageGroup"}, True)
    assert cfg.content_dedup and cfg.dedup_by_group
    with pytest.raises(InvalidAttributeValue):
        qa.merged({}, {"FifoThroughputLimit": "perMessageGroupId"})


@pytest.mark.parametrize(("url", "name"), [
    ("http://localhost:4747/000000000000/q", "q"),
    ("https://sqs.us-east-1.amazonaws.com/000000000000/q.fifo", "q.fifo"),
    ("http://h/000000000000/q/", "q"),
    ("/000000000000/q", "q"),
    ("arn:aws:sqs:us-east-1:000000000000:q", "q"),
])
def test_queue_urls_are_read_by_their_path(url: str, name: str) -> None:
    assert ref_from_url(CTX, url) == QueueRef("000000000000", "us-east-1", name)


@pytest.mark.parametrize("url", ["", "q", "http://h/q", "http://h/abc/q", "arn:aws:sns:r:1:x"])
def test_unreadable_queue_urls(url: str) -> None:
    with pytest.raises(InvalidAddress):
        ref_from_url(CTX, url)


def test_arns() -> None:
    ref = ref_from_arn("arn:aws:sqs:eu-west-1:123456789012:jobs")
    assert ref == QueueRef("123456789012", "eu-west-1", "jobs")
    assert ref.arn == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    assert ref_from_arn("arn:aws:sqs:eu-west-1:1234:jobs") is None


@pytest.mark.parametrize("handle", ["", "garbage", "!!!", "aGVsbG8=", "YSBiIGM="])
def test_foreign_receipt_handles(handle: str) -> None:
    assert read_handle(handle) is None


def test_attribute_selection() -> None:
    attrs: dict[str, Any] = {"a.x": {}, "a.y": {}, "b": {}, "ab": {}}
    assert select_attributes(attrs, ["All"]) == attrs
    assert set(select_attributes(attrs, ["a.*"])) == {"a.x", "a.y"}
    assert set(select_attributes(attrs, ["b", "zz"])) == {"b"}


def _parse_error(err: AwsError) -> dict[str, Any]:
    register_shapes()
    resp = JsonProtocol().serialize_error(err, SQS_MODEL, CTX)
    headers = dict(resp.headers)
    parser = create_parser("json")
    parsed: dict[str, Any] = parser.parse(
        {"status_code": resp.status, "headers": headers, "body": resp.body},
        SQS_MODEL.operation_model("GetQueueUrl").output_shape,
    )
    return {"headers": headers, "body": json.loads(resp.body), "error": parsed["Error"]}


def test_errors_carry_the_shape_and_the_query_code() -> None:
    got = _parse_error(QueueDoesNotExist())
    assert got["body"]["__type"] == "QueueDoesNotExist"
    assert got["headers"]["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert got["error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert got["error"]["QueryErrorCode"] == "QueueDoesNotExist"
    got = _parse_error(InvalidParameterValue("bad"))
    assert got["error"]["Code"] == "InvalidParameterValue"


def test_handlers_refuse_attribute_names_the_model_enum_would_let_through() -> None:
    """The handlers check attribute names themselves (InvalidAttributeName), also for
    calls whose input did not go through the model's enum check."""
    app = App(Config(data_dir=None))
    sqs: Any = app.services["sqs"]
    with pytest.raises(InvalidAttributeName, match=r"Unknown Attribute Bogus\."):
        sqs.create_queue(CTX, {"QueueName": "q", "Attributes": {"Bogus": "1"}})
    url = sqs.create_queue(CTX, {"QueueName": "q"})["QueueUrl"]
    with pytest.raises(InvalidAttributeName):
        sqs.get_queue_attributes(CTX, {"QueueUrl": url, "AttributeNames": ["Bogus"]})
    with pytest.raises(InvalidAttributeName):
        sqs.set_queue_attributes(CTX, {"QueueUrl": url, "Attributes": {"Bogus": "1"}})
    got = asyncio.run(sqs.receive_message(CTX, {"QueueUrl": url}))
    assert got == {}


def test_only_aws_trace_header_is_a_system_attribute_for_sends() -> None:
    from cargobay.services.sqs.message_checks import check_system_attributes

    ok = {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-a-b"}}
    assert check_system_attributes(ok) == ok
    with pytest.raises(InvalidParameterValue):
        check_system_attributes({"SenderId": {"DataType": "String", "StringValue": "x"}})


def test_queue_depths_hook_for_cloudwatch() -> None:
    app = App(Config(data_dir=None))
    sqs: Any = app.services["sqs"]
    url = sqs.create_queue(CTX, {"QueueName": "depth"})["QueueUrl"]
    sqs.create_queue(CTX, {"QueueName": "empty"})
    sqs.send_message_batch(CTX, {"QueueUrl": url, "Entries": [
        {"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "2"},
        {"Id": "c", "MessageBody": "3", "DelaySeconds": 60}]})
    asyncio.run(sqs.receive_message(CTX, {"QueueUrl": url}))
    assert sqs.queue_depths("000000000000", "us-east-1") == {
        "depth": {"ApproximateNumberOfMessages": 1, "ApproximateNumberOfMessagesNotVisible": 1,
                  "ApproximateNumberOfMessagesDelayed": 1},
        "empty": {"ApproximateNumberOfMessages": 0, "ApproximateNumberOfMessagesNotVisible": 0,
                  "ApproximateNumberOfMessagesDelayed": 0},
    }
    assert sqs.queue_depths("000000000000", "eu-west-1") == {}
