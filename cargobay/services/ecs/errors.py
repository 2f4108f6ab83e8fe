"""ECS's errors, with the codes botocore's ECS model declares."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class ClientException(AwsError):
    code = "ClientException"


class InvalidParameterException(AwsError):
    code = "InvalidParameterException"


class ClusterNotFoundException(AwsError):
    code = "ClusterNotFoundException"

    def __init__(self, message: str = "Cluster not found.") -> None:
        super().__init__(message)


class ClusterContainsServicesException(AwsError):
    code = "ClusterContainsServicesException"


class ClusterContainsContainerInstancesException(AwsError):
    code = "ClusterContainsContainerInstancesException"


class ClusterContainsTasksException(AwsError):
    code = "ClusterContainsTasksException"


class ResourceNotFoundException(AwsError):
    code = "ResourceNotFoundException"


class LimitExceededException(AwsError):
    code = "LimitExceededException"


class ServerException(AwsError):
    code = "ServerException"
    status = 500
    sender_fault = False
