"""The errors of the service operations, with the codes botocore's ECS model declares."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class ServiceNotFoundException(AwsError):
    code = "ServiceNotFoundException"

    def __init__(self, message: str = "Service not found.") -> None:
        super().__init__(message)


class ServiceNotActiveException(AwsError):
    code = "ServiceNotActiveException"

    def __init__(self, message: str = "Service was not ACTIVE.") -> None:
        super().__init__(message)


class NamespaceNotFoundException(AwsError):
    code = "NamespaceNotFoundException"
