"""What RegisterTaskDefinition refuses in ``volumes`` (ECS Developer Guide, "Specify
an Amazon EFS file system in an Amazon ECS task definition"; authorizationConfig):

- with an access point, ``rootDirectory`` must be omitted or ``/`` (the access
  point's path is the root);
- with an access point or IAM authorization, ``transitEncryption`` must be ENABLED;
- a volume names one kind (configuredAtLaunch, docker, EFS, FSx or host), and a task
  definition has at most one volume configured at launch.

Paths that escape their file system (``..``, symlinks) are refused when the task
starts, where they are resolved (cargobay/services/efs/mounts.py,
cargobay/agent/volumes.py).
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

#: a volume names at most one of these (ECS API reference, Volume)
_KINDS = (
    "configuredAtLaunch",
    "dockerVolumeConfiguration",
    "efsVolumeConfiguration",
    "fsxWindowsFileServerVolumeConfiguration",
    "host",
)


def volume_problem(td: Doc) -> str | None:
    """The first problem of ``td``'s volumes (ClientException message), or None."""
    volumes = td.get("volumes") or []
    if sum(1 for v in volumes if v.get("configuredAtLaunch")) > 1:
        return "Only one volume configured at launch is supported in a task definition."
    for v in volumes:
        kinds = [k for k in _KINDS if v.get(k)]
        if len(kinds) > 1:
            return f"Volume '{v.get('name', '')}' can specify only one of {', '.join(_KINDS)}."
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
