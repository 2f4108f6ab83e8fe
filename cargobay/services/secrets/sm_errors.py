"""Secrets Manager's errors: the codes its botocore model declares, AWS's messages.

Every one is a 400 (Secrets Manager answers client errors with 400, whatever the code).
"""

from __future__ import annotations

from cargobay.protocol.errors import AwsError

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = (
    "You can't perform this operation on the secret because it was marked for deletion."
)


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"

    def __init__(self, message: str = NOT_FOUND) -> None:
        super().__init__(message)


class ResourceExistsException(AwsError):
    code = "ResourceExistsException"


class InvalidParameterException(AwsError):
    code = "InvalidParameterException"


class InvalidRequestException(AwsError):
    code = "InvalidRequestException"


class MarkedForDeletion(InvalidRequestException):
    """An operation on a secret scheduled for deletion (GetSecretValue, PutSecretValue…)."""

    def __init__(self) -> None:
        super().__init__(MARKED_FOR_DELETION)


class InvalidNextTokenException(AwsError):
    code = "InvalidNextTokenException"

    def __init__(self, message: str = "The NextToken value is invalid.") -> None:
        super().__init__(message)


class LimitExceededException(AwsError):
    code = "LimitExceededException"


class MalformedPolicyDocumentException(AwsError):
    code = "MalformedPolicyDocumentException"


def no_value(selector: str, value: str) -> ResourceNotFoundException:
    """No version for a ``VersionId`` or ``staging label`` (the ``selector``)."""
    return ResourceNotFoundException(
        f"Secrets Manager can't find the specified secret value for {selector}: {value}"
    )
