"""SQS over the query protocol, as SDKs older than botocore 1.31 speak it: form-encoded
``Action=…`` requests (flattened ``AttributeName.N``, ``Attribute.N.Name/Value``,
``MessageAttribute.N.…``) answered in XML.  The client is real boto3 built from the
legacy query model cargobay keeps (botocore 1.29's), so botocore serializes, parses and
checks the MD5 digests exactly as those clients do."""

from __future__ import annotations

import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials

from cargobay.protocol.models import LEGACY_MODELS
from tests.support import CREDS, REGION
from tests.support import expect_error as error

NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


@pytest.fixture
def sqs(url: str) -> Any:
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(LEGACY_MODELS))
    client = boto3.Session(botocore_session=session).client(
        "sqs",
        endpoint_url=url,
        region_name=REGION,
        config=BotoConfig(retries={"max_attempts": 1}),
        **CREDS,
    )
    assert client.meta.service_model.protocol == "query"
    return client


def test_queue_and_messages_round_trip_over_query(sqs: Any) -> None:
    q = sqs.create_queue(
        QueueName="legacy",
        Attributes={"VisibilityTimeout": "45", "DelaySeconds": "0"},
        tags={"team": "old-sdk"},
    )["QueueUrl"]
    assert q.endswith("/legacy")
    attrs = sqs.get_queue_attributes(
        QueueUrl=q, AttributeNames=["VisibilityTimeout", "QueueArn"]
    )["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["QueueArn"].endswith(":legacy")
    assert "DelaySeconds" not in attrs
    assert sqs.list_queue_tags(QueueUrl=q)["Tags"] == {"team": "old-sdk"}

    # botocore checks MD5OfMessageBody and MD5OfMessageAttributes of the answer
    sent = sqs.send_message(
        QueueUrl=q,
        MessageBody="hello <query> & xml",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "greeting"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
            "n": {"DataType": "Number", "StringValue": "42"},
        },
    )
    batch = sqs.send_message_batch(
        QueueUrl=q,
        Entries=[
            {"Id": "a", "MessageBody": "one"},
            {
                "Id": "b",
                "MessageBody": "two",
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            },
        ],
    )
    assert sorted(e["Id"] for e in batch["Successful"]) == ["a", "b"]
    assert batch.get("Failed", []) == []

    got: list[dict[str, Any]] = []
    for _ in range(5):
        got += sqs.receive_message(
            QueueUrl=q,
            MaxNumberOfMessages=10,
            AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if len(got) == 3:
            break
    bodies = {m["Body"]: m for m in got}
    assert set(bodies) == {"hello <query> & xml", "one", "two"}
    first = bodies["hello <query> & xml"]
    assert first["MessageId"] == sent["MessageId"]
    assert first["Attributes"]["ApproximateReceiveCount"] == "1"
    assert first["Attributes"]["SentTimestamp"].isdigit()
    assert first["MessageAttributes"]["raw"]["BinaryValue"] == b"\x00\x01\xff"
    assert first["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert bodies["two"]["MessageAttributes"]["k"]["StringValue"] == "v"
    assert "MessageAttributes" not in bodies["one"]

    deleted = sqs.delete_message_batch(
        QueueUrl=q,
        Entries=[
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
        ]
        + [{"Id": "bad", "ReceiptHandle": "not-a-handle"}],
    )
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["d0", "d1", "d2"]
    assert [e["Id"] for e in deleted["Failed"]] == ["bad"]
    assert deleted["Failed"][0]["SenderFault"] is True
    left = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert left["ApproximateNumberOfMessages"] == "0"
    assert left["ApproximateNumberOfMessagesNotVisible"] == "0"

    sqs.create_queue(QueueName="legacy-two")
    assert sorted(sqs.list_queues(QueueNamePrefix="legacy")["QueueUrls"]) == [
        q,
        q + "-two",
    ]
    assert sqs.list_queues(QueueNamePrefix="nothing-here").get("QueueUrls", []) == []


def test_unknown_queue_is_the_query_error(sqs: Any, url: str) -> None:
    missing = f"{url}/000000000000/no-such-queue"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as info:
        sqs.get_queue_url(QueueName="no-such-queue")
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    error(
        lambda: sqs.send_message(QueueUrl=missing, MessageBody="x"),
        "AWS.SimpleQueueService.NonExistentQueue",
    )
    q = sqs.create_queue(QueueName="strict")["QueueUrl"]
    error(
        lambda: sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Nope"]),
        "InvalidAttributeName",
    )


def _signed_form(url: str, params: dict[str, str]) -> tuple[int, bytes]:
    body = urllib.parse.urlencode(params)
    req = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    creds = Credentials(CREDS["aws_access_key_id"], CREDS["aws_secret_access_key"])
    SigV4Auth(creds, "sqs", REGION).add_auth(req)
    http = urllib.request.Request(
        url + "/", data=body.encode(), headers=dict(req.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(http, timeout=10) as resp:
            return int(resp.status), bytes(resp.read())
    except urllib.error.HTTPError as err:
        return int(err.code), bytes(err.read())


def test_raw_form_request_gets_xml(url: str) -> None:
    status, raw = _signed_form(
        url,
        {
            "Action": "CreateQueue",
            "Version": "2012-11-05",
            "QueueName": "raw",
            "Attribute.1.Name": "DelaySeconds",
            "Attribute.1.Value": "3",
        },
    )
    assert status == 200, raw
    doc = ET.fromstring(raw)
    assert doc.tag == f"{NS}CreateQueueResponse"
    queue_url = doc.findtext(f"{NS}CreateQueueResult/{NS}QueueUrl")
    assert queue_url and queue_url.endswith("/raw")
    assert doc.findtext(f"{NS}ResponseMetadata/{NS}RequestId")

    status, raw = _signed_form(
        url,
        {
            "Action": "GetQueueAttributes",
            "Version": "2012-11-05",
            "QueueUrl": queue_url,
            "AttributeName.1": "DelaySeconds",
        },
    )
    assert status == 200, raw
    attrs = ET.fromstring(raw).findall(f"{NS}GetQueueAttributesResult/{NS}Attribute")
    assert [(a.findtext(f"{NS}Name"), a.findtext(f"{NS}Value")) for a in attrs] == [
        ("DelaySeconds", "3")
    ]

    status, raw = _signed_form(
        url, {"Action": "SendMessage", "Version": "2012-11-05", "QueueUrl": queue_url}
    )
    assert status == 400
    assert ET.fromstring(raw).findtext(f"{NS}Error/{NS}Code") == "MissingParameter"

    status, raw = _signed_form(
        url, {"Action": "DeleteQueue", "Version": "2012-11-05", "QueueUrl": queue_url + "x"}
    )
    assert status == 400
    err = ET.fromstring(raw)
    assert err.tag == f"{NS}ErrorResponse"
    assert err.findtext(f"{NS}Error/{NS}Code") == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.findtext(f"{NS}Error/{NS}Type") == "Sender"
