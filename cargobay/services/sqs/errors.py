"""SQS's errors, with the codes SQS answers with.

SQS moved from the query protocol to JSON 1.0 keeping its query error codes: a JSON
error names the model's shape in ``__type`` (``QueueDoesNotExist``), and the header
``x-amzn-query-error`` carries the query code (``AWS.SimpleQueueService.NonExistentQueue``).
botocore picks the exception class from the shape name and reports the query code as
``Error.Code``.  Each class here raises with the query code; :func:`register_shapes`
tells the protocol layer which shape each code belongs to.
"""

from __future__ import annotations

from cargobay.protocol import query_errors
from cargobay.protocol.errors import AwsError

#: query code → the SQS model's error shape
SHAPES: dict[str, str] = {
    "AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist",
    "QueueAlreadyExists": "QueueNameExists",
    "AWS.SimpleQueueService.QueueDeletedRecently": "QueueDeletedRecently",
    "AWS.SimpleQueueService.PurgeQueueInProgress": "PurgeQueueInProgress",
    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest": "TooManyEntriesInBatchRequest",
    "AWS.SimpleQueueService.EmptyBatchRequest": "EmptyBatchRequest",
    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct": "BatchEntryIdsNotDistinct",
    "AWS.SimpleQueueService.BatchRequestTooLong": "BatchRequestTooLong",
    "AWS.SimpleQueueService.InvalidBatchEntryId": "InvalidBatchEntryId",
    "AWS.SimpleQueueService.MessageNotInflight": "MessageNotInflight",
    "AWS.SimpleQueueService.UnsupportedOperation": "UnsupportedOperation",
}


def register_shapes() -> None:
    """Let the JSON protocol name each query code's shape in ``__type``.

    The SQS model's error shapes carry no ``error.code`` metadata (botocore maps SQS
    errors by shape name instead), so the lookup in ``query_errors.error_shape_name``
    cannot find them by itself; this fills its table for the codes above."""
    for code, shape in SHAPES.items():
        query_errors._ERROR_NAMES[("sqs", code)] = shape


class QueueDoesNotExist(AwsError):
    code = "AWS.SimpleQueueService.NonExistentQueue"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)


class QueueNameExists(AwsError):
    code = "QueueAlreadyExists"


class PurgeQueueInProgress(AwsError):
    code = "AWS.SimpleQueueService.PurgeQueueInProgress"


class TooManyEntriesInBatchRequest(AwsError):
    code = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"


class EmptyBatchRequest(AwsError):
    code = "AWS.SimpleQueueService.EmptyBatchRequest"


class BatchEntryIdsNotDistinct(AwsError):
    code = "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"


class BatchRequestTooLong(AwsError):
    code = "AWS.SimpleQueueService.BatchRequestTooLong"


class InvalidBatchEntryId(AwsError):
    code = "AWS.SimpleQueueService.InvalidBatchEntryId"


class MessageNotInflight(AwsError):
    code = "AWS.SimpleQueueService.MessageNotInflight"


class UnsupportedOperation(AwsError):
    code = "AWS.SimpleQueueService.UnsupportedOperation"


class ReceiptHandleIsInvalid(AwsError):
    code = "ReceiptHandleIsInvalid"


class InvalidAttributeName(AwsError):
    code = "InvalidAttributeName"


class InvalidAttributeValue(AwsError):
    code = "InvalidAttributeValue"


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"


class MissingParameter(AwsError):
    code = "MissingParameter"


class InvalidMessageContents(AwsError):
    code = "InvalidMessageContents"


class OverLimit(AwsError):
    code = "OverLimit"


class InvalidAddress(AwsError):
    code = "InvalidAddress"


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


def invalid_value(name: str, value: object, reason: str) -> InvalidParameterValue:
    """``Value X for parameter Name is invalid. Reason: ...`` as SQS words it."""
    return InvalidParameterValue(f"Value {value} for parameter {name} is invalid. Reason: {reason}")
