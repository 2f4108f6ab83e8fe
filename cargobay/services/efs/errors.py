"""EFS's errors (API reference, "Errors" of each action): each a code, a status and
EFS's message."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class EfsError(AwsError):
    code = "BadRequest"
    status = 400


class BadRequest(EfsError):
    code = "BadRequest"


class FileSystemNotFound(EfsError):
    code = "FileSystemNotFound"
    status = 404

    def __init__(self, fs_id: str) -> None:
        super().__init__(f"File system '{fs_id}' does not exist.")


class FileSystemAlreadyExists(EfsError):
    code = "FileSystemAlreadyExists"
    status = 409

    def __init__(self, token: str, fs_id: str) -> None:
        super().__init__(
            f"File system '{fs_id}' already exists with creation token '{token}'",
            fields={"FileSystemId": fs_id},
        )
        self.file_system_id = fs_id


class FileSystemInUse(EfsError):
    code = "FileSystemInUse"
    status = 409


class AccessPointNotFound(EfsError):
    code = "AccessPointNotFound"
    status = 404

    def __init__(self, ap_id: str) -> None:
        super().__init__(f"Access point '{ap_id}' does not exist.")


class AccessPointAlreadyExists(EfsError):
    code = "AccessPointAlreadyExists"
    status = 409

    def __init__(self, message: str, ap_id: str) -> None:
        super().__init__(message, fields={"AccessPointId": ap_id})


class MountTargetNotFound(EfsError):
    code = "MountTargetNotFound"
    status = 404

    def __init__(self, mt_id: str) -> None:
        super().__init__(f"Mount target '{mt_id}' does not exist.")


class MountTargetConflict(EfsError):
    code = "MountTargetConflict"
    status = 409


class IpAddressInUse(EfsError):
    code = "IpAddressInUse"
    status = 409


class PolicyNotFound(EfsError):
    code = "PolicyNotFound"
    status = 404


class InvalidPolicyException(EfsError):
    code = "InvalidPolicyException"
    status = 400


class IncorrectFileSystemLifeCycleState(EfsError):
    code = "IncorrectFileSystemLifeCycleState"
    status = 409
