"""A Fargate task's network: its own 127.1.x.y address and the ENI attachment ECS shows.

Each Fargate task (networkMode ``awsvpc``) gets one address from 127.1.0.0/16, the way
a Fargate task gets a private IP from its subnet.  Addresses are allocated in the
store (table ``ecs.fargate_addresses``, key: the address, doc ``{"task": task key}``)
in the same batch that creates the task, and freed in the batch that stores it
STOPPED (fargate_index.observe): two live tasks never hold one address, whatever the
account or Region (the host's loopback is one network).  Allocation goes round from a
cursor (table ``ecs.fargate_address_cursor``), so a freed address is not handed out
again at once.

The address is shown as ECS shows a task ENI: an ``ElasticNetworkInterface``
attachment (status PRECREATED when the task is created, ATTACHED once its sandbox is
up, DETACHED when the task has stopped) whose details are subnetId,
networkInterfaceId, macAddress, privateDnsName and privateIPv4Address, and as every
container's ``networkInterfaces[].privateIpv4Address``.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

from cargobay.store import Store

Doc = dict[str, Any]

TABLE = "ecs.fargate_addresses"
CURSOR_TABLE = "ecs.fargate_address_cursor"
CURSOR_KEY = "cursor"
ENI = "ElasticNetworkInterface"
#: host numbers 1 … 65534 of 127.1.0.0/16 (the network and broadcast numbers unused)
SIZE = 65534


def address(n: int) -> str:
    """Host number ``n`` (1 … 65534) of 127.1.0.0/16."""
    return f"127.1.{n >> 8}.{n & 255}"


def allocate(store: Store, task_key: str) -> str | None:
    """A free address, now held by ``task_key``; None when every one is taken."""
    cursor = store.get(CURSOR_TABLE, CURSOR_KEY) or {"next": 1}
    n = int(cursor.get("next", 1))
    if not 1 <= n <= SIZE:
        n = 1
    for _ in range(SIZE):
        ip = address(n)
        n = n % SIZE + 1
        if store.get(TABLE, ip) is None:
            store.put(TABLE, ip, {"task": task_key})
            store.put(CURSOR_TABLE, CURSOR_KEY, {"next": n})
            return ip
    return None


def release(store: Store, ip: str, task_key: str) -> bool:
    """Free ``ip`` if ``task_key`` holds it; whether it did."""
    held = store.get(TABLE, ip)
    if held is None or held.get("task") != task_key:
        return False
    store.delete(TABLE, ip)
    return True


def holder(store: Store, ip: str) -> str | None:
    doc = store.get(TABLE, ip)
    return None if doc is None else str(doc.get("task"))


def dns_name(ip: str, region: str) -> str:
    host = "ip-" + ip.replace(".", "-")
    return f"{host}.ec2.internal" if region == "us-east-1" else f"{host}.{region}.compute.internal"


def mac_address(ip: str) -> str:
    """A locally administered unicast MAC derived from the address (stable per task)."""
    digest = hashlib.sha256(ip.encode()).digest()
    return "0a:" + ":".join(f"{b:02x}" for b in digest[:5])


def eni_attachment(ip: str, subnets: list[str], region: str, rng: random.Random) -> Doc:
    """The task's ENI attachment, PRECREATED."""
    return {
        "id": str(uuid.uuid4()),
        "type": ENI,
        "status": "PRECREATED",
        "details": [
            {"name": "subnetId", "value": rng.choice(subnets)},
            {"name": "networkInterfaceId", "value": f"eni-{rng.getrandbits(68):017x}"},
            {"name": "macAddress", "value": mac_address(ip)},
            {"name": "privateDnsName", "value": dns_name(ip, region)},
            {"name": "privateIPv4Address", "value": ip},
        ],
    }


def task_address(task: Doc) -> str | None:
    """The address of a task's ENI attachment, if it has one."""
    for a in task.get("attachments") or []:
        if a.get("type") == ENI:
            for d in a.get("details") or []:
                if d.get("name") == "privateIPv4Address":
                    return str(d.get("value"))
    return None


def set_eni_status(task: Doc, status: str) -> bool:
    """Move the task's ENI attachment to ``status`` (never back); whether it changed."""
    order = ("PRECREATED", "ATTACHED", "DETACHED")
    changed = False
    for a in task.get("attachments") or []:
        if a.get("type") != ENI or a.get("status") == status:
            continue
        current = a.get("status")
        if current in order and order.index(current) > order.index(status):
            continue
        a["status"] = status
        changed = True
    return changed


def attachment_changed(task: Doc, change: Doc) -> bool:
    """Apply one reported attachment state change (SubmitTaskStateChange
    ``attachments[]``: ``attachmentArn`` — the ARN or the bare id — and ``status``
    ATTACHED or DETACHED); whether anything changed."""
    ref = str(change.get("attachmentArn", "")).rsplit("/", 1)[-1]
    status = change.get("status")
    if status not in ("ATTACHED", "DETACHED"):
        return False
    for a in task.get("attachments") or []:
        if a.get("id") == ref and a.get("type") == ENI:
            order = ("PRECREATED", "ATTACHED", "DETACHED")
            current = a.get("status")
            if current == status or (
                current in order and order.index(current) > order.index(status)
            ):
                return False
            a["status"] = status
            return True
    return False
