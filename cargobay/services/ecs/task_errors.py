"""ECS errors the task and container-instance operations raise, with the codes
botocore's ECS model declares for them."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class ConflictException(AwsError):
    """RunTask: the clientToken was used with other parameters."""

    code = "ConflictException"


class UnsupportedFeatureException(AwsError):
    code = "UnsupportedFeatureException"


class TargetNotFoundException(AwsError):
    """PutAttributes / DeleteAttributes: the target does not exist."""

    code = "TargetNotFoundException"


class AttributeLimitExceededException(AwsError):
    """PutAttributes: more than 10 custom attributes on a resource."""

    code = "AttributeLimitExceededException"
