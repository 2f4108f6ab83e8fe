"""Sending one message to one subscription, by protocol.

- sqs: SendMessage to the queue (in-process, before Publish answers): the JSON envelope
  as the body, or with RawMessageDelivery the message itself and its attributes as SQS
  message attributes; FIFO queues get the message group and deduplication IDs.  A send
  the queue refuses (the queue is gone, too many attributes…) goes to the subscription's
  dead-letter queue when it has one, else it is dropped and logged: SNS does not retry
  client-side errors.
- http/https: a job in the delivery outbox (:mod:`delivery`), POSTed with SNS's headers
  (``x-amz-sns-message-type``, ``-message-id``, ``-topic-arn``, ``-subscription-arn``,
  ``x-amz-sns-rawdelivery`` for raw delivery) and retried per the delivery policy.
- email/email-json: a record in the email outbox (:mod:`email_outbox`): the message
  with an unsubscribe footer, or the JSON envelope.

With MessageStructure ``json`` each protocol gets its own entry of the message, or
``default``.  Subscriptions pending confirmation get nothing; a filter policy decides
for the others (:mod:`filter_policy`).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from cargobay.protocol.errors import AwsError
from cargobay.services.sns import delivery_policy, email_outbox, envelope, names
from cargobay.services.sns.base import SnsBase
from cargobay.services.sns.delivery import Deliveries
from cargobay.services.sns.email_outbox import EmailOutbox
from cargobay.services.sns.endpoints import queue_of
from cargobay.services.sns.filter_policy import FilterPolicy, check_policy
from cargobay.services.sns.message_attributes import Attrs, envelope_attributes
from cargobay.services.sns.signing import Signer

log = logging.getLogger("cargobay.sns")

Doc = dict[str, Any]
USER_AGENT = "Amazon Simple Notification Service Agent"


@dataclass
class Outgoing:
    """A published message on its way to the topic's subscriptions."""

    message_id: str
    message: str | dict[str, str]
    subject: str | None
    attributes: Attrs
    timestamp: float
    group: str | None = None
    dedup: str | None = None
    sequence: str | None = None
    #: signatures by version and signed text, so each distinct message is signed once
    signatures: dict[tuple[str, str], str] = field(default_factory=dict)

    def text_for(self, protocol: str) -> str:
        if isinstance(self.message, str):
            return self.message
        return self.message.get(protocol) or self.message["default"]


@dataclass
class _Memo:
    """Signs through ``signer``, remembering signatures in ``memo``."""

    signer: Signer
    memo: dict[tuple[str, str], str]

    def sign(self, text: str, version: str = "1") -> str:
        key = (version, text)
        sig = self.memo.get(key)
        if sig is None:
            sig = self.memo[key] = self.signer.sign(text, version)
        return sig


class Fanout(SnsBase):
    signer: Signer
    deliveries: Deliveries
    emails: EmailOutbox
    _filters: dict[str, tuple[str, str, FilterPolicy | None]]

    # -- helpers -------------------------------------------------------------------------
    def cert_url(self) -> str:
        return self.http_url(self.signer.cert_name())

    def filter_for(self, sub: Doc) -> FilterPolicy | None:
        attrs: Doc = sub["attributes"]
        text = attrs.get("FilterPolicy")
        if not text:
            return None
        scope = attrs.get("FilterPolicyScope", "MessageAttributes")
        cached = self._filters.get(sub["arn"])
        if cached is not None and cached[0] == text and cached[1] == scope:
            return cached[2]
        policy = check_policy(text, scope, on_subscribe=False)
        self._filters[sub["arn"]] = (text, scope, policy)
        return policy

    def subscription_exists(self, job: Doc) -> bool:
        return self.store.get(names.SUBSCRIPTIONS, job["subKey"]) is not None

    def _version(self, topic: Doc) -> str:
        return str(topic["attributes"].get("SignatureVersion", "1"))

    def _envelope(self, topic: Doc, sub: Doc, msg: Outgoing, text: str) -> Doc:
        env = envelope.notification(
            message_id=msg.message_id, topic_arn=topic["arn"], message=text,
            timestamp=msg.timestamp, subject=msg.subject,
            unsubscribe_url=self.unsubscribe_url(sub["arn"]),
            attributes=envelope_attributes(msg.attributes), sequence_number=msg.sequence,
            signer=_Memo(self.signer, msg.signatures), cert_url=self.cert_url(),
            version=self._version(topic),
        )
        return env

    # -- notifications -------------------------------------------------------------------
    async def deliver(self, topic: Doc, sub: Doc, msg: Outgoing) -> bool:
        """Send ``msg`` to ``sub`` if it is confirmed and its filter lets it through."""
        if sub.get("pending"):
            return False
        protocol = sub["protocol"]
        text = msg.text_for(protocol)
        policy = self.filter_for(sub)
        if policy is not None and not policy.matches(text, msg.attributes):
            return False
        raw = sub["attributes"].get("RawMessageDelivery") == "true"
        if protocol == "sqs":
            await self._to_sqs(topic, sub, msg, text, raw)
        elif protocol in ("http", "https"):
            body = text if raw else envelope.dumps(self._envelope(topic, sub, msg, text))
            self._to_http(topic, sub, "Notification", msg.message_id, body, raw)
        elif protocol == "email":
            self.emails.add(self._email(topic, sub, "Notification", msg.message_id,
                                        msg.subject or _default_subject(topic),
                                        email_outbox.notification_body(
                                            text, self.unsubscribe_url(sub["arn"]))))
        else:  # email-json
            body = envelope.dumps(self._envelope(topic, sub, msg, text))
            self.emails.add(self._email(topic, sub, "Notification", msg.message_id,
                                        msg.subject or _default_subject(topic), body))
        return True

    async def _to_sqs(self, topic: Doc, sub: Doc, msg: Outgoing, text: str, raw: bool) -> None:
        region, account, queue = queue_of(sub["endpoint"])
        params: Doc = {"QueueUrl": sub["endpoint"]}
        if raw:
            params["MessageBody"] = text
            if msg.attributes:
                params["MessageAttributes"] = msg.attributes
        else:
            params["MessageBody"] = envelope.dumps(self._envelope(topic, sub, msg, text))
        if queue.endswith(".fifo"):
            params["MessageGroupId"] = msg.group
            params["MessageDeduplicationId"] = msg.dedup
        elif msg.group is not None:
            params["MessageGroupId"] = msg.group
        try:
            await self.app.dispatcher.call("sqs", "SendMessage", params, region=region,
                                           account_id=account)
        except AwsError as e:
            dlq = _dlq(sub)
            if dlq and await self.dead_letter(dlq, params["MessageBody"], e.code, e.message,
                                              {"group": msg.group, "dedup": msg.dedup}):
                return
            log.warning("sns message %s to %s dropped: %s %s", msg.message_id,
                        sub["endpoint"], e.code, e.message)

    def _to_http(self, topic: Doc, sub: Doc, kind: str, message_id: str, body: str,
                 raw: bool = False) -> None:
        eff = delivery_policy.effective_subscription_policy(
            topic["attributes"].get("DeliveryPolicy"), sub["attributes"].get("DeliveryPolicy"))
        headers = [
            ("x-amz-sns-message-type", kind),
            ("x-amz-sns-message-id", message_id),
            ("x-amz-sns-topic-arn", topic["arn"]),
        ]
        if kind != "SubscriptionConfirmation":
            headers.append(("x-amz-sns-subscription-arn", sub["arn"]))
        if raw:
            headers.append(("x-amz-sns-rawdelivery", "true"))
        headers += [
            ("Content-Type", eff["requestPolicy"]["headerContentType"]),
            ("User-Agent", USER_AGENT),
        ]
        now = self.clock.now()
        self.deliveries.add({
            "account": topic["account"], "region": topic["region"], "kind": kind,
            "subKey": sub["key"], "subArn": sub["arn"], "topicArn": topic["arn"],
            "url": sub["endpoint"], "headers": [list(h) for h in headers], "body": body,
            "created": now, "nextAt": now, "attempts": 0,
            "policy": eff["healthyRetryPolicy"], "dlq": _dlq(sub), "messageId": message_id,
        })

    def _email(self, topic: Doc, sub: Doc, kind: str, message_id: str, subject: str,
               body: str) -> Doc:
        return {
            "timestamp": envelope.iso(self.clock.now()), "type": kind, "to": sub["endpoint"],
            "from": topic["attributes"].get("DisplayName") or "AWS Notifications",
            "subject": subject, "body": body, "protocol": sub["protocol"],
            "topicArn": topic["arn"], "subscriptionArn": sub["arn"], "messageId": message_id,
        }

    # -- confirmations -------------------------------------------------------------------
    async def send_confirmation(self, kind: str, topic: Doc, sub: Doc, token: str) -> None:
        """A SubscriptionConfirmation (or UnsubscribeConfirmation) to ``sub``'s endpoint."""
        message_id = str(uuid.uuid4())
        text = (envelope.subscribe_text(topic["arn"]) if kind == "SubscriptionConfirmation"
                else envelope.unsubscribe_text(sub["arn"]))
        url = self.subscribe_url(topic["arn"], token)
        env = envelope.confirmation(
            kind, message_id=message_id, token=token, topic_arn=topic["arn"], message=text,
            subscribe_url=url, timestamp=self.clock.now(), signer=self.signer,
            cert_url=self.cert_url(), version=self._version(topic),
        )
        protocol = sub["protocol"]
        if protocol in ("http", "https"):
            self._to_http(topic, sub, kind, message_id, envelope.dumps(env))
        elif protocol == "email":
            subject = ("AWS Notification - Subscription Confirmation"
                       if kind == "SubscriptionConfirmation"
                       else "AWS Notification - Unsubscribe Confirmation")
            body = (email_outbox.confirmation_body(topic["arn"],
                                                   topic["attributes"].get("DisplayName", ""),
                                                   url)
                    if kind == "SubscriptionConfirmation" else text + "\n" + url + "\n")
            self.emails.add(self._email(topic, sub, kind, message_id, subject, body))
        elif protocol == "email-json":
            self.emails.add(self._email(topic, sub, kind, message_id,
                                        "AWS Notification - Subscription Confirmation",
                                        envelope.dumps(env)))
        elif protocol == "sqs":
            region, account, queue = queue_of(sub["endpoint"])
            params: Doc = {"QueueUrl": sub["endpoint"], "MessageBody": envelope.dumps(env)}
            if queue.endswith(".fifo"):
                params["MessageGroupId"] = "sns-confirmation"
                params["MessageDeduplicationId"] = message_id
            try:
                await self.app.dispatcher.call("sqs", "SendMessage", params, region=region,
                                               account_id=account)
            except AwsError as e:
                log.warning("sns %s to %s not sent: %s %s", kind, sub["endpoint"], e.code,
                            e.message)

    # -- dead letters --------------------------------------------------------------------
    async def dead_letter(self, dlq_arn: str, body: str, code: str, message: str,
                          ids: Doc) -> bool:
        """Send an undeliverable message to a subscription's dead-letter queue."""
        parts = dlq_arn.split(":")
        if len(parts) != 6:
            return False
        params: Doc = {
            "QueueUrl": dlq_arn, "MessageBody": body,
            "MessageAttributes": {
                "ErrorCode": {"DataType": "String", "StringValue": code},
                "ErrorMessage": {"DataType": "String", "StringValue": message[:1024] or code},
            },
        }
        if parts[5].endswith(".fifo"):
            params["MessageGroupId"] = ids.get("group") or "dead-letters"
            params["MessageDeduplicationId"] = ids.get("dedup") or str(uuid.uuid4())
        try:
            await self.app.dispatcher.call("sqs", "SendMessage", params, region=parts[3],
                                           account_id=parts[4])
        except AwsError as e:
            log.warning("sns dead-letter queue %s refused a message: %s %s", dlq_arn, e.code,
                        e.message)
            return False
        return True


def _dlq(sub: Doc) -> str | None:
    text = sub["attributes"].get("RedrivePolicy")
    if not text:
        return None
    try:
        target = json.loads(text).get("deadLetterTargetArn")
    except (ValueError, AttributeError):
        return None
    return target if isinstance(target, str) else None


def _default_subject(topic: Doc) -> str:
    return "AWS Notification Message"
