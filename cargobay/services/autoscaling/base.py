"""What every Auto Scaling mixin shares: the store, lookups, and activity records."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import names
from cargobay.services.autoscaling.errors import group_not_found
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

#: lifecycle states (EC2 Auto Scaling User Guide, "Instance lifecycle")
PENDING = "Pending"
IN_SERVICE = "InService"
TERMINATING = "Terminating"
TERMINATED = "Terminated"

#: activity status codes
IN_PROGRESS = "InProgress"
SUCCESSFUL = "Successful"
FAILED = "Failed"


def stamp(when: float) -> str:
    """``2020-10-30T19:35:51Z``: how activity causes write times."""
    return datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def group_key(doc: Doc) -> str:
    return names.scope(doc["_account"], doc["_region"]) + str(doc["AutoScalingGroupName"])


def instance_key(doc: Doc) -> str:
    return names.scope(doc["account"], doc["region"]) + str(doc["InstanceId"])


class AsgBase:
    app: App
    store: Store
    clock: Clock
    #: set to run the reconcile loop at once (an API call changed what is wanted)
    wake: asyncio.Event

    def poke(self) -> None:
        self.wake.set()

    # -- groups ------------------------------------------------------------------------
    def group(self, ctx: RequestContext, name_or_arn: str) -> Doc:
        name = names.name_from(name_or_arn, "autoScalingGroup")
        doc = self.store.get(names.GROUPS, names.key(ctx, name))
        if doc is None:
            raise group_not_found(name)
        return doc

    def save_group(self, doc: Doc) -> None:
        self.store.put(names.GROUPS, group_key(doc), doc)

    def delete_group(self, doc: Doc) -> None:
        """Remove a group and its scaling policies."""
        with self.store.batch():
            for key, policy in list(self.store.scan(names.POLICIES, group_key(doc) + "/")):
                self.store.delete(names.POLICIES, key)
                self.store.delete(names.POLICY_ARNS, policy["PolicyARN"])
            self.store.delete(names.GROUPS, group_key(doc))

    def all_groups(self) -> Iterator[tuple[str, Doc]]:
        return self.store.scan(names.GROUPS, "")

    # -- instances ---------------------------------------------------------------------
    def group_instances(self, group: Doc) -> list[Doc]:
        prefix = names.scope(group["_account"], group["_region"])
        name = group["AutoScalingGroupName"]
        return [d for _, d in self.store.scan(names.INSTANCES, prefix) if d["group"] == name]

    def save_instance(self, doc: Doc) -> None:
        self.store.put(names.INSTANCES, instance_key(doc), doc)

    # -- activities --------------------------------------------------------------------
    def start_activity(
        self, group: Doc, description: str, cause: str, details: Doc | None = None,
        *, status: str = IN_PROGRESS, message: str | None = None,
    ) -> Doc:
        now = self.clock.now()
        act: Doc = {
            "ActivityId": str(uuid.uuid4()),
            "AutoScalingGroupName": group["AutoScalingGroupName"],
            "AutoScalingGroupARN": group["AutoScalingGroupARN"],
            "Description": description,
            "Cause": cause[:1023],
            "StartTime": now,
            "StatusCode": status,
            "Progress": 0 if status == IN_PROGRESS else 100,
            "Details": json.dumps(details or {}, separators=(",", ":")),
            "_key": "",
        }
        if status != IN_PROGRESS:
            act["EndTime"] = now
        if message:
            act["StatusMessage"] = message[:255]
        act["_key"] = (names.scope(group["_account"], group["_region"])
                       + f"{group['AutoScalingGroupName']}/{int(now * 1000):015d}/"
                       + act["ActivityId"])
        self.store.put(names.ACTIVITIES, act["_key"], act)
        return act

    def finish_activity(self, act_key: str | None, status: str = SUCCESSFUL,
                        message: str | None = None, progress: int = 100) -> None:
        if not act_key:
            return
        act = self.store.get(names.ACTIVITIES, act_key)
        if act is None:
            return
        act["Progress"] = progress
        if status != IN_PROGRESS:
            act["StatusCode"] = status
            act["EndTime"] = self.clock.now()
        if message:
            act["StatusMessage"] = message[:255]
        self.store.put(names.ACTIVITIES, act_key, act)

    def add_cause(self, group: Doc, text: str) -> None:
        """Remember why the group's size is changing: the next launch or termination
        activity's Cause starts with it (as AWS chains "At T a user request … At T2 an
        instance was started …")."""
        group["_cause"] = f"At {stamp(self.clock.now())} {text}"
