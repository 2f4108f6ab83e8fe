"""The reconcile loop: each pass brings every group to its desired capacity.

On the app clock, every ``CARGOBAY_ASG_INTERVAL`` seconds (default 1) or at once when an
API call changed something:

- **Pending → InService** once the instance's agent has registered a container
  instance with its ``ec2InstanceId`` in the cluster of its user data (the launch
  activity then ends Successful); an agent that exits first fails the launch and the
  instance is terminated (and replaced).  One that cannot register (say, its cluster
  does not exist) stays Pending, retrying, as the ECS agent does.
- **health**: an InService instance whose agent process is gone becomes Unhealthy and
  is terminated (then replaced), as an EC2 health check does for a stopped instance.
- **capacity**: fewer live (not Terminating) instances than desired → launch the
  difference, in the zones with fewest instances; more → terminate unprotected ones
  picked by termination.py.
- **Terminating**: the container instance is set DRAINING (ECS moves service tasks
  away); when it runs no task, or after ``CARGOBAY_ASG_DRAIN_TIMEOUT`` seconds (default
  300), the agent gets SIGTERM (it stops its tasks and reports them), SIGKILL after
  STOP_TIMEOUT real seconds (a thread waits on the process); then the container
  instance is deregistered (force) and the instance is Terminated: its record is
  removed and its activity ends Successful.
- a group being force-deleted is removed once it has no instance left.

Launch failures (a launch configuration or instance profile gone, an agent that exits
before it registers) end in a Failed activity and the group retries after RETRY_DELAY.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
from typing import Any

from cargobay.protocol.errors import AwsError
from cargobay.services.autoscaling import (
    instance_profiles,
    instance_types,
    names,
    termination,
    user_data,
    zones,
)
from cargobay.services.autoscaling.agent_processes import AgentProcesses
from cargobay.services.autoscaling.base import (
    FAILED,
    IN_SERVICE,
    PENDING,
    SUCCESSFUL,
    TERMINATING,
    Doc,
    group_key,
    instance_key,
    stamp,
)
from cargobay.services.autoscaling.instance_credentials import InstanceCredentials, path_for
from cargobay.services.autoscaling.instances import InstanceOps

log = logging.getLogger("cargobay.autoscaling")

#: real seconds an agent gets to stop after SIGTERM before SIGKILL (a real process: not
#: the app clock, which may be simulated and jump)
STOP_TIMEOUT = 15.0
RETRY_DELAY = 10.0


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


class ReconcileOps(InstanceOps):
    processes: AgentProcesses
    credentials: InstanceCredentials

    @property
    def interval(self) -> float:
        return _env_float("CARGOBAY_ASG_INTERVAL", 1.0)

    @property
    def drain_timeout(self) -> float:
        return _env_float("CARGOBAY_ASG_DRAIN_TIMEOUT", 300.0)

    def endpoint(self) -> str:
        cfg = self.app.config
        host = cfg.host if cfg.host not in ("0.0.0.0", "", "::") else "127.0.0.1"
        return f"http://{host}:{cfg.port}"

    async def ecs(self, inst: Doc, op: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """An ECS call in the instance's account and region; None if ECS refused it."""
        try:
            return await self.app.dispatcher.call(
                "ecs", op, params, region=inst["region"], account_id=inst["account"])
        except AwsError as err:
            log.debug("ecs %s for %s: %s", op, inst["InstanceId"], err)
            return None

    # -- one pass ----------------------------------------------------------------------
    async def reconcile(self) -> None:
        for _, group in list(self.all_groups()):
            try:
                await self.reconcile_group(group)
            except Exception:  # one bad group must not stop the others
                log.exception("reconciling group %s failed", group.get("AutoScalingGroupName"))

    async def reconcile_group(self, group: Doc) -> None:
        now = self.clock.now()
        for inst in self.group_instances(group):
            if inst["LifecycleState"] == PENDING:
                await self._check_pending(group, inst, now)
            elif inst["LifecycleState"] == IN_SERVICE:
                self._check_health(group, inst)
        for inst in self.group_instances(group):
            if inst["LifecycleState"] == TERMINATING:
                await self._terminate_step(group, inst, now)
        fresh = self.store.get(names.GROUPS, group_key(group))
        if fresh is None:
            return
        group = fresh
        insts = self.group_instances(group)
        live = [i for i in insts if i["LifecycleState"] != TERMINATING]
        desired = int(group["DesiredCapacity"])
        if len(live) < desired and now >= float(group.get("_retryAt", 0)):
            self._launch(group, live, desired - len(live))
        elif len(live) > desired:
            self._scale_in(group, live, len(live) - desired)
        elif group.get("_forceDelete") and not insts:
            self.delete_group(group)

    # -- launching ---------------------------------------------------------------------
    def _launch(self, group: Doc, live: list[Doc], count: int) -> None:
        lc = self.store.get(names.LAUNCH_CONFIGS, names.scope(group["_account"], group["_region"])
                            + group["LaunchConfigurationName"])
        before, after = len(live), len(live) + count
        cause = (f"At {stamp(self.clock.now())} an instance was started in response to a "
                 f"difference between desired and actual capacity, increasing the capacity "
                 f"from {before} to {after}.")
        if group.get("_cause"):
            cause = f"{group.pop('_cause')}  {cause}"
        problem = None
        role = None
        if lc is None:
            problem = (f"Launch configuration name not found - Launch configuration "
                       f"{group['LaunchConfigurationName']} not found")
        elif lc.get("IamInstanceProfile"):
            role = instance_profiles.role_arn(self.store, group["_account"],
                                              lc["IamInstanceProfile"])
            if role is None:
                problem = f"Invalid IamInstanceProfile: {lc['IamInstanceProfile']}"
        if problem is not None or lc is None:
            self.start_activity(group, "Launching a new EC2 instance.  Status Reason: "
                                + str(problem), cause, status=FAILED, message=problem)
            group["_retryAt"] = self.clock.now() + RETRY_DELAY
            self.save_group(group)
            return
        itype = instance_types.lookup(lc["InstanceType"]) or instance_types.TYPES[
            instance_types.DEFAULT_TYPE]
        placed = list(live)
        for _ in range(count):
            zone = zones.pick_zone(group["AvailabilityZones"], placed)
            iid = names.new_instance_id()
            details: Doc = {}
            subnet = zones.subnet_in(group.get("_subnets") or {}, zone)
            if subnet:
                details["Subnet ID"] = subnet
            details["Availability Zone"] = zone
            act = self.start_activity(group, f"Launching a new EC2 instance: {iid}", cause,
                                      details)
            inst: Doc = {
                "InstanceId": iid, "group": group["AutoScalingGroupName"],
                "account": group["_account"], "region": group["_region"],
                "InstanceType": itype.name, "AvailabilityZone": zone,
                "LifecycleState": PENDING, "HealthStatus": "Healthy",
                "LaunchConfigurationName": lc["LaunchConfigurationName"],
                "ImageId": lc.get("ImageId"),
                "ProtectedFromScaleIn": bool(group.get("NewInstancesProtectedFromScaleIn")),
                "launchedAt": self.clock.now(), "cluster": user_data.cluster_of(lc.get("UserData")),
                "cpu": itype.cpu_units, "memory": itype.memory_mib,
                "profile": lc.get("IamInstanceProfile"), "activity": act["_key"], "pid": None,
            }
            if role is not None:
                inst["token"] = secrets.token_urlsafe(24)
            self.save_instance(inst)
            self._spawn(inst)
            placed.append(inst)
        self.save_group(group)

    def _spawn(self, inst: Doc) -> None:
        env: dict[str, str] = {}
        if inst.get("token"):
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = self.endpoint() + path_for(
                inst["account"], inst["region"], inst["InstanceId"])
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = inst["token"]
        try:
            inst["pid"] = self.processes.launch(
                instance_id=inst["InstanceId"], endpoint=self.endpoint(),
                cluster=inst["cluster"], region=inst["region"],
                cpu=int(inst["cpu"]), memory=int(inst["memory"]),
                attributes={
                    "ecs.instance-type": inst["InstanceType"],
                    "ecs.availability-zone": inst["AvailabilityZone"],
                    "ecs.ami-id": inst.get("ImageId") or "ami-cargobay0000000",
                },
                env=env,
            )
        except OSError as err:
            log.warning("could not start the agent of %s: %s", inst["InstanceId"], err)
            inst["pid"] = None
        self.save_instance(inst)

    async def _check_pending(self, group: Doc, inst: Doc, now: float) -> None:
        iid = inst["InstanceId"]
        found = await self.ecs(inst, "ListContainerInstances", {
            "cluster": inst["cluster"], "filter": f"ec2InstanceId == {iid}"})
        arns = (found or {}).get("containerInstanceArns") or []
        fresh = self.store.get(names.INSTANCES, instance_key(inst))
        if fresh is None or fresh["LifecycleState"] != PENDING:
            return  # changed while ECS was asked (terminated by a user...)
        inst = fresh
        if arns:
            inst.update(LifecycleState=IN_SERVICE, containerInstanceArn=arns[0])
            self.save_instance(inst)
            self.finish_activity(inst.get("activity"))
            return
        if not self.processes.alive(inst.get("pid"), iid):
            reason = ("The instance's agent exited before it registered (see agent.log in "
                      "its data directory)")
            self.finish_activity(inst.get("activity"), FAILED, reason)
            fresh = self.store.get(names.GROUPS, group_key(group))
            if fresh is not None:  # an agent that cannot start: do not relaunch at once
                fresh["_retryAt"] = now + RETRY_DELAY
                self.save_group(fresh)
            self._begin_termination(group, inst, (
                f"At {stamp(now)} an instance was taken out of service in response to an EC2 "
                f"health check indicating it has been terminated or stopped."))

    def _check_health(self, group: Doc, inst: Doc) -> None:
        if self.processes.alive(inst.get("pid"), inst["InstanceId"]):
            return
        inst["HealthStatus"] = "Unhealthy"
        self._begin_termination(group, inst, (
            f"At {stamp(self.clock.now())} an instance was taken out of service in response "
            f"to an EC2 health check indicating it has been terminated or stopped."))

    # -- terminating -------------------------------------------------------------------
    def _scale_in(self, group: Doc, live: list[Doc], count: int) -> None:
        if group.get("_forceDelete"):
            picked = live[:count]
        else:
            picked = termination.choose(live, count, group.get("LaunchConfigurationName"),
                                        self.clock.now())
        if not picked:
            return
        cause = (f"At {stamp(self.clock.now())} an instance was taken out of service in "
                 f"response to a difference between desired and actual capacity, shrinking "
                 f"the capacity from {len(live)} to {len(live) - len(picked)}.")
        if group.get("_cause"):
            cause = f"{group.pop('_cause')}  {cause}"
            self.save_group(group)
        for inst in picked:
            self._begin_termination(group, inst, cause)

    def _begin_termination(self, group: Doc, inst: Doc, cause: str) -> None:
        act = self.start_activity(group, f"Terminating EC2 instance: {inst['InstanceId']}",
                                  cause, {"Availability Zone": inst["AvailabilityZone"]})
        inst.update(LifecycleState=TERMINATING, activity=act["_key"], phase="drain",
                    phaseAt=self.clock.now())
        self.save_instance(inst)

    async def _terminate_step(self, group: Doc, inst: Doc, now: float) -> None:
        await self._terminate_phases(inst, now)
        fresh = self.store.get(names.INSTANCES, instance_key(inst))
        if fresh is not None and inst.get("_gone") is None:
            # keep what an API call changed meanwhile (protection)
            inst["ProtectedFromScaleIn"] = fresh.get("ProtectedFromScaleIn", False)
            self.save_instance(inst)

    async def _terminate_phases(self, inst: Doc, now: float) -> None:
        iid, phase = inst["InstanceId"], inst.get("phase", "drain")
        arn = inst.get("containerInstanceArn")
        if phase == "drain":
            if arn:
                await self.ecs(inst, "UpdateContainerInstancesState", {
                    "cluster": inst["cluster"], "containerInstances": [arn],
                    "status": "DRAINING"})
                self.finish_activity(inst.get("activity"), "InProgress", progress=25)
            inst.update(phase="wait", phaseAt=now)
            phase = "wait"
        if phase == "wait":
            if arn and now - float(inst["phaseAt"]) < self.drain_timeout and (
                    self.processes.alive(inst.get("pid"), iid)):
                described = await self.ecs(inst, "DescribeContainerInstances", {
                    "cluster": inst["cluster"], "containerInstances": [arn]})
                found = (described or {}).get("containerInstances") or []
                busy = found and (int(found[0].get("runningTasksCount", 0))
                                  + int(found[0].get("pendingTasksCount", 0))) > 0
                if busy:
                    return
            self.processes.signal(inst.get("pid"), iid, signal.SIGTERM)
            pid = inst.get("pid")
            if pid:
                threading.Thread(target=self.processes.wait_gone, args=([int(pid)], STOP_TIMEOUT),
                                 daemon=True, name=f"asg-stop-{iid}").start()
            inst.update(phase="stop", phaseAt=now)
            phase = "stop"
            self.finish_activity(inst.get("activity"), "InProgress", progress=50)
        if phase == "stop":
            if self.processes.alive(inst.get("pid"), iid):
                return  # the stopper thread SIGKILLs it after STOP_TIMEOUT
            if arn:
                await self.ecs(inst, "DeregisterContainerInstance", {
                    "cluster": inst["cluster"], "containerInstance": arn, "force": True})
            self.store.delete(names.INSTANCES, instance_key(inst))
            inst["_gone"] = True
            self.finish_activity(inst.get("activity"), SUCCESSFUL)
            self.credentials.forget(iid)
            self.processes.forget(iid)
