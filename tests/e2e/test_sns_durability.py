"""SNS state survives kill -9: topics, subscriptions and their attributes, the signing
key (messages signed before the crash still verify against the certificate served
after it), and HTTP deliveries still waiting in the outbox, which are retried once the
server is back."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.e2e.test_sns_delivery import verify_signature
from tests.e2e.test_sns_http import Endpoint
from tests.support import ServerProcess, client


def cert(url: str) -> bytes:
    with urllib.request.urlopen(url + "/_cargobay/sns/cert.pem", timeout=10) as r:
        out: bytes = r.read()
    return out


def test_topics_keys_and_pending_deliveries_survive_kill_9(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    endpoint = Endpoint()
    srv = ServerProcess(data_dir=data).start()
    try:
        sns, sqs = client("sns", srv.url), client("sqs", srv.url)
        t = sns.create_topic(Name="durable", Attributes={"DisplayName": "D"})["TopicArn"]
        q = sqs.create_queue(QueueName="dq")["QueueUrl"]
        qa = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        sq = sns.subscribe(TopicArn=t, Protocol="sqs", Endpoint=qa, Attributes={
            "FilterPolicy": json.dumps({"k": ["v"]})})["SubscriptionArn"]
        policy = {"healthyRetryPolicy": {"numRetries": 50, "minDelayTarget": 1,
                                         "maxDelayTarget": 1}}
        sns.subscribe(TopicArn=t, Protocol="http", Endpoint=endpoint.url,
                      Attributes={"DeliveryPolicy": json.dumps(policy)})
        token = endpoint.next().json()["Token"]
        sns.confirm_subscription(TopicArn=t, Token=token)
        before = cert(srv.url)
        endpoint.statuses = [500] * 1000
        attrs: Any = {"k": {"DataType": "String", "StringValue": "v"}}
        mid = sns.publish(TopicArn=t, Message="keep me", MessageAttributes=attrs)["MessageId"]
        assert endpoint.next().json()["MessageId"] == mid  # first attempt: 500
        env = json.loads(sqs.receive_message(QueueUrl=q)["Messages"][0]["Body"])
        srv.kill9()
        endpoint.statuses = []
        while not endpoint.received.empty():
            endpoint.received.get_nowait()

        srv = ServerProcess(data_dir=data).start()
        sns = client("sns", srv.url)
        assert endpoint.next(timeout=20).json()["MessageId"] == mid  # retried after restart
        assert sns.get_topic_attributes(TopicArn=t)["Attributes"]["DisplayName"] == "D"
        a = sns.get_subscription_attributes(SubscriptionArn=sq)["Attributes"]
        assert json.loads(a["FilterPolicy"]) == {"k": ["v"]}
        assert len(sns.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"]) == 2
        assert cert(srv.url) == before
        verify_signature(dict(env, SigningCertURL=srv.url + "/_cargobay/sns/cert.pem"))
    finally:
        srv.stop()
        endpoint.close()
