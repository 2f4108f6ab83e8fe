"""EC2 Auto Scaling's errors (query protocol), with the codes and texts AWS answers.

Most refusals are the common ``ValidationError`` with a message naming the problem
("AutoScalingGroup name not found - …"); conflicts have their own codes.
"""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class AsgValidationError(AwsError):
    code = "ValidationError"


class AlreadyExists(AwsError):
    code = "AlreadyExists"


class ResourceInUse(AwsError):
    code = "ResourceInUse"


class ScalingActivityInProgress(AwsError):
    code = "ScalingActivityInProgress"


class LimitExceeded(AwsError):
    code = "LimitExceeded"


class InvalidNextToken(AwsError):
    code = "InvalidNextToken"


def group_not_found(name: str) -> AsgValidationError:
    return AsgValidationError(
        f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found"
    )


def launch_config_not_found(name: str) -> AsgValidationError:
    return AsgValidationError(
        f"Launch configuration name not found - Launch configuration {name} not found"
    )


def instance_not_found(instance_id: str) -> AsgValidationError:
    return AsgValidationError(
        f"Instance Id not found - No managed instance found for instance ID: {instance_id}"
    )
