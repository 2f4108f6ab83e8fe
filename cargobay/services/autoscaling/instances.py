"""DescribeAutoScalingInstances, SetInstanceProtection, TerminateInstanceInAutoScalingGroup,
DescribeScalingActivities.

TerminateInstanceInAutoScalingGroup moves the instance to Terminating at once and
answers the activity; the reconcile loop then drains, stops and deregisters it.
Without ShouldDecrementDesiredCapacity the group launches a replacement; with it the
desired capacity drops by one (refused below MinSize, as AWS does).
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import names
from cargobay.services.autoscaling.base import (
    TERMINATED,
    TERMINATING,
    Doc,
    stamp,
)
from cargobay.services.autoscaling.errors import (
    AsgValidationError,
    InvalidNextToken,
    LimitExceeded,
    instance_not_found,
)
from cargobay.services.autoscaling.groups import DELETING, GroupOps, instance_view
from cargobay.services.autoscaling.launch_configs import page_size, page_start

MAX_PROTECTION_IDS = 50
MAX_INSTANCE_RECORDS = 50


def activity_view(act: Doc) -> Doc:
    return {k: v for k, v in act.items() if not k.startswith("_")}


class InstanceOps(GroupOps):
    def instance(self, ctx: RequestContext, instance_id: str) -> Doc:
        doc = self.store.get(names.INSTANCES, names.key(ctx, instance_id))
        if doc is None:
            raise instance_not_found(instance_id)
        return doc

    def describe_auto_scaling_instances(self, ctx: RequestContext, req: dict[str, Any]
                                        ) -> dict[str, Any]:
        size = page_size(req, MAX_INSTANCE_RECORDS)
        prefix = names.ctx_scope(ctx)
        after = page_start(req, prefix)
        wanted = set(req.get("InstanceIds") or [])
        out: list[Doc] = []
        token = None
        last = ""
        for key, doc in self.store.scan(names.INSTANCES, prefix, after):
            if wanted and doc["InstanceId"] not in wanted:
                continue
            if len(out) == size:
                token = names.encode_token(last)
                break
            view = instance_view(doc)
            view["AutoScalingGroupName"] = doc["group"]
            out.append(view)
            last = key
        result: dict[str, Any] = {"AutoScalingInstances": out}
        if token:
            result["NextToken"] = token
        return result

    def set_instance_protection(self, ctx: RequestContext, req: dict[str, Any]
                                ) -> dict[str, Any]:
        group = self.group(ctx, req["AutoScalingGroupName"])
        ids: list[str] = req["InstanceIds"]
        if len(ids) > MAX_PROTECTION_IDS:
            raise LimitExceeded(
                f"The number of instance ids must not exceed {MAX_PROTECTION_IDS}.")
        docs = []
        for iid in ids:
            doc = self.store.get(names.INSTANCES, names.key(ctx, iid))
            if doc is None or doc["group"] != group["AutoScalingGroupName"]:
                raise AsgValidationError(
                    f"The instance {iid} is not part of Auto Scaling group "
                    f"{group['AutoScalingGroupName']}.")
            docs.append(doc)
        with self.store.batch():
            for doc in docs:
                doc["ProtectedFromScaleIn"] = bool(req["ProtectedFromScaleIn"])
                self.save_instance(doc)
        self.poke()
        return {}

    def terminate_instance_in_auto_scaling_group(self, ctx: RequestContext,
                                                 req: dict[str, Any]) -> dict[str, Any]:
        doc = self.instance(ctx, req["InstanceId"])
        group = self.group(ctx, doc["group"])
        iid = doc["InstanceId"]
        if doc["LifecycleState"] in (TERMINATING, TERMINATED):
            act = self.store.get(names.ACTIVITIES, doc.get("activity") or "")
            if act is not None:
                return {"Activity": activity_view(act)}
            raise instance_not_found(iid)
        live = [i for i in self.group_instances(group)
                if i["LifecycleState"] not in (TERMINATING, TERMINATED)]
        now = stamp(self.clock.now())
        cause = f"At {now} instance {iid} was taken out of service in response to a user request"
        if req["ShouldDecrementDesiredCapacity"] and group.get("Status") != DELETING:
            desired = int(group["DesiredCapacity"])
            if desired - 1 < int(group["MinSize"]):
                raise AsgValidationError(
                    f"Currently, desiredCapacity ({desired}) is at its minimum "
                    f"({group['MinSize']}), can not decrement below minimum.")
            group["DesiredCapacity"] = desired - 1
            cause += f", shrinking the capacity from {len(live)} to {len(live) - 1}."
            group.pop("_cause", None)
        else:
            cause += "."
        act = self.start_activity(group, f"Terminating EC2 instance: {iid}", cause,
                                  {"Availability Zone": doc["AvailabilityZone"]})
        doc.update(LifecycleState=TERMINATING, activity=act["_key"], phase="drain",
                   phaseAt=self.clock.now())
        with self.store.batch():
            self.save_group(group)
            self.save_instance(doc)
        self.poke()
        return {"Activity": activity_view(act)}

    def describe_scaling_activities(self, ctx: RequestContext, req: dict[str, Any]
                                    ) -> dict[str, Any]:
        size = page_size(req)
        prefix = names.ctx_scope(ctx)
        group_name = req.get("AutoScalingGroupName")
        if group_name:
            group_name = names.name_from(group_name, "autoScalingGroup")
            if (not req.get("IncludeDeletedGroups")
                    and self.store.get(names.GROUPS, names.key(ctx, group_name)) is None):
                return {"Activities": []}
        ids = set(req.get("ActivityIds") or [])
        acts = [a for _, a in self.store.scan(
            names.ACTIVITIES, prefix + (f"{group_name}/" if group_name else ""))]
        if ids:
            acts = [a for a in acts if a["ActivityId"] in ids]
        acts.sort(key=lambda a: (-float(a["StartTime"]), a["_key"]))
        start = 0
        token = req.get("NextToken")
        if token:
            try:
                marker = names.decode_token(token, prefix)
            except ValueError:
                raise InvalidNextToken("The token is invalid.") from None
            keys = [a["_key"] for a in acts]
            if marker not in keys:
                raise InvalidNextToken("The token is invalid.")
            start = keys.index(marker) + 1
        page = acts[start:start + size]
        result: dict[str, Any] = {"Activities": [activity_view(a) for a in page]}
        if start + size < len(acts):
            result["NextToken"] = names.encode_token(page[-1]["_key"])
        return result
