"""Topic attributes: which may be set, how each value is checked, and what
GetTopicAttributes answers ("SetTopicAttributes", "GetTopicAttributes", SNS API
Reference).

Stored with the topic are only the attributes a caller set (and FifoTopic /
ContentBasedDeduplication of FIFO topics); Owner, TopicArn, the subscription counts and
the effective delivery policy are worked out when asked.
"""

from __future__ import annotations

import json
from typing import Any

from cargobay.services.sns import delivery_policy
from cargobay.services.sns.errors import invalid

Doc = dict[str, Any]

_FEEDBACK = [
    f"{proto}{kind}"
    for proto in ("HTTP", "SQS", "Lambda", "Application", "Firehose")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
]
#: what SetTopicAttributes (and CreateTopic) may set
SETTABLE = {
    "DisplayName", "Policy", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion",
    "TracingConfig", "ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy",
    *_FEEDBACK,
}
#: only at creation
CREATE_ONLY = {"FifoTopic"}
FIFO_ONLY = {"ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy"}


def default_policy(account: str, arn: str) -> str:
    """The access policy SNS gives a new topic."""
    return json.dumps({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic", "SNS:Publish",
            ],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))


def _bool(name: str, value: str) -> str:
    low = value.lower()
    if low not in ("true", "false"):
        raise invalid("Attributes", f"{name}: Invalid value [{value}]. Must be true or false.")
    return low


def _json_object(name: str, value: str) -> None:
    try:
        doc = json.loads(value)
    except ValueError:
        raise invalid(f"{name}: failed to parse JSON.") from None
    if not isinstance(doc, dict):
        raise invalid(f"{name}: must be a JSON object")


def check_value(name: str, value: str, fifo: bool) -> str:
    """The value to store for attribute ``name`` (InvalidParameter if it is not one)."""
    if name not in SETTABLE:
        raise invalid("AttributeName")
    if name in FIFO_ONLY and not fifo:
        raise invalid("Attributes", f"{name} can only be set for FIFO topics")
    if name == "ContentBasedDeduplication":
        return _bool(name, value)
    if name == "Policy":
        _json_object("Policy", value)
    elif name == "DeliveryPolicy":
        if value:
            delivery_policy.check_topic_policy(value)
    elif name == "ArchivePolicy":
        if value:
            _json_object("ArchivePolicy", value)
    elif name == "SignatureVersion":
        if value not in ("1", "2"):
            raise invalid("SignatureVersion", "SignatureVersion must be 1 or 2")
    elif name == "TracingConfig":
        if value not in ("PassThrough", "Active"):
            raise invalid("TracingConfig", "TracingConfig must be PassThrough or Active")
    elif name == "FifoThroughputScope":
        if value not in ("Topic", "MessageGroup"):
            raise invalid("FifoThroughputScope",
                          "FifoThroughputScope must be Topic or MessageGroup")
    elif name == "DisplayName":
        if len(value) > 100:
            raise invalid("DisplayName", "DisplayName must be at most 100 characters")
    elif name.endswith("SampleRate") and (not value.isdigit() or int(value) > 100):
        raise invalid(name, "must be an integer from 0 to 100")
    return value


def creation_attributes(given: dict[str, str], name: str) -> tuple[bool, Doc]:
    """CreateTopic's attributes checked: (is FIFO, the attributes to store)."""
    fifo_text = given.get("FifoTopic")
    fifo = _bool("FifoTopic", fifo_text) == "true" if fifo_text is not None else False
    if not fifo and name.endswith(".fifo") and fifo_text is None:
        raise invalid("Topic Name")
    stored: Doc = {}
    for key, value in given.items():
        if key in CREATE_ONLY:
            continue
        stored[key] = check_value(key, value, fifo)
    if fifo:
        stored["FifoTopic"] = "true"
        stored.setdefault("ContentBasedDeduplication", "false")
    return fifo, stored


def differs(current: Doc, given: dict[str, str]) -> bool:
    """Whether CreateTopic's ``given`` attributes disagree with an existing topic's."""
    for key, value in given.items():
        if key == "FifoTopic":
            if (value.lower() == "true") != (current.get("FifoTopic") == "true"):
                return True
            continue
        have = current.get(key)
        if key == "ContentBasedDeduplication":
            value = value.lower()
        if have != value and not (have is None and value == ""):
            return True
    return False


def describe(doc: Doc, counts: dict[str, int]) -> dict[str, str]:
    """GetTopicAttributes' answer for the topic document ``doc``."""
    stored: Doc = doc["attributes"]
    out: dict[str, str] = {
        "TopicArn": doc["arn"],
        "Owner": doc["account"],
        "Policy": stored.get("Policy") or default_policy(doc["account"], doc["arn"]),
        "DisplayName": stored.get("DisplayName", ""),
        "SubscriptionsPending": str(counts.get("pending", 0)),
        "SubscriptionsConfirmed": str(counts.get("confirmed", 0)),
        "SubscriptionsDeleted": str(doc.get("deleted", 0)),
    }
    policy = stored.get("DeliveryPolicy")
    effective = (delivery_policy.check_topic_policy(policy) if policy
                 else delivery_policy.default_topic_policy())
    out["EffectiveDeliveryPolicy"] = json.dumps(effective, separators=(",", ":"))
    for key, value in stored.items():
        if key not in out and value != "":
            out[key] = str(value)
    if doc.get("fifo"):
        out.setdefault("FifoThroughputScope", "Topic")
    return out
