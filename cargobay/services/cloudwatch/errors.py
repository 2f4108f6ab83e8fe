"""CloudWatch's errors, with the query codes its clients see.

The CloudWatch model is awsQueryCompatible: its error shapes carry the query code
(``InvalidParameterValue``, ``ResourceNotFound``…) which the protocol layer maps back to
the shape name for JSON and CBOR, so raising with the query code is right everywhere.
"""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class InvalidParameterValue(AwsError):
    code = "InvalidParameterValue"


class InvalidParameterCombination(AwsError):
    code = "InvalidParameterCombination"


class MissingParameter(AwsError):
    code = "MissingParameter"


class ValidationError(AwsError):
    """The code CloudWatch answers bad alarm and GetMetricData input with."""

    code = "ValidationError"


class ResourceNotFound(AwsError):
    code = "ResourceNotFound"
    status = 404


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"
    status = 404


class InvalidNextToken(AwsError):
    code = "InvalidNextToken"

    def __init__(self, message: str = "The service cannot process the NextToken.") -> None:
        super().__init__(message)


class InvalidFormat(AwsError):
    code = "InvalidFormat"


def invalid_value(value: object, name: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"The value {value} for parameter {name} is invalid.")
