"""Volumes configured at launch: RunTask / StartTask / CreateService
``volumeConfigurations`` for a task definition volume with ``configuredAtLaunch``
(ECS Developer Guide, "Use Amazon EBS volumes with Amazon ECS").

ECS attaches a new Amazon EBS volume per task; cargobay gives each task a new, empty
directory instead (cargobay/agent/volumes.py), deleted when the task stops unless the
RunTask/StartTask ``terminationPolicy`` says ``deleteOnTermination: false`` (a
service's tasks' volumes are always deleted, as ECS does).  Checked here:

- a configuration must name a ``configuredAtLaunch`` volume of the task definition;
- one configuration per volume, one such volume per task definition;
- a ``configuredAtLaunch`` volume must be given a configuration.
"""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs.errors import InvalidParameterException

Doc = dict[str, Any]

#: what the task document keeps (``_volumeConfigurations``) and the assignment shows
TASK_KEY = "_volumeConfigurations"


def check_launch_volumes(td: Doc, configs: list[Doc] | None) -> list[Doc]:
    """The checked configurations (each with its termination policy filled in)."""
    at_launch = [str(v["name"]) for v in td.get("volumes") or [] if v.get("configuredAtLaunch")]
    out: list[Doc] = []
    seen: set[str] = set()
    for c in configs or []:
        name = str(c.get("name", ""))
        if name not in at_launch:
            raise InvalidParameterException(
                f"The volume '{name}' in volumeConfigurations is not a volume of the task "
                "definition with configuredAtLaunch set to true."
            )
        if name in seen:
            raise InvalidParameterException(
                f"The volume '{name}' is configured more than once in volumeConfigurations."
            )
        seen.add(name)
        managed = dict(c.get("managedEBSVolume") or {})
        policy = dict(managed.get("terminationPolicy") or {})
        policy.setdefault("deleteOnTermination", True)
        managed["terminationPolicy"] = policy
        out.append({"name": name, "managedEBSVolume": managed})
    missing = [n for n in at_launch if n not in seen]
    if missing:
        raise InvalidParameterException(
            f"The task definition volume '{missing[0]}' is configuredAtLaunch: give its "
            "configuration in volumeConfigurations."
        )
    return out


def launch_items(task: Doc) -> list[Doc]:
    """The assignment's ``volumes`` entries for the task's launch-time volumes."""
    return [
        {
            "name": c["name"],
            "managed": {
                "deleteOnTermination": bool(
                    c["managedEBSVolume"]["terminationPolicy"]["deleteOnTermination"]
                ),
                "sizeInGiB": c["managedEBSVolume"].get("sizeInGiB"),
                "filesystemType": c["managedEBSVolume"].get("filesystemType", "xfs"),
            },
        }
        for c in task.get(TASK_KEY) or []
    ]


def kept(td: Doc, configs: list[Doc] | None) -> list[Doc]:
    """What a new task keeps of ``configs`` (already checked by the caller; never
    raises: a service's stored configurations that no longer fit are dropped, and the
    task then stops at start for its unconfigured volume)."""
    try:
        return check_launch_volumes(td, configs)
    except InvalidParameterException:
        at_launch = {v["name"] for v in td.get("volumes") or [] if v.get("configuredAtLaunch")}
        fits = [c for c in configs or [] if c.get("name") in at_launch][:1]
        try:
            return check_launch_volumes(
                {"volumes": [{"name": c["name"], "configuredAtLaunch": True} for c in fits]},
                fits,
            )
        except InvalidParameterException:
            return []
