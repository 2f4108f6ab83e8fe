"""One exception tree for every AWS error cargobay answers with.

A service raises ``AwsError`` (or a subclass) with the AWS error code, a message and
the HTTP status; the protocol layer serializes it the way that service's wire
protocol does, so botocore raises ``ClientError`` with the same code and status.
"""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """An error with an AWS code.  ``sender_fault`` is False for server-side faults."""

    code: str = "InternalFailure"
    status: int = 400
    sender_fault: bool = True

    def __init__(
        self,
        message: str = "",
        code: str | None = None,
        status: int | None = None,
        sender_fault: bool | None = None,
        *,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        #: further members of the error's shape in the service model, by member name
        #: (EFS FileSystemAlreadyExists' FileSystemId, ECS ConflictException's
        #: resourceIds); the JSON, rest-json and CBOR protocols send them
        self.fields: dict[str, Any] = dict(fields or {})
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if sender_fault is not None:
            self.sender_fault = sender_fault

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.status})"


class ValidationError(AwsError):
    """Input that breaks the service model's constraints (json/rest: ValidationException).

    ``missing`` names the required members that were absent (query protocols answer
    those with MissingParameter)."""

    code = "ValidationException"

    def __init__(self, message: str = "", missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


class SerializationError(AwsError):
    """A body that cannot be read as the protocol's format, or a member of the wrong type."""

    code = "SerializationException"


class UnknownOperationError(AwsError):
    code = "UnknownOperationException"


class MissingAuthenticationToken(AwsError):
    code = "MissingAuthenticationTokenException"
    status = 403


class UnknownServiceError(AwsError):
    """A request that names no service cargobay serves."""

    code = "UnknownServiceException"
    status = 400


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500
    sender_fault = False
