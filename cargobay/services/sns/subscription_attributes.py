"""Subscription attributes: checking what Subscribe and SetSubscriptionAttributes set,
and GetSubscriptionAttributes' answer ("SetSubscriptionAttributes", SNS API Reference).

Errors are worded "Invalid parameter: <reason>" for SetSubscriptionAttributes and
"Invalid parameter: Attributes Reason: <reason>" for Subscribe.
"""

from __future__ import annotations

import json
from typing import Any

from cargobay.services.sns import delivery_policy, filter_policy
from cargobay.services.sns.errors import InvalidParameter

Doc = dict[str, Any]

SETTABLE = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
            "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy")
RAW_PROTOCOLS = ("sqs", "http", "https", "firehose")


def _lead(on_subscribe: bool) -> str:
    return "Invalid parameter: Attributes Reason: " if on_subscribe else "Invalid parameter: "


def check(name: str, value: str, current: Doc, sub: Doc, topic_fifo: bool, *,
          on_subscribe: bool) -> Doc:
    """The subscription's attributes after setting ``name`` to ``value`` (``current``
    is not changed).  ``sub`` carries Protocol and Endpoint."""
    lead = _lead(on_subscribe)
    if name not in SETTABLE:
        raise InvalidParameter(f"{lead}AttributeName")
    out = dict(current)
    if name == "RawMessageDelivery":
        low = value.lower()
        if low not in ("true", "false"):
            raise InvalidParameter(
                f"{lead}RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        if low == "true" and sub["protocol"] not in RAW_PROTOCOLS:
            raise InvalidParameter(
                f"{lead}Delivery protocol [{sub['protocol']}] does not support raw message "
                "delivery.")
        out[name] = low
    elif name == "FilterPolicyScope":
        if value not in filter_policy.SCOPES:
            raise InvalidParameter(
                f"{lead}FilterPolicyScope: Invalid value [{value}]. Please use either "
                "MessageBody or MessageAttributes")
        if out.get("FilterPolicy"):
            filter_policy.check_policy(out["FilterPolicy"], value, on_subscribe=on_subscribe)
        out[name] = value
    elif name == "FilterPolicy":
        scope = out.get("FilterPolicyScope", "MessageAttributes")
        if filter_policy.check_policy(value, scope, on_subscribe=on_subscribe) is None:
            out.pop("FilterPolicy", None)
        else:
            out[name] = value
            out.setdefault("FilterPolicyScope", "MessageAttributes")
    elif name == "DeliveryPolicy":
        if value:
            try:
                delivery_policy.check_subscription_policy(value)
            except InvalidParameter as e:
                raise InvalidParameter(lead + e.message.removeprefix("Invalid parameter: ")
                                       ) from None
            out[name] = value
        else:
            out.pop(name, None)
    elif name == "RedrivePolicy":
        if value:
            _check_redrive(value, sub, topic_fifo, lead)
            out[name] = value
        else:
            out.pop(name, None)
    elif name == "ReplayPolicy":
        if value:
            try:
                json.loads(value)
            except ValueError:
                raise InvalidParameter(f"{lead}ReplayPolicy: failed to parse JSON.") from None
            out[name] = value
        else:
            out.pop(name, None)
    elif value:
        out[name] = value
    else:
        out.pop(name, None)
    return out


def _check_redrive(value: str, sub: Doc, topic_fifo: bool, lead: str) -> None:
    try:
        doc = json.loads(value)
    except ValueError:
        raise InvalidParameter(f"{lead}RedrivePolicy: failed to parse JSON.") from None
    target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    parts = target.split(":") if isinstance(target, str) else []
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        raise InvalidParameter(f"{lead}RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if topic_fifo and str(sub.get("endpoint", "")).endswith(".fifo") and not parts[5].endswith(
            ".fifo"):
        raise InvalidParameter(
            f"{lead}RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a "
            "FIFO Topic.")


def describe(sub: Doc, topic_attrs: Doc | None) -> dict[str, str]:
    attrs: Doc = sub["attributes"]
    out: dict[str, str] = {
        "SubscriptionArn": sub["arn"],
        "TopicArn": sub["topicArn"],
        "Owner": sub["owner"],
        "Protocol": sub["protocol"],
        "Endpoint": sub["endpoint"],
        "ConfirmationWasAuthenticated": "true" if sub.get("authenticated") else "false",
        "PendingConfirmation": "true" if sub.get("pending") else "false",
        "RawMessageDelivery": attrs.get("RawMessageDelivery", "false"),
    }
    for key in ("FilterPolicy", "FilterPolicyScope", "DeliveryPolicy", "RedrivePolicy",
                "SubscriptionRoleArn", "ReplayPolicy"):
        if key in attrs:
            out[key] = str(attrs[key])
    if sub["protocol"] in ("http", "https"):
        topic_policy = (topic_attrs or {}).get("DeliveryPolicy")
        eff = delivery_policy.effective_subscription_policy(topic_policy,
                                                            attrs.get("DeliveryPolicy"))
        out["EffectiveDeliveryPolicy"] = json.dumps(eff, separators=(",", ":"))
    return out
