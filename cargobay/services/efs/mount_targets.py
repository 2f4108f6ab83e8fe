"""CreateMountTarget, DescribeMountTargets, DeleteMountTarget and the mount target's
security groups.

There is no VPC here: a subnet is just a name (``subnet-…``), each subnet its own
Availability Zone (``<region>a``), so a file system has at most one mount target per
subnet (MountTargetConflict).  The IP address is the one given, which must be in
127.0.0.0/8, or one assigned from it; two mount targets never share one
(IpAddressInUse).
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.efs import names
from cargobay.services.efs.base import Doc, EfsBase, page
from cargobay.services.efs.errors import (
    BadRequest,
    EfsError,
    IncorrectFileSystemLifeCycleState,
    IpAddressInUse,
    MountTargetConflict,
    MountTargetNotFound,
)

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
#: EFS: 5 security groups per mount target
MAX_SECURITY_GROUPS = 5


class SecurityGroupLimitExceeded(EfsError):
    code = "SecurityGroupLimitExceeded"


class MountTargetOps(EfsBase):
    def mount_target(self, ctx: RequestContext, mt_id: str) -> Doc:
        doc = self.store.get(names.MOUNT_TARGETS, names.key(ctx, mt_id))
        if doc is None:
            raise MountTargetNotFound(mt_id)
        return doc

    def _address(self, ctx: RequestContext, wanted: str | None, used: set[str]) -> str:
        if wanted is not None:
            try:
                ip = ipaddress.ip_address(wanted)
            except ValueError:
                raise BadRequest(f"Invalid IpAddress '{wanted}'") from None
            if ip not in LOOPBACK:
                raise BadRequest(
                    f"IP address {wanted} is not within the subnet's range (127.0.0.0/8)"
                )
            if wanted in used:
                raise IpAddressInUse(f"IP address {wanted} is already in use")
            return wanted
        rng = random.Random()
        for _ in range(10_000):
            candidate = (
                f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 256)}.{rng.randrange(2, 255)}"
            )
            if candidate not in used:
                return candidate
        raise BadRequest("No free addresses in subnet")

    def create_mount_target(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        fs = self.file_system(ctx, req["FileSystemId"])
        fs_id = fs["FileSystemId"]
        if fs["LifeCycleState"] != "available":
            raise IncorrectFileSystemLifeCycleState(
                f"File system '{fs_id}' is in state {fs['LifeCycleState']}"
            )
        groups = list(req.get("SecurityGroups") or [])
        if len(groups) > MAX_SECURITY_GROUPS:
            raise SecurityGroupLimitExceeded(
                f"A mount target can have at most {MAX_SECURITY_GROUPS} security groups"
            )
        existing = self.scan(ctx, names.MOUNT_TARGETS)
        subnet = req["SubnetId"]
        if any(m["FileSystemId"] == fs_id and m["SubnetId"] == subnet for m in existing):
            raise MountTargetConflict(
                f"mount target already exists in this AZ for file system {fs_id}"
            )
        ip = self._address(ctx, req.get("IpAddress"), {m["IpAddress"] for m in existing})
        mt_id = names.new_id("fsmt")
        zone = fs.get("AvailabilityZoneName") or f"{ctx.region}a"
        doc: Doc = {
            "OwnerId": ctx.account_id,
            "MountTargetId": mt_id,
            "FileSystemId": fs_id,
            "SubnetId": subnet,
            "LifeCycleState": "available",
            "IpAddress": ip,
            "NetworkInterfaceId": names.new_id("eni"),
            "AvailabilityZoneId": f"{ctx.region[:3]}-az1",
            "AvailabilityZoneName": zone,
            "VpcId": "vpc-cargobay",
            "_securityGroups": groups or ["sg-default"],
        }
        fs["NumberOfMountTargets"] = int(fs.get("NumberOfMountTargets", 0)) + 1
        with self.store.batch():
            self.store.put(names.MOUNT_TARGETS, names.key(ctx, mt_id), doc)
            self.store.put(names.FILE_SYSTEMS, names.key(ctx, fs_id), fs)
        return _shown(doc) | {"LifeCycleState": "creating"}

    def describe_mount_targets(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        given = [k for k in ("FileSystemId", "MountTargetId", "AccessPointId") if req.get(k)]
        if len(given) != 1:
            raise BadRequest("Specify exactly one of FileSystemId, MountTargetId or AccessPointId")
        if req.get("MountTargetId"):
            docs = [self.mount_target(ctx, req["MountTargetId"])]
        else:
            if req.get("AccessPointId"):
                fs_id = self.access_point(ctx, req["AccessPointId"])["FileSystemId"]
            else:
                fs_id = self.file_system(ctx, req["FileSystemId"])["FileSystemId"]
            docs = [m for m in self.scan(ctx, names.MOUNT_TARGETS) if m["FileSystemId"] == fs_id]
        shown, nxt = page(docs, "MountTargetId", req.get("Marker"), req.get("MaxItems"))
        return {
            "MountTargets": [_shown(d) for d in shown],
            "Marker": req.get("Marker"),
            "NextMarker": nxt,
        }

    def delete_mount_target(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.mount_target(ctx, req["MountTargetId"])
        fs = self.store.get(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]))
        with self.store.batch():
            self.store.delete(names.MOUNT_TARGETS, names.key(ctx, doc["MountTargetId"]))
            if fs is not None:
                fs["NumberOfMountTargets"] = max(0, int(fs.get("NumberOfMountTargets", 1)) - 1)
                self.store.put(names.FILE_SYSTEMS, names.key(ctx, fs["FileSystemId"]), fs)
        return {}

    def describe_mount_target_security_groups(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.mount_target(ctx, req["MountTargetId"])
        return {"SecurityGroups": list(doc.get("_securityGroups") or [])}

    def modify_mount_target_security_groups(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.mount_target(ctx, req["MountTargetId"])
        groups = list(req.get("SecurityGroups") or [])
        if len(groups) > MAX_SECURITY_GROUPS:
            raise SecurityGroupLimitExceeded(
                f"A mount target can have at most {MAX_SECURITY_GROUPS} security groups"
            )
        doc["_securityGroups"] = groups
        self.store.put(names.MOUNT_TARGETS, names.key(ctx, doc["MountTargetId"]), doc)
        return {}


def _shown(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if not k.startswith("_")}
