"""The SNS JSON message: what SQS queues, HTTP/S endpoints and email-json addresses
receive, signed as "Verifying the signatures of Amazon SNS messages" describes.

The string to sign is the message's fields in byte order, each as ``name\\nvalue\\n``:
Message, MessageId, Subject (if present), Timestamp, TopicArn, Type for a Notification;
Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type for a
SubscriptionConfirmation or UnsubscribeConfirmation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

Doc = dict[str, Any]


class Signer(Protocol):
    def sign(self, text: str, version: str = "1") -> str: ...

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                       "TopicArn", "Type")


def iso(ts: float) -> str:
    """``2012-04-26T20:45:04.751Z``."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def string_to_sign(env: Doc) -> str:
    fields = NOTIFICATION_FIELDS if env["Type"] == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{k}\n{env[k]}\n" for k in fields if k in env)


def _sign(env: Doc, signer: Signer, cert_url: str, version: str) -> None:
    env["SignatureVersion"] = version
    env["Signature"] = signer.sign(string_to_sign(env), version)
    env["SigningCertURL"] = cert_url


def notification(
    *, message_id: str, topic_arn: str, message: str, timestamp: float,
    subject: str | None, unsubscribe_url: str, attributes: dict[str, dict[str, str]],
    sequence_number: str | None, signer: Signer, cert_url: str, version: str,
) -> Doc:
    env: Doc = {"Type": "Notification", "MessageId": message_id}
    if sequence_number is not None:
        env["SequenceNumber"] = sequence_number
    env["TopicArn"] = topic_arn
    if subject is not None:
        env["Subject"] = subject
    env["Message"] = message
    env["Timestamp"] = iso(timestamp)
    _sign(env, signer, cert_url, version)
    env["UnsubscribeURL"] = unsubscribe_url
    if attributes:
        env["MessageAttributes"] = attributes
    return env


def confirmation(
    kind: str, *, message_id: str, token: str, topic_arn: str, message: str,
    subscribe_url: str, timestamp: float, signer: Signer, cert_url: str, version: str,
) -> Doc:
    """A SubscriptionConfirmation or UnsubscribeConfirmation message."""
    env: Doc = {
        "Type": kind,
        "MessageId": message_id,
        "Token": token,
        "TopicArn": topic_arn,
        "Message": message,
        "SubscribeURL": subscribe_url,
        "Timestamp": iso(timestamp),
    }
    _sign(env, signer, cert_url, version)
    return env


def dumps(env: Doc) -> str:
    """The message as SNS writes it (two-space indent, ``" : "`` between name and value)."""
    return json.dumps(env, indent=2, separators=(",", " : "), ensure_ascii=False)


def subscribe_text(topic_arn: str) -> str:
    return (f"You have chosen to subscribe to the topic {topic_arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.")


def unsubscribe_text(sub_arn: str) -> str:
    return (f"You have chosen to deactivate subscription {sub_arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL "
            "included in this message.")
