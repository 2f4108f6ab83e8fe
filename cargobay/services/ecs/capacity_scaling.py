"""Managed scaling of Auto Scaling group capacity providers: once a minute, for each
ACTIVE cluster and each of its providers with managedScaling ENABLED:

1. N = the group's instances that are Pending or InService; M = N's instances running a
   non-daemon task plus the empty instances the provider's tasks waiting in PROVISIONING
   need (capacity_waiting.py), packed by the group's instance type per task size.
2. CapacityProviderReservation = M/N × 100 (capacity_math) goes to CloudWatch
   (namespace AWS/ECS/ManagedScaling, dimensions ClusterName and CapacityProviderName,
   unit Percent) through ``cloudwatch:PutMetricData``.
3. The provider's own target tracking on that metric (cargobay's Auto Scaling service
   refuses target-tracking policies, so it runs here rather than as a group policy
   with two alarms): a scale-out sets the group's desired capacity
   (``autoscaling:SetDesiredCapacity``) at once, within minimumScalingStepSize /
   maximumScalingStepSize and MaxSize; a scale-in waits for 15 minutes below the
   target, then terminates (``TerminateInstanceInAutoScalingGroup`` with
   ShouldDecrementDesiredCapacity) only InService instances that run no non-daemon
   task, are not protected from scale-in and are past instanceWarmupPeriod.
4. managedTerminationProtection ENABLED: instances running non-daemon tasks are
   protected from scale-in, idle ones unprotected (``SetInstanceProtection``).

``place_loop`` places the waiting tasks once a second as capacity arrives.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from cargobay.clock import wait_event
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.autoscaling import instance_types
from cargobay.services.autoscaling import names as asg_names
from cargobay.services.ecs import (
    capacity_launch,
    capacity_math,
    capacity_waiting,
    placement,
)
from cargobay.services.ecs import capacity_provider_store as cps
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import service_store as services

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.ecs.capacity")

Doc = dict[str, Any]

NAMESPACE = "AWS/ECS/ManagedScaling"
METRIC = "CapacityProviderReservation"
LIVE_STATES = ("Pending", "InService")
PLACE_PERIOD = 1.0
#: the longest the placer sleeps with no task waiting (a start wakes it at once)
PLACE_IDLE = 60.0


class CapacityScaler:
    def __init__(self, app: App, find_task_definition: Any) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self._find_td = find_task_definition
        #: (cluster key, provider) → consecutive minutes below the target
        self._low: dict[tuple[str, str], int] = {}

    def reset(self) -> None:
        self._low.clear()

    async def run(self) -> None:
        while True:
            await self.clock.sleep(capacity_math.PERIOD)
            try:
                await self.tick()
            except Exception:  # keep the loop alive; the next minute tries again
                log.exception("capacity provider scaling pass failed")

    async def place_loop(self) -> None:
        """Each second while tasks wait: waiting tasks onto the capacity that arrived
        (capacity_waiting); with none waiting, asleep until one starts to (or
        PLACE_IDLE passes: a safety net)."""
        passes = 0
        wake = asyncio.Event()
        capacity_waiting.listen(self.store, wake.set)
        try:
            while True:
                if self.store.count(capacity_waiting.TABLE) == 0:
                    wake.clear()
                    await wait_event(self.clock, wake, PLACE_IDLE)
                await self.clock.sleep(PLACE_PERIOD)
                passes += 1
                try:
                    capacity_waiting.place_waiting(
                        self.app, check_all=passes % capacity_waiting.FULL_EVERY == 0)
                except Exception:  # keep the loop alive; the next second tries again
                    log.exception("placing tasks waiting for capacity failed")
        finally:
            capacity_waiting.unlisten(self.store, wake.set)

    async def tick(self) -> None:
        for ckey, cluster in list(self.store.scan(clusters.TABLE, "")):
            if cluster["status"] != clusters.ACTIVE:
                continue
            for name in cluster.get("capacityProviders") or []:
                if capacity_launch.is_fargate(name):
                    continue
                try:
                    await self.scale(ckey, cluster, name)
                except AwsError as e:
                    log.warning("managed scaling of %s in %s: %s", name, ckey, e.message)

    async def scale(self, ckey: str, cluster: Doc, name: str) -> float | None:
        """One managed scaling evaluation; the reservation published (None: not managed)."""
        ctx = services.context_of(ckey + "/-")
        provider = self.store.get(cps.TABLE, cps.key(ctx, name))
        if provider is None:
            return None
        asg = provider["autoScalingGroupProvider"]
        ms = asg["managedScaling"]
        if ms["status"] != "ENABLED":
            return None
        gname = asg_names.name_from(asg["autoScalingGroupArn"], "autoScalingGroup")
        group = self.store.get(asg_names.GROUPS, asg_names.key(ctx, gname))
        if group is None:
            return None
        members = [i for _, i in self.store.scan(asg_names.INSTANCES, asg_names.ctx_scope(ctx))
                   if i["group"] == gname and i["LifecycleState"] in LIVE_STATES]
        n = len(members)
        daemons, demands = self._services(ctx, ckey, name)
        busy = {
            d.get("ec2InstanceId")
            for _, d in self.store.scan(instances.TABLE, ckey + "/")
            if d.get("capacityProviderName") == name
            and any(g not in daemons for g in placement.groups(d))
        }
        cpu, memory = self._instance_size(ctx, group, members)
        used = sum(1 for i in members if i["InstanceId"] in busy)
        m = used + capacity_math.instances_for(demands, cpu, memory)
        value = capacity_math.reservation(m, n)
        await self._publish(ctx, cluster["clusterName"], name, value)
        if asg.get("managedTerminationProtection") == "ENABLED":
            await self._protect(ctx, gname, members, busy)
        target = int(ms["targetCapacity"])
        out = capacity_math.scale_out_to(m, n, target, int(ms["minimumScalingStepSize"]),
                                         int(ms["maximumScalingStepSize"]),
                                         int(group["MaxSize"]))
        k = (ckey, name)
        if out is not None:
            self._low[k] = 0
            if out > int(group["DesiredCapacity"]):
                await self._call(ctx, "SetDesiredCapacity",
                                 {"AutoScalingGroupName": gname, "DesiredCapacity": out})
        elif value < target:
            self._low[k] = self._low.get(k, 0) + 1
            if self._low[k] >= capacity_math.SCALE_IN_MINUTES:
                keep = max(capacity_math.wanted(m, target), int(group["MinSize"]))
                await self._scale_in(ctx, gname, members, busy, n - keep,
                                     float(ms["instanceWarmupPeriod"]))
        else:
            self._low[k] = 0
        return value

    # -- parts ---------------------------------------------------------------------------

    def _services(self, ctx: RequestContext, ckey: str,
                  name: str) -> tuple[set[str], list[capacity_math.Demand]]:
        """The cluster's daemon task groups, and the provider's tasks waiting in
        PROVISIONING, grouped by what each needs."""
        daemons = {
            f"service:{svc['serviceName']}"
            for _, svc in self.store.scan(services.TABLE, ckey + "/")
            if svc.get("schedulingStrategy") == "DAEMON"
        }
        sizes: dict[tuple[int, int], int] = {}
        for task in capacity_waiting.waiting_count(self.store, ckey).get(name, []):
            needs = placement.Needs.from_doc(task["_needs"])
            sizes[(needs.cpu, needs.memory)] = sizes.get((needs.cpu, needs.memory), 0) + 1
        return daemons, [capacity_math.Demand(n, cpu, mem) for (cpu, mem), n in sizes.items()]

    def _instance_size(self, ctx: RequestContext, group: Doc,
                       members: list[Doc]) -> tuple[int, int]:
        if members:
            return int(members[0]["cpu"]), int(members[0]["memory"])
        lc = self.store.get(asg_names.LAUNCH_CONFIGS,
                            asg_names.key(ctx, str(group.get("LaunchConfigurationName"))))
        itype = instance_types.lookup(str((lc or {}).get("InstanceType")))
        if itype is None:
            itype = instance_types.lookup(instance_types.DEFAULT_TYPE)
        assert itype is not None
        return itype.cpu_units, itype.memory_mib

    async def _publish(self, ctx: RequestContext, cluster: str, provider: str,
                       value: float) -> None:
        await self.app.dispatcher.call("cloudwatch", "PutMetricData", {
            "Namespace": NAMESPACE,
            "MetricData": [{
                "MetricName": METRIC,
                "Dimensions": [{"Name": "ClusterName", "Value": cluster},
                               {"Name": "CapacityProviderName", "Value": provider}],
                "Timestamp": self.clock.now(),
                "Value": value,
                "Unit": "Percent",
            }],
        }, region=ctx.region, account_id=ctx.account_id)

    async def _protect(self, ctx: RequestContext, gname: str, members: list[Doc],
                       busy: set[Any]) -> None:
        for want in (True, False):
            ids = [i["InstanceId"] for i in members
                   if i["LifecycleState"] == "InService"
                   and (i["InstanceId"] in busy) == want
                   and bool(i.get("ProtectedFromScaleIn")) != want]
            if ids:
                await self._call(ctx, "SetInstanceProtection", {
                    "AutoScalingGroupName": gname, "InstanceIds": ids,
                    "ProtectedFromScaleIn": want})
                for i in members:
                    if i["InstanceId"] in ids:
                        i["ProtectedFromScaleIn"] = want

    async def _scale_in(self, ctx: RequestContext, gname: str, members: list[Doc],
                        busy: set[Any], excess: int, warmup: float) -> None:
        now = self.clock.now()
        idle = [i for i in members
                if i["LifecycleState"] == "InService" and i["InstanceId"] not in busy
                and not i.get("ProtectedFromScaleIn")
                and float(i.get("launchedAt", 0.0)) + warmup <= now]
        for inst in idle[:max(0, excess)]:
            await self._call(ctx, "TerminateInstanceInAutoScalingGroup", {
                "InstanceId": inst["InstanceId"], "ShouldDecrementDesiredCapacity": True})

    async def _call(self, ctx: RequestContext, op: str, params: Doc) -> None:
        await self.app.dispatcher.call("autoscaling", op, params, region=ctx.region,
                                       account_id=ctx.account_id)
