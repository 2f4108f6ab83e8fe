"""SNS through boto3 and the AWS CLI: topics, tags, subscriptions and the refusals, with
the codes and HTTP statuses SNS answers (query protocol, XML errors)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import aws_cli, client
from tests.support import expect_error as error

ACCOUNT = "000000000000"
REGION = "us-east-1"


def arn(name: str) -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"


@pytest.fixture
def sns(url: str) -> Any:
    return client("sns", url)


@pytest.fixture
def sqs(url: str) -> Any:
    return client("sqs", url)


def queue_arn(sqs: Any, name: str, **attrs: str) -> str:
    q = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    return str(sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"])


# -- topics --------------------------------------------------------------------------------


def test_create_get_set_delete_topic(sns: Any) -> None:
    t = sns.create_topic(Name="orders", Attributes={"DisplayName": "Orders"},
                         Tags=[{"Key": "team", "Value": "a"}])["TopicArn"]
    assert t == arn("orders")
    a = sns.get_topic_attributes(TopicArn=t)["Attributes"]
    assert a["TopicArn"] == t and a["Owner"] == ACCOUNT and a["DisplayName"] == "Orders"
    assert a["SubscriptionsConfirmed"] == "0" and a["SubscriptionsPending"] == "0"
    assert a["SubscriptionsDeleted"] == "0"
    policy = json.loads(a["Policy"])
    assert policy["Statement"][0]["Resource"] == t
    eff = json.loads(a["EffectiveDeliveryPolicy"])
    assert eff["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3
    assert "FifoTopic" not in a
    sns.set_topic_attributes(TopicArn=t, AttributeName="DisplayName", AttributeValue="O2")
    dp = {"http": {"defaultHealthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1,
                                                 "maxDelayTarget": 9}}}
    sns.set_topic_attributes(TopicArn=t, AttributeName="DeliveryPolicy",
                             AttributeValue=json.dumps(dp))
    a = sns.get_topic_attributes(TopicArn=t)["Attributes"]
    assert a["DisplayName"] == "O2"
    assert json.loads(a["DeliveryPolicy"]) == dp
    assert json.loads(a["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"][
        "numRetries"] == 5
    sns.delete_topic(TopicArn=t)
    error(lambda: sns.get_topic_attributes(TopicArn=t), "NotFound", 404)
    sns.delete_topic(TopicArn=t)  # deleting what is gone is not an error


def test_create_topic_is_idempotent_by_name(sns: Any) -> None:
    a = sns.create_topic(Name="same", Attributes={"DisplayName": "x"})["TopicArn"]
    assert sns.create_topic(Name="same")["TopicArn"] == a
    assert sns.create_topic(Name="same", Attributes={"DisplayName": "x"})["TopicArn"] == a
    msg = error(lambda: sns.create_topic(Name="same", Attributes={"DisplayName": "y"}),
                "InvalidParameter")
    assert msg == ("Invalid parameter: Attributes Reason: Topic already exists with "
                   "different attributes")
    sns.tag_resource(ResourceArn=a, Tags=[{"Key": "k", "Value": "v"}])
    msg = error(lambda: sns.create_topic(Name="same", Tags=[{"Key": "k", "Value": "w"}]),
                "InvalidParameter")
    assert "Topic already exists with different tags" in msg
    assert len(sns.list_topics()["Topics"]) == 1


def test_topic_names(sns: Any) -> None:
    error(lambda: sns.create_topic(Name="bad name"), "InvalidParameter")
    error(lambda: sns.create_topic(Name="x" * 257), "InvalidParameter")
    error(lambda: sns.create_topic(Name="plain.fifo"), "InvalidParameter")
    msg = error(lambda: sns.create_topic(Name="nofifo", Attributes={"FifoTopic": "true"}),
                "InvalidParameter")
    assert "Fifo Topic names must end with .fifo" in msg
    assert sns.list_topics()["Topics"] == []


def test_fifo_topic_attributes(sns: Any) -> None:
    t = sns.create_topic(Name="jobs.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    a = sns.get_topic_attributes(TopicArn=t)["Attributes"]
    assert a["FifoTopic"] == "true" and a["ContentBasedDeduplication"] == "true"
    sns.set_topic_attributes(TopicArn=t, AttributeName="ContentBasedDeduplication",
                             AttributeValue="false")
    assert sns.get_topic_attributes(TopicArn=t)["Attributes"][
        "ContentBasedDeduplication"] == "false"
    std = sns.create_topic(Name="std")["TopicArn"]
    error(lambda: sns.set_topic_attributes(TopicArn=std, AttributeName="ContentBasedDeduplication",
                                           AttributeValue="true"), "InvalidParameter")


def test_topic_attribute_refusals(sns: Any) -> None:
    t = sns.create_topic(Name="t")["TopicArn"]
    msg = error(lambda: sns.set_topic_attributes(TopicArn=t, AttributeName="Nope",
                                                 AttributeValue="1"), "InvalidParameter")
    assert msg == "Invalid parameter: AttributeName"
    error(lambda: sns.set_topic_attributes(TopicArn=t, AttributeName="Policy",
                                           AttributeValue="{not json"), "InvalidParameter")
    error(lambda: sns.set_topic_attributes(TopicArn=t, AttributeName="DeliveryPolicy",
                                           AttributeValue=json.dumps({"http": {
                                               "defaultHealthyRetryPolicy": {
                                                   "minDelayTarget": 30,
                                                   "maxDelayTarget": 10}}})),
          "InvalidParameter")
    error(lambda: sns.set_topic_attributes(TopicArn=arn("missing"), AttributeName="DisplayName",
                                           AttributeValue="x"), "NotFound", 404)
    msg = error(lambda: sns.get_topic_attributes(TopicArn="not-an-arn"), "InvalidParameter")
    assert msg.startswith("Invalid parameter: TopicArn")
    other_region = f"arn:aws:sns:eu-west-1:{ACCOUNT}:t"
    error(lambda: sns.get_topic_attributes(TopicArn=other_region), "InvalidParameter")


def test_list_topics_pages_by_100(sns: Any) -> None:
    made = sorted(sns.create_topic(Name=f"t{i:03d}")["TopicArn"] for i in range(105))
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = sns.list_topics(NextToken=first["NextToken"])
    assert len(second["Topics"]) == 5 and "NextToken" not in second
    assert sorted(t["TopicArn"] for t in first["Topics"] + second["Topics"]) == made
    pages = list(sns.get_paginator("list_topics").paginate())
    assert sum(len(p["Topics"]) for p in pages) == 105
    error(lambda: sns.list_topics(NextToken="garbage!"), "InvalidParameter")


def test_tags(sns: Any) -> None:
    t = sns.create_topic(Name="tagged", Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
    sns.tag_resource(ResourceArn=t, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    tags = {x["Key"]: x["Value"] for x in sns.list_tags_for_resource(ResourceArn=t)["Tags"]}
    assert tags == {"a": "3", "b": "2"}
    sns.untag_resource(ResourceArn=t, TagKeys=["a", "zzz"])
    assert sns.list_tags_for_resource(ResourceArn=t)["Tags"] == [{"Key": "b", "Value": "2"}]
    error(lambda: sns.list_tags_for_resource(ResourceArn=arn("gone")), "ResourceNotFound", 404)
    error(lambda: sns.tag_resource(ResourceArn=t, Tags=[
        {"Key": f"k{i}", "Value": "v"} for i in range(50)]), "TagLimitExceeded")
    assert len(sns.list_tags_for_resource(ResourceArn=t)["Tags"]) == 1


def test_permissions_edit_the_topic_policy(sns: Any) -> None:
    t = sns.create_topic(Name="perm")["TopicArn"]
    sns.add_permission(TopicArn=t, Label="pub", AWSAccountId=["111122223333"],
                       ActionName=["Publish"])
    stmts = json.loads(sns.get_topic_attributes(TopicArn=t)["Attributes"]["Policy"])["Statement"]
    added = next(s for s in stmts if s["Sid"] == "pub")
    assert added["Action"] == ["SNS:Publish"]
    assert added["Principal"] == {"AWS": ["arn:aws:iam::111122223333:root"]}
    error(lambda: sns.add_permission(TopicArn=t, Label="pub", AWSAccountId=["111122223333"],
                                     ActionName=["Publish"]), "InvalidParameter")
    sns.remove_permission(TopicArn=t, Label="pub")
    stmts = json.loads(sns.get_topic_attributes(TopicArn=t)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in stmts] == ["__default_statement_ID"]


def test_aws_cli_lists_topics(url: str, sns: Any) -> None:
    t = sns.create_topic(Name="cli")["TopicArn"]
    out = json.loads(aws_cli(url, "sns", "list-topics").stdout)
    assert out["Topics"] == [{"TopicArn": t}]
    r = aws_cli(url, "sns", "get-topic-attributes", "--topic-arn", arn("nope"), check=False)
    assert r.returncode != 0 and "NotFound" in r.stderr


# -- subscriptions -------------------------------------------------------------------------


def test_subscribe_sqs_list_get_set_unsubscribe(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="t")["TopicArn"]
    q = queue_arn(sqs, "q")
    s = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=q,
                      Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert s.startswith(t + ":") and len(s.split(":")) == 7
    again = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=q)["SubscriptionArn"]
    assert again == s
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=q,
                                      Attributes={"RawMessageDelivery": "false"}),
                "InvalidParameter")
    assert "Subscription already exists with different attributes" in msg
    a = sns.get_subscription_attributes(SubscriptionArn=s)["Attributes"]
    assert a["Protocol"] == "sqs" and a["Endpoint"] == q and a["TopicArn"] == t
    assert a["PendingConfirmation"] == "false" and a["ConfirmationWasAuthenticated"] == "true"
    assert a["RawMessageDelivery"] == "true" and "FilterPolicy" not in a
    sns.set_subscription_attributes(SubscriptionArn=s, AttributeName="FilterPolicy",
                                    AttributeValue='{"k": ["v"]}')
    a = sns.get_subscription_attributes(SubscriptionArn=s)["Attributes"]
    assert json.loads(a["FilterPolicy"]) == {"k": ["v"]}
    assert a["FilterPolicyScope"] == "MessageAttributes"
    listed = sns.list_subscriptions()["Subscriptions"]
    assert listed == [{"SubscriptionArn": s, "Owner": ACCOUNT, "Protocol": "sqs",
                       "Endpoint": q, "TopicArn": t}]
    assert sns.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"] == listed
    assert sns.get_topic_attributes(TopicArn=t)["Attributes"]["SubscriptionsConfirmed"] == "1"
    sns.unsubscribe(SubscriptionArn=s)
    sns.unsubscribe(SubscriptionArn=s)  # idempotent
    assert sns.list_subscriptions()["Subscriptions"] == []
    a = sns.get_topic_attributes(TopicArn=t)["Attributes"]
    assert a["SubscriptionsConfirmed"] == "0" and a["SubscriptionsDeleted"] == "1"
    error(lambda: sns.get_subscription_attributes(SubscriptionArn=s), "NotFound", 404)


def test_subscribe_refusals(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="t")["TopicArn"]
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="carrier-pigeon", Endpoint="x"),
                "InvalidParameter")
    assert msg == ("Invalid parameter: Amazon SNS does not support this protocol string: "
                   "carrier-pigeon")
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint="not-an-arn"),
                "InvalidParameter")
    assert msg == "Invalid parameter: SQS endpoint ARN"
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="http",
                                      Endpoint="https://127.0.0.1/x"), "InvalidParameter")
    assert msg == "Invalid parameter: Endpoint must match the specified protocol"
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="http",
                                      Endpoint="http://10.1.2.3/hook"), "InvalidParameter")
    assert "127.0.0.0/8" in msg
    error(lambda: sns.subscribe(TopicArn=t, Protocol="http",
                                Endpoint="http://example.com/hook"), "InvalidParameter")
    error(lambda: sns.subscribe(TopicArn=t, Protocol="email", Endpoint="nobody"),
          "InvalidParameter")
    fifo_q = queue_arn(sqs, "q.fifo", FifoQueue="true")
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=fifo_q),
                "InvalidParameter")
    assert "FIFO SQS Queues can not be subscribed to standard SNS topics" in msg
    q = queue_arn(sqs, "q")
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=q,
                                      Attributes={"RawMessageDelivery": "maybe"}),
                "InvalidParameter")
    assert msg == ("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value "
                   "[maybe]. Must be true or false.")
    msg = error(lambda: sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=q,
                                      Attributes={"FilterPolicy": '{"a": {"b": ["c"]}}'}),
                "InvalidParameter")
    assert msg == ("Invalid parameter: Attributes Reason: Filter policy scope "
                   "MessageAttributes does not support nested filter policy")
    error(lambda: sns.subscribe(TopicArn=arn("nope"), Protocol="sqs", Endpoint=q),
          "NotFound", 404)
    assert sns.list_subscriptions()["Subscriptions"] == []


def test_subscription_attribute_refusals(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="t")["TopicArn"]
    s = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=queue_arn(sqs, "q"))[
        "SubscriptionArn"]

    def set_attr(name: str, value: str) -> None:
        sns.set_subscription_attributes(SubscriptionArn=s, AttributeName=name,
                                        AttributeValue=value)

    assert error(lambda: set_attr("Bogus", "1"), "InvalidParameter") == (
        "Invalid parameter: AttributeName")
    assert error(lambda: set_attr("FilterPolicyScope", "Everything"), "InvalidParameter") == (
        "Invalid parameter: FilterPolicyScope: Invalid value [Everything]. Please use either "
        "MessageBody or MessageAttributes")
    assert error(lambda: set_attr("FilterPolicy", '{"a": [{"wildcard": "*"}]}'),
                 "InvalidParameter") == (
        "Invalid parameter: FilterPolicy: Unrecognized match type wildcard")
    assert error(lambda: set_attr("RedrivePolicy", '{"deadLetterTargetArn": "nope"}'),
                 "InvalidParameter") == (
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
    set_attr("FilterPolicyScope", "MessageBody")
    set_attr("FilterPolicy", '{"a": {"b": ["c"]}}')  # nesting is fine for the body
    assert error(lambda: set_attr("FilterPolicyScope", "MessageAttributes"),
                 "InvalidParameter").endswith("does not support nested filter policy")
    a = sns.get_subscription_attributes(SubscriptionArn=s)["Attributes"]
    assert a["FilterPolicyScope"] == "MessageBody"
    error(lambda: sns.set_subscription_attributes(
        SubscriptionArn=t + ":00000000-0000-0000-0000-000000000000",
        AttributeName="RawMessageDelivery", AttributeValue="true"), "NotFound", 404)


def test_deleting_a_topic_deletes_its_subscriptions(sns: Any, sqs: Any) -> None:
    t = sns.create_topic(Name="t")["TopicArn"]
    keep = sns.create_topic(Name="keep")["TopicArn"]
    q = queue_arn(sqs, "q")
    sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=q)
    k = sns.subscribe(TopicArn=keep, Protocol="sqs", Endpoint=q)["SubscriptionArn"]
    sns.delete_topic(TopicArn=t)
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]] == [k]
    error(lambda: sns.list_subscriptions_by_topic(TopicArn=t), "NotFound", 404)


# -- publish refusals ----------------------------------------------------------------------


def test_publish_refusals(sns: Any) -> None:
    t = sns.create_topic(Name="t")["TopicArn"]
    f = sns.create_topic(Name="f.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    error(lambda: sns.publish(TopicArn=arn("nope"), Message="m"), "NotFound", 404)
    assert error(lambda: sns.publish(TopicArn=t, Message=""), "InvalidParameter") == (
        "Invalid parameter: Empty message")
    assert error(lambda: sns.publish(TopicArn=t, Message="m", Subject="a\nb"),
                 "InvalidParameter") == "Invalid parameter: Subject"
    error(lambda: sns.publish(TopicArn=t, Message="m", Subject="s" * 100), "InvalidParameter")
    assert error(lambda: sns.publish(TopicArn=t, Message="x" * 262_145),
                 "InvalidParameter") == "Invalid parameter: Message too long"
    assert error(lambda: sns.publish(TopicArn=t, Message='{"sqs": "x"}',
                                     MessageStructure="json"), "InvalidParameter") == (
        "Invalid parameter: Message Structure - No default entry in JSON message body")
    assert error(lambda: sns.publish(TopicArn=t, Message="{nope", MessageStructure="json"),
                 "InvalidParameter") == (
        "Invalid parameter: Message Structure - JSON message body failed to parse")
    msg = error(lambda: sns.publish(TopicArn=t, Message="m", MessageAttributes={
        "n": {"DataType": "Number", "StringValue": "abc"}}), "ParameterValueInvalid")
    assert msg == "Could not cast message attribute 'n' value to number."
    msg = error(lambda: sns.publish(TopicArn=t, Message="m", MessageAttributes={
        "x": {"DataType": "Float", "StringValue": "1"}}), "ParameterValueInvalid")
    assert "the set of supported type prefixes is Binary, Number, and String" in msg
    error(lambda: sns.publish(TopicArn=t, Message="m", MessageAttributes={
        "bad name!": {"DataType": "String", "StringValue": "1"}}), "ParameterValueInvalid")
    assert "not valid for this topic type" in error(
        lambda: sns.publish(TopicArn=t, Message="m", MessageDeduplicationId="d"),
        "InvalidParameter")
    assert error(lambda: sns.publish(TopicArn=f, Message="m"), "InvalidParameter") == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    assert "ContentBasedDeduplication" in error(
        lambda: sns.publish(TopicArn=f, Message="m", MessageGroupId="g"), "InvalidParameter")
    error(lambda: sns.publish(TopicArn=t, PhoneNumber="+15555550100", Message="m"),
          "InvalidParameter")
    assert "MessageId" in sns.publish(TargetArn=t, Message="through TargetArn")
