"""CreateLaunchConfiguration, DescribeLaunchConfigurations, DeleteLaunchConfiguration.

What an instance launched from one becomes: InstanceType decides its declared size
(instance_types.py), UserData's ``ECS_CLUSTER=`` line its cluster (user_data.py),
IamInstanceProfile its credentials (instance_credentials.py).  ImageId, KeyName,
SecurityGroups, block devices and the rest are kept and shown, and change nothing.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import instance_types, names
from cargobay.services.autoscaling.base import AsgBase, Doc
from cargobay.services.autoscaling.errors import (
    AlreadyExists,
    AsgValidationError,
    InvalidNextToken,
    ResourceInUse,
    launch_config_not_found,
)

MAX_RECORDS = 100
DEFAULT_RECORDS = 50
DEFAULT_IMAGE = "ami-cargobay0000000"

_KEPT = (
    "KeyName", "SecurityGroups", "ClassicLinkVPCId", "ClassicLinkVPCSecurityGroups",
    "KernelId", "RamdiskId", "BlockDeviceMappings", "SpotPrice", "IamInstanceProfile",
    "EbsOptimized", "AssociatePublicIpAddress", "PlacementTenancy", "MetadataOptions",
)


def page_start(req: dict[str, Any], prefix: str) -> str | None:
    """The store key the request's NextToken continues after (None: from the start);
    InvalidNextToken for a token this listing did not give out."""
    try:
        return names.decode_token(req.get("NextToken"), prefix)
    except ValueError:
        raise InvalidNextToken("The token is invalid.") from None


def page_size(req: dict[str, Any], most: int = MAX_RECORDS) -> int:
    size = req.get("MaxRecords")
    if size is None:
        return DEFAULT_RECORDS if most >= DEFAULT_RECORDS else most
    if size < 1 or size > most:
        raise AsgValidationError(
            f"1 validation error detected: Value '{size}' at 'maxRecords' failed to satisfy "
            f"constraint: Member must have value less than or equal to {most}"
        )
    return int(size)


class LaunchConfigOps(AsgBase):
    def launch_config(self, ctx: RequestContext, name: str) -> Doc:
        doc = self.store.get(names.LAUNCH_CONFIGS, names.key(ctx, name))
        if doc is None:
            raise launch_config_not_found(name)
        return doc

    def create_launch_configuration(self, ctx: RequestContext, req: dict[str, Any]
                                    ) -> dict[str, Any]:
        name: str = req["LaunchConfigurationName"]
        if req.get("InstanceId"):
            raise AsgValidationError(
                f"Invalid Instance ID: {req['InstanceId']} (cargobay has no EC2 instances "
                "to copy a launch configuration from)"
            )
        if not req.get("ImageId"):
            raise AsgValidationError("ImageId is required when InstanceId is not specified.")
        itype = req.get("InstanceType")
        if not itype:
            raise AsgValidationError(
                "InstanceType is required when InstanceId is not specified."
            )
        if instance_types.lookup(itype) is None:
            raise AsgValidationError(
                f"The instance type '{itype}' is not supported by cargobay (supported: "
                f"{', '.join(sorted(instance_types.TYPES))})."
            )
        data = req.get("UserData") or ""
        key = names.key(ctx, name)
        if self.store.get(names.LAUNCH_CONFIGS, key) is not None:
            raise AlreadyExists(
                f"Launch Configuration by this name already exists - A launch configuration "
                f"already exists with the name {name}"
            )
        doc: Doc = {
            "LaunchConfigurationName": name,
            "LaunchConfigurationARN": names.launch_config_arn(ctx, name),
            "ImageId": req["ImageId"],
            "InstanceType": itype,
            "UserData": data,
            "CreatedTime": self.clock.now(),
            "InstanceMonitoring": req.get("InstanceMonitoring") or {"Enabled": True},
            "KeyName": "",
            "SecurityGroups": [],
            "ClassicLinkVPCSecurityGroups": [],
            "KernelId": "",
            "RamdiskId": "",
            "BlockDeviceMappings": [],
            "EbsOptimized": False,
        }
        for member in _KEPT:
            if req.get(member) is not None:
                doc[member] = req[member]
        self.store.put(names.LAUNCH_CONFIGS, key, doc)
        return {}

    def describe_launch_configurations(self, ctx: RequestContext, req: dict[str, Any]
                                       ) -> dict[str, Any]:
        size = page_size(req)
        prefix = names.ctx_scope(ctx)
        after = page_start(req, prefix)
        wanted = set(req.get("LaunchConfigurationNames") or [])
        out: list[Doc] = []
        token = None
        last = ""
        for key, doc in self.store.scan(names.LAUNCH_CONFIGS, prefix, after):
            if wanted and doc["LaunchConfigurationName"] not in wanted:
                continue
            if len(out) == size:
                token = names.encode_token(last)
                break
            out.append(doc)
            last = key
        result: dict[str, Any] = {"LaunchConfigurations": out}
        if token:
            result["NextToken"] = token
        return result

    def delete_launch_configuration(self, ctx: RequestContext, req: dict[str, Any]
                                    ) -> dict[str, Any]:
        name: str = req["LaunchConfigurationName"]
        self.launch_config(ctx, name)
        for _, group in self.store.scan(names.GROUPS, names.ctx_scope(ctx)):
            if group.get("LaunchConfigurationName") == name:
                raise ResourceInUse(
                    f"Cannot delete launch configuration {name} because it is attached to "
                    f"AutoScalingGroup {group['AutoScalingGroupName']}"
                )
        self.store.delete(names.LAUNCH_CONFIGS, names.key(ctx, name))
        return {}
