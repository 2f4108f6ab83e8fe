"""SNS deliveries through boto3: to SQS queues (the signed JSON envelope, verified with
the certificate at its SigningCertURL; raw delivery; filter policies on attributes and
on the body; per-protocol messages; PublishBatch; dead-letter queues), to email
addresses (the outbox), and the UnsubscribeURL."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support import client
from tests.support import expect_error as error

# "Verifying the signatures of Amazon SNS messages": the fields signed, in byte order
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                       "TopicArn", "Type")


def verify_signature(env: dict[str, Any]) -> None:
    """Check ``env``'s Signature with the certificate fetched from its SigningCertURL
    (raises InvalidSignature if it does not verify)."""
    with urllib.request.urlopen(env["SigningCertURL"], timeout=10) as r:
        cert = x509.load_pem_x509_certificate(r.read())
    fields = NOTIFICATION_FIELDS if env["Type"] == "Notification" else CONFIRMATION_FIELDS
    text = "".join(f"{k}\n{env[k]}\n" for k in fields if k in env)
    algorithm = hashes.SHA1() if env["SignatureVersion"] == "1" else hashes.SHA256()
    key = cert.public_key()
    key.verify(base64.b64decode(env["Signature"]), text.encode(),  # type: ignore[union-attr,call-arg]
               padding.PKCS1v15(), algorithm)  # type: ignore[arg-type]


@pytest.fixture
def sns(url: str) -> Any:
    return client("sns", url)


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


def make_queue(sqs: Any, name: str, **attrs: str) -> tuple[str, str]:
    q = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]
    return str(q), str(a["QueueArn"])


def drain(sqs: Any, q: str, **kw: Any) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    for _ in range(20):
        r = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, **kw).get("Messages", [])
        if not r:
            return got
        got += r
        sqs.delete_message_batch(QueueUrl=q, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(r)])
    return got


def test_sqs_gets_the_signed_envelope(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="orders")["TopicArn"]
    q, qa = make_queue(sqs, "orders-q")
    s = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa)["SubscriptionArn"]
    mid = sns.publish(TopicArn=t, Message="order 1 \u00e9 \"quoted\"\nline", Subject="New",
                      MessageAttributes={
                          "kind": {"DataType": "String", "StringValue": "order"},
                          "n": {"DataType": "Number", "StringValue": "5"},
                          "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                      })["MessageId"]
    msgs = drain(sqs, q)
    assert len(msgs) == 1
    env = json.loads(msgs[0]["Body"])
    assert env["Type"] == "Notification" and env["MessageId"] == mid
    assert env["TopicArn"] == t and env["Subject"] == "New"
    assert env["Message"] == "order 1 \u00e9 \"quoted\"\nline"
    assert env["SignatureVersion"] == "1"
    assert env["Timestamp"].endswith("Z") and len(env["Timestamp"]) == 24
    assert env["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "order"},
        "n": {"Type": "Number", "Value": "5"},
        "b": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()},
    }
    verify_signature(env)
    tampered = dict(env, Message="order 2")
    with pytest.raises(InvalidSignature):
        verify_signature(tampered)
    assert "MessageAttributes" not in msgs[0]  # not raw: no SQS attributes
    unsub = urllib.parse.parse_qs(urllib.parse.urlsplit(env["UnsubscribeURL"]).query)
    assert unsub == {"Action": ["Unsubscribe"], "SubscriptionArn": [s]}


def test_signature_version_2_uses_sha256(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="v2", Attributes={"SignatureVersion": "2"})["TopicArn"]
    q, qa = make_queue(sqs, "v2q")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa)
    sns.publish(TopicArn=t, Message="hello")
    env = json.loads(drain(sqs, q)[0]["Body"])
    assert env["SignatureVersion"] == "2" and "Subject" not in env
    verify_signature(env)


def test_raw_message_delivery(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="raw")["TopicArn"]
    q, qa = make_queue(sqs, "rawq")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa,
                  Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=t, Message="just the body", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "x"},
        "size": {"DataType": "Number", "StringValue": "12"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\xff"},
    })
    [m] = drain(sqs, q, MessageAttributeNames=["All"])
    assert m["Body"] == "just the body"
    assert m["MessageAttributes"] == {
        "kind": {"StringValue": "x", "DataType": "String"},
        "size": {"StringValue": "12", "DataType": "Number"},
        "blob": {"BinaryValue": b"\xff", "DataType": "Binary"},
    }


def test_attribute_filter_policy_lets_through_and_drops(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="filtered")["TopicArn"]
    q, qa = make_queue(sqs, "fq")
    all_q, all_qa = make_queue(sqs, "allq")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa, Attributes={
        "RawMessageDelivery": "true",
        "FilterPolicy": json.dumps({"kind": ["order", {"prefix": "inv"}],
                                    "price": [{"numeric": [">", 100]}]}),
    })
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=all_qa,
                  Attributes={"RawMessageDelivery": "true"})

    def pub(body: str, **attrs: tuple[str, str]) -> None:
        sns.publish(TopicArn=t, Message=body, MessageAttributes={
            k: {"DataType": dt, "StringValue": v} for k, (dt, v) in attrs.items()})

    pub("a", kind=("String", "order"), price=("Number", "150"))
    pub("b", kind=("String", "order"), price=("Number", "50"))
    pub("c", kind=("String", "invoice"), price=("Number", "101"))
    pub("d", kind=("String", "refund"), price=("Number", "500"))
    pub("e", kind=("String", "order"))
    pub("f", kind=("String", "order"), price=("String", "150"))
    assert sorted(m["Body"] for m in drain(sqs, q)) == ["a", "c"]
    assert sorted(m["Body"] for m in drain(sqs, all_q)) == list("abcdef")


def test_body_filter_policy(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="bodyf")["TopicArn"]
    q, qa = make_queue(sqs, "bq")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa, Attributes={
        "RawMessageDelivery": "true",
        "FilterPolicyScope": "MessageBody",
        "FilterPolicy": json.dumps({"detail": {"lastStatus": ["STOPPED"],
                                               "stopCode": [{"anything-but": "UserInitiated"}]}}),
    })
    stopped = {"detail": {"lastStatus": "STOPPED", "stopCode": "EssentialContainerExited"}}
    by_user = {"detail": {"lastStatus": "STOPPED", "stopCode": "UserInitiated"}}
    running = {"detail": {"lastStatus": "RUNNING"}}
    for doc in (stopped, by_user, running):
        sns.publish(TopicArn=t, Message=json.dumps(doc))
    sns.publish(TopicArn=t, Message="not json at all")
    assert [json.loads(m["Body"]) for m in drain(sqs, q)] == [stopped]


def test_message_structure_json_gives_sqs_its_own_message(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="structured")["TopicArn"]
    q, qa = make_queue(sqs, "sq")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa)
    sns.publish(TopicArn=t, MessageStructure="json",
                Message=json.dumps({"default": "for everyone", "sqs": "for queues",
                                    "email": "for mail", "ignored": 5}))
    env = json.loads(drain(sqs, q)[0]["Body"])
    assert env["Message"] == "for queues"
    verify_signature(env)


def test_publish_batch_with_failures(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="batch")["TopicArn"]
    q, qa = make_queue(sqs, "batchq")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa,
                  Attributes={"RawMessageDelivery": "true"})
    out = sns.publish_batch(TopicArn=t, PublishBatchRequestEntries=[
        {"Id": "ok1", "Message": "one"},
        {"Id": "bad-attr", "Message": "x", "MessageAttributes": {
            "n": {"DataType": "Number", "StringValue": "NaNish"}}},
        {"Id": "ok2", "Message": "two", "Subject": "s"},
        {"Id": "bad-structure", "Message": "{}", "MessageStructure": "json"},
        {"Id": "bad-dedup", "Message": "y", "MessageDeduplicationId": "d"},
    ])
    assert [s["Id"] for s in out["Successful"]] == ["ok1", "ok2"]
    assert all(len(s["MessageId"]) == 36 for s in out["Successful"])
    failed = {f["Id"]: f for f in out["Failed"]}
    assert set(failed) == {"bad-attr", "bad-structure", "bad-dedup"}
    assert failed["bad-attr"]["Code"] == "ParameterValueInvalid"
    assert failed["bad-structure"]["Code"] == "InvalidParameter"
    assert all(f["SenderFault"] for f in out["Failed"])
    assert sorted(m["Body"] for m in drain(sqs, q)) == ["one", "two"]

    error(lambda: sns.publish_batch(TopicArn=t, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "m"} for i in range(11)]), "TooManyEntriesInBatchRequest")
    error(lambda: sns.publish_batch(TopicArn=t, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}]), "BatchEntryIdsNotDistinct")
    error(lambda: sns.publish_batch(TopicArn=t, PublishBatchRequestEntries=[
        {"Id": "no spaces", "Message": "m"}]), "InvalidBatchEntryId")
    error(lambda: sns.publish_batch(TopicArn=t, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "x" * 60_000} for i in range(5)]), "BatchRequestTooLong")
    error(lambda: sns.publish_batch(TopicArn=t.replace("batch", "nope"),
                                    PublishBatchRequestEntries=[{"Id": "a", "Message": "m"}]),
          "NotFound", 404)
    assert drain(sqs, q) == []


def test_undeliverable_messages_go_to_the_dead_letter_queue(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="dlt")["TopicArn"]
    q, qa = make_queue(sqs, "gone-soon")
    dlq, dlqa = make_queue(sqs, "dead")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa, Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlqa})})
    sqs.delete_queue(QueueUrl=q)
    mid = sns.publish(TopicArn=t, Message="lost?")["MessageId"]
    [m] = drain(sqs, dlq, MessageAttributeNames=["All"])
    env = json.loads(m["Body"])
    assert env["MessageId"] == mid and env["Message"] == "lost?"
    assert m["MessageAttributes"]["ErrorCode"]["StringValue"] == (
        "AWS.SimpleQueueService.NonExistentQueue")


def test_email_subscriptions_use_the_outbox(url: str, sns: Any) -> None:
    t = sns.create_topic(Name="mail", Attributes={"DisplayName": "Ops"})["TopicArn"]
    assert sns.subscribe(TopicArn=t, Protocol="email", Endpoint="ops@example.com")[
        "SubscriptionArn"] == "pending confirmation"
    js = sns.subscribe(TopicArn=t, Protocol="email-json", Endpoint="bot@example.com",
                       ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert js.startswith(t + ":")
    listed = sns.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"]
    assert {s["SubscriptionArn"] for s in listed} == {"PendingConfirmation"}
    assert sns.get_topic_attributes(TopicArn=t)["Attributes"]["SubscriptionsPending"] == "2"
    sns.publish(TopicArn=t, Message="nobody confirmed yet")
    outbox = read_outbox(url)
    assert [r["type"] for r in outbox] == ["SubscriptionConfirmation"] * 2
    mail = next(r for r in outbox if r["to"] == "ops@example.com")
    assert mail["subject"] == "AWS Notification - Subscription Confirmation"
    assert mail["from"] == "Ops"
    link = next(w for w in mail["body"].split() if "Action=ConfirmSubscription" in w)
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["Token"][0]
    error(lambda: sns.confirm_subscription(TopicArn=t, Token="0" * 128), "InvalidParameter")
    s = sns.confirm_subscription(TopicArn=t, Token=token)["SubscriptionArn"]
    assert sns.confirm_subscription(TopicArn=t, Token=token)["SubscriptionArn"] == s
    attrs = sns.get_subscription_attributes(SubscriptionArn=s)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "true"
    sns.publish(TopicArn=t, Message="hello ops", Subject="Alert")
    notes = [r for r in read_outbox(url) if r["type"] == "Notification"]
    assert len(notes) == 1
    assert notes[0]["to"] == "ops@example.com" and notes[0]["subject"] == "Alert"
    assert notes[0]["body"].startswith("hello ops\n") and "Action=Unsubscribe" in notes[0]["body"]
    json_mail = next(r for r in read_outbox(url) if r["to"] == "bot@example.com")
    env = json.loads(json_mail["body"])
    assert env["Type"] == "SubscriptionConfirmation" and env["TopicArn"] == t
    verify_signature(env)


def read_outbox(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(url + "/_cargobay/sns/email-outbox", timeout=10) as r:
        out: list[dict[str, Any]] = json.loads(r.read())
    return out


def test_unsubscribe_url(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="unsub")["TopicArn"]
    q, qa = make_queue(sqs, "uq")
    s = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa)["SubscriptionArn"]
    sns.publish(TopicArn=t, Message="first")
    env = json.loads(drain(sqs, q)[0]["Body"])
    with urllib.request.urlopen(env["UnsubscribeURL"], timeout=10) as r:
        assert r.status == 200
        assert b"<UnsubscribeResponse" in r.read()
    error(lambda: sns.get_subscription_attributes(SubscriptionArn=s), "NotFound", 404)
    sns.publish(TopicArn=t, Message="second")
    assert drain(sqs, q) == []
