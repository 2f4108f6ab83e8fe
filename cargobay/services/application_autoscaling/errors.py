"""Application Auto Scaling's errors, with the codes botocore's model declares."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class ValidationException(AwsError):
    code = "ValidationException"


class ObjectNotFoundException(AwsError):
    code = "ObjectNotFoundException"


class LimitExceededException(AwsError):
    code = "LimitExceededException"


class InvalidNextTokenException(AwsError):
    code = "InvalidNextTokenException"


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


class TooManyTagsException(AwsError):
    code = "TooManyTagsException"


class FailedResourceAccessException(AwsError):
    code = "FailedResourceAccessException"
