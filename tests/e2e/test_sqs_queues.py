"""SQS queues through boto3: create (idempotent on equal attributes), find, list with
prefix and pages, attributes (All and each name, defaults from the CreateQueue
reference), delete, purge, tags, permissions, dead-letter source listing; and every
refusal with the code SQS answers (query codes in ``Error.Code``, botocore's exception
class from the shape name)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


def arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def test_queue_url_is_endpoint_account_and_name(sqs: Any, url: str) -> None:
    q = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert q == f"{url}/{ACCOUNT}/orders"
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == q
    assert sqs.get_queue_url(QueueName="orders", QueueOwnerAWSAccountId=ACCOUNT)["QueueUrl"] == q


def test_default_attributes_of_a_standard_queue(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="plain")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    created = int(attrs.pop("CreatedTimestamp"))
    modified = int(attrs.pop("LastModifiedTimestamp"))
    assert created == modified > 1_600_000_000
    assert attrs == {
        "QueueArn": arn("plain"),
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "VisibilityTimeout": "30",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "DelaySeconds": "0",
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
    }


def test_fifo_queue_attributes(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="jobs.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true",
        "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId",
    })["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "true"
    assert attrs["DeduplicationScope"] == "messageGroup"
    assert attrs["FifoThroughputLimit"] == "perMessageGroupId"
    plain = sqs.create_queue(QueueName="basic.fifo", Attributes={"FifoQueue": "true"})
    attrs = sqs.get_queue_attributes(QueueUrl=plain["QueueUrl"],
                                     AttributeNames=["All"])["Attributes"]
    assert (attrs["ContentBasedDeduplication"], attrs["DeduplicationScope"],
            attrs["FifoThroughputLimit"]) == ("false", "queue", "perQueue")


def test_each_attribute_by_name_and_none_without_names(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="named", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["VisibilityTimeout", "QueueArn"])
    assert got["Attributes"] == {"VisibilityTimeout": "45", "QueueArn": arn("named")}
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=q)
    # set-only-if-set attributes are simply absent
    got = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Policy", "RedrivePolicy"])
    assert "Attributes" not in got


def test_create_is_idempotent_only_with_the_same_attributes(sqs: Any) -> None:
    first = sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "5"})["QueueUrl"]
    assert sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "5"})["QueueUrl"] == first
    assert sqs.create_queue(QueueName="same")["QueueUrl"] == first
    assert sqs.create_queue(QueueName="same", Attributes={"VisibilityTimeout": "30"})[
        "QueueUrl"] == first  # the default value is the same value
    with pytest.raises(sqs.exceptions.QueueNameExists):
        sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "6"})
    msg = error(lambda: sqs.create_queue(QueueName="same", Attributes={"DelaySeconds": "7"}),
                "QueueAlreadyExists")
    assert "DelaySeconds" in msg


def test_set_attributes_and_last_modified(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="tuned")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=q, Attributes={
        "VisibilityTimeout": "120", "DelaySeconds": "10", "MessageRetentionPeriod": "60",
        "MaximumMessageSize": "1024", "ReceiveMessageWaitTimeSeconds": "20",
        "KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600",
    })
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "120"
    assert attrs["DelaySeconds"] == "10"
    assert attrs["MessageRetentionPeriod"] == "60"
    assert attrs["MaximumMessageSize"] == "1024"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "20"
    assert attrs["KmsMasterKeyId"] == "alias/aws/sqs"
    assert attrs["KmsDataKeyReusePeriodSeconds"] == "600"
    assert attrs["SqsManagedSseEnabled"] == "false"
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"SqsManagedSseEnabled": "true"})
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert "KmsMasterKeyId" not in attrs and attrs["SqsManagedSseEnabled"] == "true"


def test_policy_is_stored_and_cleared_with_an_empty_string(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="guarded")["QueueUrl"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
        "Resource": arn("guarded"),
    }]})
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": policy})
    got = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Policy"])["Attributes"]
    assert json.loads(got["Policy"]) == json.loads(policy)
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Policy"])
    error(lambda: sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": "{not json"}),
          "InvalidAttributeValue")


@pytest.mark.parametrize(("name", "value"), [
    ("VisibilityTimeout", "43201"), ("VisibilityTimeout", "-1"), ("VisibilityTimeout", "abc"),
    ("DelaySeconds", "901"), ("MaximumMessageSize", "1023"),
    ("MaximumMessageSize", "1048577"), ("MessageRetentionPeriod", "59"),
    ("MessageRetentionPeriod", "1209601"), ("ReceiveMessageWaitTimeSeconds", "21"),
    ("KmsDataKeyReusePeriodSeconds", "59"), ("SqsManagedSseEnabled", "maybe"),
])
def test_out_of_range_attribute_values(sqs: Any, name: str, value: str) -> None:
    msg = error(lambda: sqs.create_queue(QueueName="bad", Attributes={name: value}),
                "InvalidAttributeValue")
    assert msg == f"Invalid value for the parameter {name}."
    assert "QueueUrls" not in sqs.list_queues()


def test_attribute_names_a_queue_does_not_have(sqs: Any) -> None:
    msg = error(lambda: sqs.create_queue(QueueName="std", Attributes={
        "ContentBasedDeduplication": "true"}), "InvalidAttributeName")
    assert msg == "Unknown Attribute ContentBasedDeduplication."
    q = sqs.create_queue(QueueName="std")["QueueUrl"]
    for name in ("QueueArn", "ApproximateNumberOfMessages", "CreatedTimestamp",
                 "FifoQueue", "DeduplicationScope"):
        msg = error(lambda n=name: sqs.set_queue_attributes(QueueUrl=q, Attributes={n: "1"}),
                    "InvalidAttributeName")
        assert msg == f"Unknown Attribute {name}."
    f = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    error(lambda: sqs.set_queue_attributes(QueueUrl=f, Attributes={"FifoQueue": "false"}),
          "InvalidAttributeName")
    error(lambda: sqs.set_queue_attributes(QueueUrl=f, Attributes={
        "FifoThroughputLimit": "perMessageGroupId"}), "InvalidAttributeValue")


@pytest.mark.parametrize(("name", "attrs"), [
    ("", {}), ("x" * 81, {}), ("has space", {}), ("dot.name", {}),
    ("no-suffix", {"FifoQueue": "true"}), ("x" * 76 + ".fifo", {"FifoQueue": "true"}),
    ("plain.fifo", {}),
])
def test_invalid_queue_names(sqs: Any, name: str, attrs: dict[str, str]) -> None:
    error(lambda: sqs.create_queue(QueueName=name, Attributes=attrs), "InvalidParameterValue")


def test_queue_that_does_not_exist(sqs: Any, url: str) -> None:
    gone = f"{url}/{ACCOUNT}/nothing"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as info:
        sqs.get_queue_url(QueueName="nothing")
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert info.value.response["Error"]["Message"] == "The specified queue does not exist."
    for call in (
        lambda: sqs.send_message(QueueUrl=gone, MessageBody="x"),
        lambda: sqs.receive_message(QueueUrl=gone),
        lambda: sqs.get_queue_attributes(QueueUrl=gone, AttributeNames=["All"]),
        lambda: sqs.delete_queue(QueueUrl=gone),
        lambda: sqs.purge_queue(QueueUrl=gone),
        lambda: sqs.list_queue_tags(QueueUrl=gone),
    ):
        error(call, "AWS.SimpleQueueService.NonExistentQueue")
    error(lambda: sqs.send_message(QueueUrl="not-a-url", MessageBody="x"), "InvalidAddress")


def test_list_queues_with_prefix_and_pages(sqs: Any, url: str) -> None:
    names = [f"p-{i:02d}" for i in range(12)] + ["other"]
    for n in names:
        sqs.create_queue(QueueName=n)
    everything = sqs.list_queues()
    assert everything["QueueUrls"] == [f"{url}/{ACCOUNT}/{n}" for n in sorted(names)]
    assert "NextToken" not in everything
    pref = sqs.list_queues(QueueNamePrefix="p-1")["QueueUrls"]
    assert pref == [f"{url}/{ACCOUNT}/p-{i}" for i in (10, 11)]
    seen: list[str] = []
    token = None
    for _ in range(10):
        kw: dict[str, Any] = {"QueueNamePrefix": "p-", "MaxResults": 5}
        if token:
            kw["NextToken"] = token
        page = sqs.list_queues(**kw)
        seen += page["QueueUrls"]
        token = page.get("NextToken")
        if not token:
            break
    assert [u.rsplit("/", 1)[1] for u in seen] == sorted(names[:12])
    paginated = sqs.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 4})
    assert sum(len(p.get("QueueUrls", [])) for p in paginated) == 13
    error(lambda: sqs.list_queues(MaxResults=0), "InvalidParameterValue")
    error(lambda: sqs.list_queues(MaxResults=1001), "InvalidParameterValue")
    error(lambda: sqs.list_queues(MaxResults=5, NextToken="bogus!"), "InvalidParameterValue")
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="zzz")


def test_delete_queue_removes_it_and_its_messages(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="doomed")["QueueUrl"]
    sqs.send_message(QueueUrl=q, MessageBody="lost")
    sqs.delete_queue(QueueUrl=q)
    error(lambda: sqs.get_queue_url(QueueName="doomed"),
          "AWS.SimpleQueueService.NonExistentQueue")
    again = sqs.create_queue(QueueName="doomed")["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=again)


def test_purge_removes_every_message_once_a_minute(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="purged")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=q, Entries=[
        {"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)])
    sqs.send_message(QueueUrl=q, MessageBody="late", DelaySeconds=60)
    got = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=2)["Messages"]
    sqs.purge_queue(QueueUrl=q)
    attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"],
            attrs["ApproximateNumberOfMessagesDelayed"]) == ("0", "0", "0")
    sqs.delete_message(QueueUrl=q, ReceiptHandle=got[0]["ReceiptHandle"])  # gone: fine
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as info:
        sqs.purge_queue(QueueUrl=q)
    assert info.value.response["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"


def test_tags(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="tagged", tags={"team": "web"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=q)["Tags"] == {"team": "web"}
    sqs.tag_queue(QueueUrl=q, Tags={"env": "prod", "team": "api"})
    assert sqs.list_queue_tags(QueueUrl=q)["Tags"] == {"team": "api", "env": "prod"}
    sqs.untag_queue(QueueUrl=q, TagKeys=["team", "absent"])
    assert sqs.list_queue_tags(QueueUrl=q)["Tags"] == {"env": "prod"}
    sqs.untag_queue(QueueUrl=q, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=q)


def test_add_and_remove_permission_edit_the_policy(sqs: Any) -> None:
    q = sqs.create_queue(QueueName="shared")["QueueUrl"]
    sqs.add_permission(QueueUrl=q, Label="send", AWSAccountIds=["111122223333"],
                       Actions=["SendMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Policy"])[
        "Attributes"]["Policy"])
    assert policy["Statement"] == [{
        "Sid": "send", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111122223333:root"]},
        "Action": ["SQS:SendMessage"], "Resource": arn("shared"),
    }]
    error(lambda: sqs.add_permission(QueueUrl=q, Label="send", AWSAccountIds=["111122223333"],
                                     Actions=["ReceiveMessage"]), "InvalidParameterValue")
    error(lambda: sqs.add_permission(QueueUrl=q, Label="many", AWSAccountIds=["111122223333"],
                                     Actions=[f"A{i}" for i in range(8)]), "OverLimit")
    sqs.remove_permission(QueueUrl=q, Label="send")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["Policy"])
    error(lambda: sqs.remove_permission(QueueUrl=q, Label="send"), "InvalidParameterValue")


def test_list_dead_letter_source_queues(sqs: Any, url: str) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 3})
    for name in ("src-a", "src-b"):
        sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})
    sqs.create_queue(QueueName="unrelated")
    got = sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
    assert got == [f"{url}/{ACCOUNT}/src-a", f"{url}/{ACCOUNT}/src-b"]
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1)
    assert page["queueUrls"] == [f"{url}/{ACCOUNT}/src-a"] and page["NextToken"]
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1,
                                              NextToken=page["NextToken"])
    assert rest["queueUrls"] == [f"{url}/{ACCOUNT}/src-b"] and "NextToken" not in rest


def test_redrive_policy_checks(sqs: Any) -> None:
    sqs.create_queue(QueueName="dlq")
    sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})
    good = {"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": "2"}
    q = sqs.create_queue(QueueName="src", Attributes={"RedrivePolicy": json.dumps(good)})[
        "QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(got["RedrivePolicy"]) == {"deadLetterTargetArn": arn("dlq"),
                                                "maxReceiveCount": 2}
    bad = [
        "not json",
        json.dumps({"maxReceiveCount": 2}),
        json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 0}),
        json.dumps({"deadLetterTargetArn": arn("dlq"), "maxReceiveCount": 1001}),
        json.dumps({"deadLetterTargetArn": arn("missing"), "maxReceiveCount": 2}),
        json.dumps({"deadLetterTargetArn": arn("dlq.fifo"), "maxReceiveCount": 2}),
    ]
    for policy in bad:
        msg = error(lambda p=policy: sqs.set_queue_attributes(
            QueueUrl=q, Attributes={"RedrivePolicy": p}), "InvalidParameterValue")
        assert "for parameter RedrivePolicy is invalid. Reason:" in msg
    sqs.set_queue_attributes(QueueUrl=q, Attributes={"RedrivePolicy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=q,
                                                        AttributeNames=["RedrivePolicy"])


def test_redrive_allow_policy_decides_who_may_use_a_dlq(sqs: Any) -> None:
    only = {"redrivePermission": "byQueue", "sourceQueueArns": [arn("allowed")]}
    sqs.create_queue(QueueName="picky", Attributes={"RedriveAllowPolicy": json.dumps(only)})
    sqs.create_queue(QueueName="closed", Attributes={
        "RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    to = {n: json.dumps({"deadLetterTargetArn": arn(n), "maxReceiveCount": 1})
          for n in ("picky", "closed")}
    sqs.create_queue(QueueName="allowed", Attributes={"RedrivePolicy": to["picky"]})
    error(lambda: sqs.create_queue(QueueName="stranger", Attributes={
        "RedrivePolicy": to["picky"]}), "InvalidParameterValue")
    error(lambda: sqs.create_queue(QueueName="stranger", Attributes={
        "RedrivePolicy": to["closed"]}), "InvalidParameterValue")
    assert "stranger" not in str(sqs.list_queues())
    for bad in ({"redrivePermission": "sometimes"},
                {"redrivePermission": "byQueue"},
                {"redrivePermission": "allowAll", "sourceQueueArns": [arn("x")]},
                {"redrivePermission": "byQueue",
                 "sourceQueueArns": [arn(str(i)) for i in range(11)]}):
        error(lambda b=bad: sqs.create_queue(QueueName="x", Attributes={
            "RedriveAllowPolicy": json.dumps(b)}), "InvalidParameterValue")
