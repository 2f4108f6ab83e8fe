"""A new Fargate task: no container instance, its own address, ECS's Fargate members.

The task document is the EC2 one (task_launch.new_task: containers, sizes, overrides,
group, startedBy…) without ``containerInstanceArn``, plus what DescribeTasks shows for
Fargate: launchType FARGATE, platformVersion 1.4.0, platformFamily Linux,
capacityProviderName FARGATE, ephemeralStorage, the ENI attachment and every
container's networkInterfaces (fargate_network).  ``_fargate`` keeps what the fleet
needs: the address, the attachment id, the architecture.

The lifecycle is the EC2 one (task_lifecycle.place: PROVISIONING, then PENDING until
the fleet reports); the caller stores it with task_writes.commit in the batch that
allocated the address.
"""

from __future__ import annotations

import random
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import fargate_network, placement, task_launch
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.fargate_rules import PLATFORM_FAMILY
from cargobay.services.ecs.task_lifecycle import place
from cargobay.store import Store

Doc = dict[str, Any]

CAPACITY_PROVIDER = "FARGATE"
NO_ADDRESS = "RESOURCE:ENI"


def new_task(
    store: Store,
    ctx: RequestContext,
    *,
    cluster: Doc,
    td: Doc,
    overrides: Doc,
    group: str,
    req: Doc,
    checked: Doc,
    now: float,
    rng: random.Random,
) -> Doc | None:
    """A placed (PENDING) Fargate task holding its address; None when no address is free."""
    task = task_launch.new_task(
        ctx,
        cluster=cluster,
        instance={"containerInstanceArn": "", "attributes": []},
        instance_key="",
        td=td,
        overrides=overrides,
        group=group,
        req=req,
        needs=placement.Needs(cpu=checked["cpu"], memory=checked["memory"]),
        now=now,
    )
    for member in ("containerInstanceArn", "_instanceId", "_instanceKey"):
        task.pop(member, None)
    key = tasks.key_of(task)
    ip = fargate_network.allocate(store, key)
    if ip is None:
        return None
    subnets = [str(s) for s in checked["vpc"]["subnets"]]
    eni = fargate_network.eni_attachment(ip, subnets, ctx.region, rng)
    task["attachments"] = [eni]
    task["attributes"] = [{"name": "ecs.cpu-architecture", "value": checked["cpuArchitecture"]}]
    task["availabilityZone"] = f"{ctx.region}a"
    task["launchType"] = "FARGATE"
    task["platformVersion"] = checked["platformVersion"]
    task["platformFamily"] = PLATFORM_FAMILY
    task["capacityProviderName"] = CAPACITY_PROVIDER
    task["ephemeralStorage"] = {"sizeInGiB": checked["ephemeralGiB"]}
    for c in task["containers"]:
        c["networkInterfaces"] = [{"attachmentId": eni["id"], "privateIpv4Address": ip}]
    task["_fargate"] = {
        "ip": ip,
        "attachmentId": eni["id"],
        "cpuArchitecture": checked["cpuArchitecture"],
    }
    place(task, now)
    return task
