"""EventBridge's errors, with the codes botocore's events model declares."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(AwsError):
    code = "ResourceAlreadyExistsException"


class ValidationException(AwsError):
    code = "ValidationException"


class InvalidEventPatternException(AwsError):
    code = "InvalidEventPatternException"


class LimitExceededException(AwsError):
    code = "LimitExceededException"

    def __init__(
        self, message: str = "The requested resource exceeds the maximum number allowed."
    ) -> None:
        super().__init__(message)


class ConcurrentModificationException(AwsError):
    code = "ConcurrentModificationException"


class ManagedRuleException(AwsError):
    code = "ManagedRuleException"


class InternalException(AwsError):
    code = "InternalException"
    status = 500
    sender_fault = False
