"""Queue attributes: which exist, their defaults and ranges, how they read back.

A queue stores only the attributes that were set (as the normalized strings
GetQueueAttributes returns); :class:`QueueConfig` is the typed view the message paths
use.  Ranges and defaults are those of the CreateQueue / SetQueueAttributes reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cargobay.services.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    invalid_value,
)

#: integer attributes: (minimum, maximum, default)
INT_RANGES: dict[str, tuple[int, int, int]] = {
    "DelaySeconds": (0, 900, 0),
    "MaximumMessageSize": (1024, 1_048_576, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600, 345_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20, 0),
    "VisibilityTimeout": (0, 43_200, 30),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400, 300),
}
BOOLEANS = ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")
ENUMS: dict[str, tuple[str, ...]] = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perMessageGroupId", "perQueue"),
}
#: attributes only FIFO queues have
FIFO_ONLY = ("FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit")
#: attributes that may be set (FifoQueue only at creation)
SETTABLE = (
    *INT_RANGES,
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    *FIFO_ONLY,
)
#: attributes computed by the queue, never set
COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
#: attributes that an empty string removes
CLEARABLE = ("Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId")

REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")


def unknown(name: str) -> InvalidAttributeName:
    return InvalidAttributeName(f"Unknown Attribute {name}.")


def _bad(name: str) -> InvalidAttributeValue:
    return InvalidAttributeValue(f"Invalid value for the parameter {name}.")


def normalize(name: str, value: str, fifo: bool, *, creating: bool) -> str:
    """One attribute's value as stored and read back (raises the SQS error)."""
    if name not in SETTABLE:
        raise unknown(name)
    if name in FIFO_ONLY and not fifo and not (name == "FifoQueue" and creating):
        raise unknown(name)
    if name == "FifoQueue" and not creating:
        raise unknown(name)
    if name in INT_RANGES:
        lo, hi, _ = INT_RANGES[name]
        try:
            n = int(value.strip())
        except ValueError:
            raise _bad(name) from None
        if not lo <= n <= hi:
            raise _bad(name)
        return str(n)
    if name in BOOLEANS:
        low = value.strip().lower()
        if low not in ("true", "false"):
            raise _bad(name)
        return low
    if name in ENUMS:
        if value not in ENUMS[name]:
            raise _bad(name)
        return value
    if name == "Policy":
        return _policy(value)
    if name == "RedrivePolicy":
        return _redrive_policy(value)
    if name == "RedriveAllowPolicy":
        return _redrive_allow_policy(value)
    return value  # KmsMasterKeyId: stored as given


def _json_map(value: str) -> dict[str, Any] | None:
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _policy(value: str) -> str:
    if value == "":
        return value
    if _json_map(value) is None:
        raise _bad("Policy")
    return value


def _redrive_policy(value: str) -> str:
    if value == "":
        return value
    doc = _json_map(value)
    if doc is None:
        raise invalid_value("RedrivePolicy", value, "Redrive policy is not a valid JSON map.")
    for field in ("deadLetterTargetArn", "maxReceiveCount"):
        if field not in doc:
            raise invalid_value(
                "RedrivePolicy", value,
                f"Redrive policy does not contain mandatory attribute: {field}.",
            )
    extra = sorted(set(doc) - {"deadLetterTargetArn", "maxReceiveCount"})
    if extra:
        raise invalid_value(
            "RedrivePolicy", value, f"Only following attributes are supported: "
            f"[deadLetterTargetArn, maxReceiveCount]. Found: {extra[0]}."
        )
    raw = doc["maxReceiveCount"]
    try:
        count = int(raw) if not isinstance(raw, bool) else -1
    except (TypeError, ValueError):
        count = -1
    if not 1 <= count <= 1000:
        raise invalid_value(
            "RedrivePolicy", value,
            f"Invalid value for maxReceiveCount: {raw}, valid values are from 1 to 1000 "
            "both inclusive.",
        )
    arn = doc["deadLetterTargetArn"]
    if not isinstance(arn, str) or not arn:
        raise invalid_value("RedrivePolicy", value, "Invalid value for deadLetterTargetArn.")
    return orjson.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count}).decode()


def _redrive_allow_policy(value: str) -> str:
    if value == "":
        return value
    doc = _json_map(value)
    if doc is None:
        raise invalid_value(
            "RedriveAllowPolicy", value, "Redrive allow policy is not a valid JSON map."
        )
    perm = doc.get("redrivePermission")
    if perm not in REDRIVE_PERMISSIONS:
        raise invalid_value(
            "RedriveAllowPolicy", value,
            "Amazon SQS can't create the redrive allow policy, as it's in an unsupported "
            "format.",
        )
    arns = doc.get("sourceQueueArns")
    out: dict[str, Any] = {"redrivePermission": perm}
    if perm == "byQueue":
        if (
            not isinstance(arns, list)
            or not 1 <= len(arns) <= 10
            or not all(isinstance(a, str) and a for a in arns)
        ):
            raise invalid_value(
                "RedriveAllowPolicy", value,
                "Amazon SQS can't create the redrive allow policy. When you specify the "
                "byQueue permission type, you must also specify one or more sourceQueueArns "
                "values (up to 10).",
            )
        out["sourceQueueArns"] = arns
    elif arns is not None:
        raise invalid_value(
            "RedriveAllowPolicy", value,
            "Amazon SQS can't create the redrive allow policy. To specify one or more "
            "source queues, you must specify the byQueue permission type.",
        )
    return orjson.dumps(out).decode()


def normalize_all(
    attrs: dict[str, str], fifo: bool, *, creating: bool
) -> dict[str, str]:
    """Every attribute of a Create/SetQueueAttributes request, checked and normalized."""
    out = {name: normalize(name, value, fifo, creating=creating) for name, value in attrs.items()}
    return out


def merged(current: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """The stored attributes after a change: empty clearable values remove."""
    out = dict(current)
    for name, value in changes.items():
        if name in CLEARABLE and value == "":
            out.pop(name, None)
        else:
            out[name] = value
    if changes.get("KmsMasterKeyId"):
        out["SqsManagedSseEnabled"] = "false"
    elif changes.get("SqsManagedSseEnabled") == "true":
        out.pop("KmsMasterKeyId", None)
    check_fifo_throughput(out)
    return out


def check_fifo_throughput(attrs: dict[str, str]) -> None:
    if (
        attrs.get("FifoThroughputLimit") == "perMessageGroupId"
        and attrs.get("DeduplicationScope", "queue") != "messageGroup"
    ):
        raise _bad("FifoThroughputLimit")


def effective(attrs: dict[str, str], fifo: bool) -> dict[str, str]:
    """Stored attributes with the defaults filled in (what the queue behaves by)."""
    out = {name: str(default) for name, (_, _, default) in INT_RANGES.items()}
    if "KmsMasterKeyId" not in attrs:
        del out["KmsDataKeyReusePeriodSeconds"]
    out["SqsManagedSseEnabled"] = "false" if "KmsMasterKeyId" in attrs else "true"
    if fifo:
        out.update(
            FifoQueue="true",
            ContentBasedDeduplication="false",
            DeduplicationScope="queue",
            FifoThroughputLimit="perQueue",
        )
    out.update(attrs)
    if not fifo:
        out.pop("FifoQueue", None)
    return out


@dataclass(frozen=True)
class Redrive:
    dlq_arn: str
    max_receives: int


@dataclass(frozen=True)
class QueueConfig:
    """The typed attributes the message paths read."""

    fifo: bool
    visibility: int
    delay: int
    max_size: int
    retention: int
    wait: int
    content_dedup: bool
    dedup_by_group: bool
    redrive: Redrive | None
    redrive_allow: dict[str, Any] | None

    @classmethod
    def of(cls, attrs: dict[str, str], fifo: bool) -> QueueConfig:
        eff = effective(attrs, fifo)
        redrive = None
        if eff.get("RedrivePolicy"):
            doc = orjson.loads(eff["RedrivePolicy"])
            redrive = Redrive(str(doc["deadLetterTargetArn"]), int(doc["maxReceiveCount"]))
        allow = orjson.loads(eff["RedriveAllowPolicy"]) if eff.get("RedriveAllowPolicy") else None
        return cls(
            fifo=fifo,
            visibility=int(eff["VisibilityTimeout"]),
            delay=int(eff["DelaySeconds"]),
            max_size=int(eff["MaximumMessageSize"]),
            retention=int(eff["MessageRetentionPeriod"]),
            wait=int(eff["ReceiveMessageWaitTimeSeconds"]),
            content_dedup=fifo and eff.get("ContentBasedDeduplication") == "true",
            dedup_by_group=fifo and eff.get("DeduplicationScope") == "messageGroup",
            redrive=redrive,
            redrive_allow=allow,
        )


def check_names(names: list[str]) -> None:
    """GetQueueAttributes' AttributeNames (the model's enum checks most of it)."""
    for name in names:
        if name != "All" and name not in SETTABLE and name not in COMPUTED:
            raise unknown(name)
