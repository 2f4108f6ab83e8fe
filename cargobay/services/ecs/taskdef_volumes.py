"""What RegisterTaskDefinition refuses in ``volumes`` (ECS Developer Guide, "Specify
an Amazon EFS file system in an Amazon ECS task definition"; authorizationConfig):

- with an access point, ``rootDirectory`` must be omitted or ``/`` (the access
  point's path is the root);
- with an access point or IAM authorization, ``transitEncryption`` must be ENABLED.

Paths that escape their file system (``..``, symlinks) are refused when the task
starts, where they are resolved (cargobay/services/efs/mounts.py,
cargobay/agent/volumes.py).
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]


def volume_problem(td: Doc) -> str | None:
    """The first problem of ``td``'s volumes (ClientException message), or None."""
    for v in td.get("volumes") or []:
        efs = v.get("efsVolumeConfiguration")
        if efs is None:
            continue
        auth = efs.get("authorizationConfig") or {}
        root = efs.get("rootDirectory")
        if auth.get("accessPointId") and root not in (None, "", "/"):
            return (
                "Invalid EFS volume configuration: when an access point is specified, "
                "the root directory must be omitted or set to '/'."
            )
        if (auth.get("accessPointId") or auth.get("iam") == "ENABLED") and efs.get(
            "transitEncryption"
        ) != "ENABLED":
            return (
                "Invalid EFS volume configuration: transit encryption must be enabled "
                "when an access point or IAM authorization is used."
            )
    return None
