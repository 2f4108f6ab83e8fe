"""The resources IAM weighs an Auto Scaling request against (Service Authorization
Reference, "Amazon EC2 Auto Scaling": resource types autoScalingGroup and
launchConfiguration; Describe* operations support no resource-level permissions).

A group or launch configuration that exists is named by its ARN; one being created
(or missing) by its ARN with ``*`` for the id, ``…:autoScalingGroup:*:autoScalingGroupName/
<name>``, which the usual policy pattern of that form matches.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import names
from cargobay.store import Store

_GROUP_OPS = {
    "CreateAutoScalingGroup", "UpdateAutoScalingGroup", "SetDesiredCapacity",
    "DeleteAutoScalingGroup", "SetInstanceProtection", "PutScalingPolicy",
    "DeletePolicy", "ExecutePolicy",
}
_LC_OPS = {"CreateLaunchConfiguration", "DeleteLaunchConfiguration"}


def _group_arn(store: Store, ctx: RequestContext, name: str) -> str:
    name = names.name_from(name, "autoScalingGroup")
    doc = store.get(names.GROUPS, names.key(ctx, name))
    if doc is not None:
        return str(doc["AutoScalingGroupARN"])
    return (f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:autoScalingGroup:*:"
            f"autoScalingGroupName/{name}")


def resource_arns(store: Store, ctx: RequestContext, operation: str,
                  params: dict[str, Any]) -> list[str] | None:
    if operation in _GROUP_OPS and params.get("AutoScalingGroupName"):
        return [_group_arn(store, ctx, params["AutoScalingGroupName"])]
    if operation in ("CreateOrUpdateTags", "DeleteTags"):
        return [_group_arn(store, ctx, str(t.get("ResourceId") or ""))
                for t in params.get("Tags") or []] or None
    if operation in _LC_OPS:
        name = params["LaunchConfigurationName"]
        doc = store.get(names.LAUNCH_CONFIGS, names.key(ctx, name))
        if doc is not None:
            return [str(doc["LaunchConfigurationARN"])]
        return [f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:launchConfiguration:*:"
                f"launchConfigurationName/{name}"]
    if operation == "TerminateInstanceInAutoScalingGroup":
        inst = store.get(names.INSTANCES, names.key(ctx, params["InstanceId"]))
        if inst is not None:
            return [_group_arn(store, ctx, inst["group"])]
    return None
