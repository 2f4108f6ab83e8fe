"""CreateAutoScalingGroup, UpdateAutoScalingGroup, SetDesiredCapacity,
DescribeAutoScalingGroups, DeleteAutoScalingGroup.

The API only records what is wanted (sizes, protection, the launch configuration) and
wakes the reconcile loop (reconciler.py), which launches and terminates instances.
Group-level rules, from the EC2 Auto Scaling API Reference:

- MinSize ≤ DesiredCapacity ≤ MaxSize; DesiredCapacity defaults to MinSize.
- UpdateAutoScalingGroup with a new MinSize above the desired capacity (or MaxSize
  below it) and no DesiredCapacity moves the desired capacity to that bound.
- DeleteAutoScalingGroup refuses a group with instances (ResourceInUse) or with a
  scaling activity in progress (ScalingActivityInProgress) unless ForceDelete, which
  terminates every instance (protected ones too) and deletes the group when they are
  gone; meanwhile the group shows ``Status: Delete in progress``.
- LaunchTemplate / MixedInstancesPolicy name EC2 launch templates, which cargobay does
  not serve: refused as AWS refuses a template that does not exist.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import names, zones
from cargobay.services.autoscaling.base import (
    PENDING,
    TERMINATING,
    Doc,
)
from cargobay.services.autoscaling.errors import (
    AlreadyExists,
    AsgValidationError,
    ResourceInUse,
    ScalingActivityInProgress,
)
from cargobay.services.autoscaling.launch_configs import LaunchConfigOps, page_size, page_start

DEFAULT_COOLDOWN = 300
DELETING = "Delete in progress"
MAX_TAGS = 50


def _service_linked_role(account: str) -> str:
    return (f"arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
            "AWSServiceRoleForAutoScaling")


def _check_bounds(lo: int, hi: int, desired: int) -> None:
    if lo > hi:
        raise AsgValidationError(
            f"Max bound, {hi}, must be greater than or equal to min bound, {lo}"
        )
    if not lo <= desired <= hi:
        raise AsgValidationError(
            f"Desired capacity:{desired} must be between the specified min size:{lo} and "
            f"max size:{hi}"
        )


def _launch_template_refused(req: dict[str, Any]) -> AsgValidationError:
    lt = req.get("LaunchTemplate") or (
        (req.get("MixedInstancesPolicy") or {}).get("LaunchTemplate", {})
        .get("LaunchTemplateSpecification", {})
    )
    which = (f"name {lt['LaunchTemplateName']}" if lt.get("LaunchTemplateName")
             else f"id {lt.get('LaunchTemplateId', '')}")
    return AsgValidationError(
        "You must use a valid fully-formed launch template. The specified launch template, "
        f"with template {which}, does not exist."
    )


def instance_view(inst: Doc) -> Doc:
    return {
        "InstanceId": inst["InstanceId"],
        "InstanceType": inst["InstanceType"],
        "AvailabilityZone": inst["AvailabilityZone"],
        "LifecycleState": inst["LifecycleState"],
        "HealthStatus": inst["HealthStatus"],
        "LaunchConfigurationName": inst.get("LaunchConfigurationName"),
        "ImageId": inst.get("ImageId"),
        "ProtectedFromScaleIn": bool(inst.get("ProtectedFromScaleIn")),
    }


def _tags(group_name: str, given: list[Doc]) -> list[Doc]:
    out: dict[str, Doc] = {}
    for t in given:
        rid = t.get("ResourceId") or group_name
        if rid != group_name or (t.get("ResourceType") or "auto-scaling-group") != (
                "auto-scaling-group"):
            raise AsgValidationError(
                f"Invalid resource for tag {t['Key']}: {rid} is not this group.")
        out[t["Key"]] = {
            "ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": t["Key"],
            "Value": t.get("Value") or "", "PropagateAtLaunch": bool(t.get("PropagateAtLaunch")),
        }
    if len(out) > MAX_TAGS:
        raise AsgValidationError(f"The number of tags must not exceed {MAX_TAGS}.")
    return list(out.values())


def _tag_filter(group: Doc, filters: list[Doc]) -> bool:
    tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
    for f in filters:
        name, values = f.get("Name", ""), set(f.get("Values") or [])
        if name == "tag-key":
            ok = bool(values & set(tags))
        elif name == "tag-value":
            ok = bool(values & set(tags.values()))
        elif name.startswith("tag:"):
            ok = tags.get(name[4:]) in values
        else:
            raise AsgValidationError(f"Filter type {name} is not correct. Allowed Filter "
                                     "types are: tag-key, tag-value, tag:<key>")
        if not ok:
            return False
    return True


class GroupOps(LaunchConfigOps):
    # -- create ------------------------------------------------------------------------
    def create_auto_scaling_group(self, ctx: RequestContext, req: dict[str, Any]
                                  ) -> dict[str, Any]:
        name: str = req["AutoScalingGroupName"]
        if req.get("LaunchTemplate") or req.get("MixedInstancesPolicy"):
            raise _launch_template_refused(req)
        if req.get("InstanceId"):
            raise AsgValidationError(
                f"Instance Id not found - No instance found for instance ID: {req['InstanceId']}")
        lc_name = req.get("LaunchConfigurationName")
        if not lc_name:
            raise AsgValidationError(
                "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, "
                "InstanceId or MixedInstancesPolicy parameter."
            )
        lo, hi = int(req["MinSize"]), int(req["MaxSize"])
        desired = int(req["DesiredCapacity"]) if req.get("DesiredCapacity") is not None else lo
        _check_bounds(lo, hi, desired)
        key = names.key(ctx, name)
        if self.store.get(names.GROUPS, key) is not None:
            raise AlreadyExists(
                f"AutoScalingGroup by this name already exists - A group with the name {name} "
                "already exists"
            )
        self.launch_config(ctx, lc_name)
        az_list, subnet_map = zones.zones_for(ctx.region, req.get("AvailabilityZones"),
                                              req.get("VPCZoneIdentifier"))
        doc: Doc = {
            "AutoScalingGroupName": name,
            "AutoScalingGroupARN": names.group_arn(ctx, name),
            "LaunchConfigurationName": lc_name,
            "MinSize": lo,
            "MaxSize": hi,
            "DesiredCapacity": desired,
            "DefaultCooldown": int(DEFAULT_COOLDOWN if req.get("DefaultCooldown") is None
                                   else req["DefaultCooldown"]),
            "AvailabilityZones": az_list,
            "LoadBalancerNames": req.get("LoadBalancerNames") or [],
            "TargetGroupARNs": req.get("TargetGroupARNs") or [],
            "HealthCheckType": req.get("HealthCheckType") or "EC2",
            "HealthCheckGracePeriod": int(req.get("HealthCheckGracePeriod") or 0),
            "CreatedTime": self.clock.now(),
            "SuspendedProcesses": [],
            "EnabledMetrics": [],
            "Tags": _tags(name, req.get("Tags") or []),
            "TerminationPolicies": req.get("TerminationPolicies") or ["Default"],
            "NewInstancesProtectedFromScaleIn": bool(req.get("NewInstancesProtectedFromScaleIn")),
            "ServiceLinkedRoleARN": req.get("ServiceLinkedRoleARN")
            or _service_linked_role(ctx.account_id),
            "CapacityRebalance": bool(req.get("CapacityRebalance")),
            "_account": ctx.account_id,
            "_region": ctx.region,
            "_subnets": subnet_map,
        }
        for member in ("VPCZoneIdentifier", "PlacementGroup", "MaxInstanceLifetime",
                       "Context", "DefaultInstanceWarmup", "DesiredCapacityType"):
            if req.get(member) is not None:
                doc[member] = req[member]
        self.add_cause(doc, f"a user request created an AutoScalingGroup changing the desired "
                            f"capacity from 0 to {desired}.")
        self.save_group(doc)
        self.poke()
        return {}

    # -- update ------------------------------------------------------------------------
    def update_auto_scaling_group(self, ctx: RequestContext, req: dict[str, Any]
                                  ) -> dict[str, Any]:
        doc = self.group(ctx, req["AutoScalingGroupName"])
        self._not_deleting(doc)
        if req.get("LaunchTemplate") or req.get("MixedInstancesPolicy"):
            raise _launch_template_refused(req)
        if req.get("LaunchConfigurationName"):
            self.launch_config(ctx, req["LaunchConfigurationName"])
        before = int(doc["DesiredCapacity"])
        lo = int(req["MinSize"]) if req.get("MinSize") is not None else int(doc["MinSize"])
        hi = int(req["MaxSize"]) if req.get("MaxSize") is not None else int(doc["MaxSize"])
        if req.get("DesiredCapacity") is not None:
            desired = int(req["DesiredCapacity"])
        else:
            desired = min(max(before, lo), hi) if lo <= hi else before
        _check_bounds(lo, hi, desired)
        if req.get("AvailabilityZones") or req.get("VPCZoneIdentifier"):
            doc["AvailabilityZones"], doc["_subnets"] = zones.zones_for(
                ctx.region, req.get("AvailabilityZones"), req.get("VPCZoneIdentifier"))
            if req.get("VPCZoneIdentifier"):
                doc["VPCZoneIdentifier"] = req["VPCZoneIdentifier"]
            else:
                doc.pop("VPCZoneIdentifier", None)
        for member in ("LaunchConfigurationName", "DefaultCooldown", "HealthCheckType",
                       "HealthCheckGracePeriod", "TerminationPolicies",
                       "NewInstancesProtectedFromScaleIn", "MaxInstanceLifetime",
                       "CapacityRebalance", "DefaultInstanceWarmup", "PlacementGroup"):
            if req.get(member) is not None:
                doc[member] = req[member]
        doc.update(MinSize=lo, MaxSize=hi, DesiredCapacity=desired)
        if desired != before:
            self.add_cause(doc, f"a user request update of AutoScalingGroup constraints to "
                                f"min: {lo}, max: {hi}, desired: {desired} changing the desired "
                                f"capacity from {before} to {desired}.")
        self.save_group(doc)
        self.poke()
        return {}

    # -- desired capacity ----------------------------------------------------------------
    def set_desired_capacity(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.group(ctx, req["AutoScalingGroupName"])
        self._not_deleting(doc)
        desired = int(req["DesiredCapacity"])
        if desired > int(doc["MaxSize"]):
            raise AsgValidationError(f"New SetDesiredCapacity value {desired} is above max value "
                                     f"{doc['MaxSize']} for the AutoScalingGroup.")
        if desired < int(doc["MinSize"]):
            raise AsgValidationError(f"New SetDesiredCapacity value {desired} is below min value "
                                     f"{doc['MinSize']} for the AutoScalingGroup.")
        if req.get("HonorCooldown") and self._cooling_down(doc):
            raise ScalingActivityInProgress(
                "Scaling activity is in progress or the cooldown period has not elapsed, and "
                "HonorCooldown is set.")
        before = int(doc["DesiredCapacity"])
        if desired != before:
            doc["DesiredCapacity"] = desired
            doc["_lastScale"] = self.clock.now()
            self.add_cause(doc, f"a user request explicitly set group desired capacity changing "
                                f"the desired capacity from {before} to {desired}.")
            self.save_group(doc)
            self.poke()
        return {}

    def _cooling_down(self, doc: Doc) -> bool:
        if any(i["LifecycleState"] in (PENDING, TERMINATING) for i in self.group_instances(doc)):
            return True
        last = doc.get("_lastScale")
        return last is not None and self.clock.now() - float(last) < int(doc["DefaultCooldown"])

    @staticmethod
    def _not_deleting(doc: Doc) -> None:
        if doc.get("Status") == DELETING:
            raise ScalingActivityInProgress(
                f"AutoScalingGroup {doc['AutoScalingGroupName']} is pending delete.")

    # -- describe ----------------------------------------------------------------------
    def describe_auto_scaling_groups(self, ctx: RequestContext, req: dict[str, Any]
                                     ) -> dict[str, Any]:
        size = page_size(req)
        prefix = names.ctx_scope(ctx)
        after = page_start(req, prefix)
        wanted = {names.name_from(n, "autoScalingGroup")
                  for n in req.get("AutoScalingGroupNames") or []}
        filters = req.get("Filters") or []
        include = req.get("IncludeInstances", True) is not False
        out: list[Doc] = []
        token = None
        last = ""
        for key, doc in self.store.scan(names.GROUPS, prefix, after):
            if wanted and doc["AutoScalingGroupName"] not in wanted:
                continue
            if filters and not _tag_filter(doc, filters):
                continue
            if len(out) == size:
                token = names.encode_token(last)
                break
            out.append(self._group_view(doc, include))
            last = key
        result: dict[str, Any] = {"AutoScalingGroups": out}
        if token:
            result["NextToken"] = token
        return result

    def _group_view(self, doc: Doc, include: bool) -> Doc:
        view = {k: v for k, v in doc.items() if not k.startswith("_")}
        if include:
            view["Instances"] = [instance_view(i) for i in self.group_instances(doc)]
        return view

    # -- delete ------------------------------------------------------------------------
    def delete_auto_scaling_group(self, ctx: RequestContext, req: dict[str, Any]
                                  ) -> dict[str, Any]:
        doc = self.group(ctx, req["AutoScalingGroupName"])
        insts = self.group_instances(doc)
        if not req.get("ForceDelete"):
            if doc.get("Status") == DELETING or any(
                    i["LifecycleState"] in (PENDING, TERMINATING) for i in insts):
                raise ScalingActivityInProgress(
                    "You cannot delete an AutoScalingGroup while there are scaling activities "
                    "in progress for that group.")
            if insts:
                raise ResourceInUse(
                    "You cannot delete an AutoScalingGroup while there are instances or pending "
                    "Spot instance request(s) still in the group.")
        if not insts:
            self.delete_group(doc)
            return {}
        before = int(doc["DesiredCapacity"])
        doc.update(Status=DELETING, MinSize=0, MaxSize=0, DesiredCapacity=0, _forceDelete=True)
        self.add_cause(doc, f"a user request deleted the AutoScalingGroup changing the desired "
                            f"capacity from {before} to 0.")
        self.save_group(doc)
        self.poke()
        return {}
