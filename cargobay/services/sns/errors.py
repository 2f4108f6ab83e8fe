"""SNS's errors, with the codes the SNS model gives them (query protocol, XML errors).

Most refusals are ``InvalidParameter`` with a message that names the parameter the way
SNS words it: "Invalid parameter: TopicArn", "Invalid parameter: Attributes Reason:
FilterPolicy: …".  Message attribute problems are ``ParameterValueInvalid``.
"""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class InvalidParameter(AwsError):
    code = "InvalidParameter"


class ParameterValueInvalid(AwsError):
    code = "ParameterValueInvalid"


class NotFound(AwsError):
    code = "NotFound"
    status = 404


class ResourceNotFound(AwsError):
    code = "ResourceNotFound"
    status = 404


class AuthorizationError(AwsError):
    code = "AuthorizationError"
    status = 403


class TagLimitExceeded(AwsError):
    code = "TagLimitExceeded"


class TooManyEntriesInBatchRequest(AwsError):
    code = "TooManyEntriesInBatchRequest"


class EmptyBatchRequest(AwsError):
    code = "EmptyBatchRequest"


class BatchEntryIdsNotDistinct(AwsError):
    code = "BatchEntryIdsNotDistinct"


class InvalidBatchEntryId(AwsError):
    code = "InvalidBatchEntryId"


class BatchRequestTooLong(AwsError):
    code = "BatchRequestTooLong"


def invalid(what: str, reason: str | None = None) -> InvalidParameter:
    """``Invalid parameter: <what>`` (``… Reason: <reason>`` when given)."""
    text = f"Invalid parameter: {what}"
    if reason:
        text += f" Reason: {reason}"
    return InvalidParameter(text)


def topic_not_found() -> NotFound:
    return NotFound("Topic does not exist")


def subscription_not_found() -> NotFound:
    return NotFound("Subscription does not exist")
