"""HTTP/S subscriptions to a tiny endpoint in the test ("Fanout to HTTP/S endpoints"):
the SubscriptionConfirmation handshake through the SubscribeURL, signed notifications
with SNS's headers, raw delivery, the UnsubscribeURL and its UnsubscribeConfirmation;
and, on a simulated clock, retries by the delivery policy (3 retries 20 s apart by
default; a 4xx is not retried) and dead-lettering."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cargobay.app import App, default_services
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.services.sns.service import SnsService
from cargobay.store.memory import MemoryStore
from tests.e2e.test_sns_delivery import verify_signature
from tests.support import client, threaded_server


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.body)
        return out


class Endpoint:
    """An HTTP server on 127.0.0.1 that records each POST and answers with the next of
    ``statuses`` (200 once they run out)."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: queue.Queue[Received] = queue.Queue()
        self.statuses = list(statuses or [])
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n).decode("utf-8")
                outer.received.put(Received(self.path, {k.lower(): v for k, v in
                                                        self.headers.items()}, body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, timeout: float = 10.0) -> Received:
        return self.received.get(timeout=timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    yield ep
    ep.close()


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as r:
        return int(r.status), r.read().decode()


def test_http_subscription_handshake_and_notifications(url: str, endpoint: Endpoint) -> None:
    sns = client("sns", url)
    t = sns.create_topic(Name="hooks")["TopicArn"]
    assert sns.subscribe(TopicArn=t, Protocol="http", Endpoint=endpoint.url)[
        "SubscriptionArn"] == "pending confirmation"
    conf = endpoint.next()
    assert conf.path == "/hook"
    assert conf.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert conf.headers["x-amz-sns-topic-arn"] == t
    assert conf.headers["content-type"] == "text/plain; charset=UTF-8"
    assert conf.headers["user-agent"] == "Amazon Simple Notification Service Agent"
    env = conf.json()
    assert env["Type"] == "SubscriptionConfirmation" and env["TopicArn"] == t
    assert env["Message"].startswith(f"You have chosen to subscribe to the topic {t}.")
    assert conf.headers["x-amz-sns-message-id"] == env["MessageId"]
    verify_signature(env)
    sns.publish(TopicArn=t, Message="before confirmation")  # pending: not delivered
    status, xml = get(env["SubscribeURL"])
    assert status == 200 and "<ConfirmSubscriptionResult>" in xml
    sub = sns.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"][0]["SubscriptionArn"]
    assert sub in xml
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "false"
    assert json.loads(attrs["EffectiveDeliveryPolicy"])["healthyRetryPolicy"][
        "numRetries"] == 3

    mid = sns.publish(TopicArn=t, Message="hello hook", Subject="Hi")["MessageId"]
    note = endpoint.next()
    assert note.headers["x-amz-sns-message-type"] == "Notification"
    assert note.headers["x-amz-sns-subscription-arn"] == sub
    assert note.headers["x-amz-sns-message-id"] == mid
    n = note.json()
    assert (n["Message"], n["Subject"], n["MessageId"]) == ("hello hook", "Hi", mid)
    verify_signature(n)

    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                    AttributeValue="true")
    sns.publish(TopicArn=t, Message="raw body")
    raw = endpoint.next()
    assert raw.body == "raw body" and raw.headers["x-amz-sns-rawdelivery"] == "true"

    # the UnsubscribeURL: unauthenticated, so the endpoint is told, and may restore
    status, xml = get(n["UnsubscribeURL"])
    assert status == 200 and "<UnsubscribeResponse" in xml
    bye = endpoint.next()
    assert bye.headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    b = bye.json()
    assert b["Message"].startswith(f"You have chosen to deactivate subscription {sub}.")
    verify_signature(b)
    assert sns.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"] == []
    status, _ = get(b["SubscribeURL"])
    assert status == 200
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(
        TopicArn=t)["Subscriptions"]] == [sub]
    sns.publish(TopicArn=t, Message="welcome back")
    assert endpoint.next().body == "welcome back"
    assert endpoint.received.empty()


def test_subscribe_url_refusals(url: str, endpoint: Endpoint) -> None:
    sns = client("sns", url)
    t = sns.create_topic(Name="hooks")["TopicArn"]
    sns.subscribe(TopicArn=t, Protocol="http", Endpoint=endpoint.url)
    link = endpoint.next().json()["SubscribeURL"]
    parts = urllib.parse.urlsplit(link)
    bad = parts._replace(query=urllib.parse.urlencode(
        {"Action": "ConfirmSubscription", "TopicArn": t, "Token": "f" * 128})).geturl()
    with pytest.raises(urllib.error.HTTPError) as e:
        get(bad)
    assert e.value.code == 400 and b"<Code>InvalidParameter</Code>" in e.value.read()
    with pytest.raises(urllib.error.HTTPError) as e:
        get(parts._replace(query="Action=DeleteTopic").geturl())
    assert e.value.code == 400
    assert sns.list_subscriptions_by_topic(TopicArn=t)["Subscriptions"][0][
        "SubscriptionArn"] == "PendingConfirmation"


def test_authenticate_on_unsubscribe(url: str, endpoint: Endpoint) -> None:
    sns = client("sns", url)
    t = sns.create_topic(Name="locked")["TopicArn"]
    sns.subscribe(TopicArn=t, Protocol="http", Endpoint=endpoint.url)
    token = endpoint.next().json()["Token"]
    sub = sns.confirm_subscription(TopicArn=t, Token=token, AuthenticateOnUnsubscribe="true")[
        "SubscriptionArn"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"][
        "ConfirmationWasAuthenticated"] == "true"
    sns.publish(TopicArn=t, Message="m")
    unsubscribe_url = endpoint.next().json()["UnsubscribeURL"]
    with pytest.raises(urllib.error.HTTPError) as e:
        get(unsubscribe_url)
    assert e.value.code == 403 and b"AuthorizationError" in e.value.read()
    sns.unsubscribe(SubscriptionArn=sub)  # the owner, signed, may
    assert sns.list_subscriptions()["Subscriptions"] == []


# -- retries on a simulated clock ----------------------------------------------------------


class ProbedSns(SnsService):
    loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await super().start()


@dataclass
class Sim:
    url: str
    clock: SimClock
    svc: ProbedSns

    def advance(self, seconds: float) -> None:
        assert self.svc.loop is not None
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), self.svc.loop).result(10)

    def wait(self, cond: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not cond():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.005)

    def jobs(self) -> list[dict[str, Any]]:
        return list(self.svc.deliveries._jobs.values())


@pytest.fixture
def sim() -> Iterator[Sim]:
    # SigV4 allows 15 minutes of skew: the simulated clock starts 14 minutes behind the
    # real one, so a test may move it ~28 minutes
    clock = SimClock(start=float(int(time.time()) - 14 * 60))
    holder: dict[str, ProbedSns] = {}

    def services(app: App) -> dict[str, object]:
        svcs = default_services(app)
        holder["sns"] = svcs["sns"] = ProbedSns(app)
        return svcs

    app = App(Config(data_dir=None), clock=clock, store=MemoryStore(), services=services)
    with threaded_server(app) as url:
        yield Sim(url, clock, holder["sns"])


def confirmed_http(sim: Sim, endpoint: Endpoint, topic: str, **attrs: str) -> str:
    sns = client("sns", sim.url)
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url, Attributes=attrs)
    token = endpoint.next().json()["Token"]
    return str(sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"])


def test_failed_deliveries_are_retried_on_the_clock(sim: Sim) -> None:
    """Default policy: 3 retries, 20 seconds apart; 5xx and no answer are retried."""
    sns = client("sns", sim.url)
    endpoint = Endpoint()
    try:
        t = sns.create_topic(Name="flaky")["TopicArn"]
        confirmed_http(sim, endpoint, t)
        endpoint.statuses = [500, 503]
        sns.publish(TopicArn=t, Message="eventually")
        assert endpoint.next().json()["Message"] == "eventually"  # attempt 1: 500
        sim.wait(lambda: any(j["attempts"] == 1 for j in sim.jobs()))
        sim.advance(19)
        assert endpoint.received.empty() and sim.jobs()[0]["attempts"] == 1
        sim.advance(1)
        assert endpoint.next().json()["Message"] == "eventually"  # retry 1: 503
        sim.wait(lambda: any(j["attempts"] == 2 for j in sim.jobs()))
        sim.advance(20)
        assert endpoint.next().json()["Message"] == "eventually"  # retry 2: 200
        sim.wait(lambda: not sim.jobs())
        assert sim.svc.deliveries.sent >= 2 and sim.svc.deliveries.dropped == 0
    finally:
        endpoint.close()


def test_retries_run_out_and_4xx_is_final_then_dead_letter(sim: Sim) -> None:
    sns = client("sns", sim.url)
    sqs = client("sqs", sim.url)
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    endpoint = Endpoint()
    try:
        t = sns.create_topic(Name="broken")["TopicArn"]
        policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 5,
                                         "maxDelayTarget": 10, "backoffFunction": "linear"}}
        confirmed_http(sim, endpoint, t, DeliveryPolicy=json.dumps(policy),
                       RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
        endpoint.statuses = [500, 500, 500, 404]
        sns.publish(TopicArn=t, Message="doomed")
        endpoint.next()
        sim.wait(lambda: any(j["attempts"] == 1 for j in sim.jobs()))
        sim.advance(5)  # retry 1 after minDelayTarget
        endpoint.next()
        sim.wait(lambda: any(j["attempts"] == 2 for j in sim.jobs()))
        sim.advance(10)  # retry 2 after maxDelayTarget: the last one
        endpoint.next()
        sim.wait(lambda: sim.svc.deliveries.dead_lettered == 1)
        [m] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
        assert json.loads(m["Body"])["Message"] == "doomed"
        assert m["MessageAttributes"]["ErrorCode"]["StringValue"] == "HTTP500"
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])

        sns.publish(TopicArn=t, Message="not found")  # 404: permanent, no retry
        endpoint.next()
        sim.wait(lambda: sim.svc.deliveries.dead_lettered == 2)
        sim.advance(60)
        assert endpoint.received.empty() and not sim.jobs()
        [m] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
        assert m["MessageAttributes"]["ErrorCode"]["StringValue"] == "HTTP404"
    finally:
        endpoint.close()


def test_an_unreachable_endpoint_is_retried_then_dropped(sim: Sim) -> None:
    sns = client("sns", sim.url)
    endpoint = Endpoint()
    t = sns.create_topic(Name="gone")["TopicArn"]
    confirmed_http(sim, endpoint, t)
    endpoint.close()  # nothing listens there any more
    sns.publish(TopicArn=t, Message="into the void")
    sim.wait(lambda: any(j["attempts"] == 1 for j in sim.jobs()))
    for n in (2, 3):
        sim.advance(20)
        sim.wait(lambda n=n: any(j["attempts"] == n for j in sim.jobs()))  # type: ignore[misc]
    sim.advance(20)
    sim.wait(lambda: sim.svc.deliveries.dropped == 1)
    assert not sim.jobs()
