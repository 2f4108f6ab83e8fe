"""CloudWatch Logs' errors, with the codes and messages the service answers with."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class InvalidParameterException(AwsError):
    code = "InvalidParameterException"


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(AwsError):
    code = "ResourceAlreadyExistsException"


class LimitExceededException(AwsError):
    code = "LimitExceededException"


class TooManyTagsException(AwsError):
    code = "TooManyTagsException"


class GroupNotFound(ResourceNotFoundException):
    def __init__(self) -> None:
        super().__init__("The specified log group does not exist.")


class StreamNotFound(ResourceNotFoundException):
    def __init__(self) -> None:
        super().__init__("The specified log stream does not exist.")
