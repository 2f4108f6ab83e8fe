"""CreateAccessPoint, DescribeAccessPoints, DeleteAccessPoint.

An access point is an application's entry into a file system: its ``RootDirectory``
``Path`` is the root every mount through it sees (``..`` refused; created on first
mount with ``CreationInfo``'s owner and permissions when missing), and its
``PosixUser`` is the identity of every file operation through it.  ``ClientToken``
makes creation idempotent.  EFS allows 1,000 access points per file system.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.efs import names
from cargobay.services.efs.base import Doc, EfsBase, page
from cargobay.services.efs.errors import (
    AccessPointAlreadyExists,
    BadRequest,
    EfsError,
    IncorrectFileSystemLifeCycleState,
)
from cargobay.services.efs.paths import has_dotdot
from cargobay.services.efs.tags import merged, name_of

MAX_ACCESS_POINTS = 1000


class AccessPointLimitExceeded(EfsError):
    code = "AccessPointLimitExceeded"
    status = 403


class AccessPointOps(EfsBase):
    def create_access_point(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        fs = self.file_system(ctx, req["FileSystemId"])
        fs_id = fs["FileSystemId"]
        if fs["LifeCycleState"] != "available":
            raise IncorrectFileSystemLifeCycleState(
                f"File system '{fs_id}' is in state {fs['LifeCycleState']}"
            )
        token_key = names.key(ctx, "ap", req["ClientToken"])
        found = self.store.get(names.TOKENS, token_key)
        if found is not None:
            existing = self.store.get(names.ACCESS_POINTS, names.key(ctx, found["id"]))
            if existing is not None:
                if existing["FileSystemId"] != fs_id:
                    raise AccessPointAlreadyExists(
                        f"Access point with client token '{req['ClientToken']}' already exists",
                        existing["AccessPointId"],
                    )
                return existing
        root = dict(req.get("RootDirectory") or {})
        path = str(root.get("Path") or "/")
        if has_dotdot(path) or not path.startswith("/"):
            raise BadRequest(f"RootDirectory Path '{path}' is not a valid absolute path")
        root["Path"] = path
        posix = req.get("PosixUser")
        mine = [a for a in self.scan(ctx, names.ACCESS_POINTS) if a["FileSystemId"] == fs_id]
        if len(mine) >= MAX_ACCESS_POINTS:
            raise AccessPointLimitExceeded(
                f"You have reached the maximum number of access points ({MAX_ACCESS_POINTS}) "
                f"for file system {fs_id}"
            )
        ap_id = names.new_id("fsap")
        tags = merged([], req.get("Tags") or [])
        doc: Doc = {
            "ClientToken": req["ClientToken"],
            "Tags": tags,
            "AccessPointId": ap_id,
            "AccessPointArn": names.ap_arn(ctx, ap_id),
            "FileSystemId": fs_id,
            "RootDirectory": root,
            "OwnerId": ctx.account_id,
            "LifeCycleState": "available",
        }
        if posix is not None:
            doc["PosixUser"] = posix
        name = name_of(tags)
        if name is not None:
            doc["Name"] = name
        with self.store.batch():
            self.store.put(names.ACCESS_POINTS, names.key(ctx, ap_id), doc)
            self.store.put(names.TOKENS, token_key, {"id": ap_id})
        return doc | {"LifeCycleState": "creating"}

    def describe_access_points(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        if req.get("AccessPointId") and req.get("FileSystemId"):
            raise BadRequest("Specify either AccessPointId or FileSystemId, not both")
        if req.get("AccessPointId"):
            docs = [self.access_point(ctx, req["AccessPointId"])]
        else:
            docs = self.scan(ctx, names.ACCESS_POINTS)
            if req.get("FileSystemId"):
                fs_id = self.file_system(ctx, req["FileSystemId"])["FileSystemId"]
                docs = [d for d in docs if d["FileSystemId"] == fs_id]
        shown, nxt = page(docs, "AccessPointId", req.get("NextToken"), req.get("MaxResults"))
        return {"AccessPoints": shown, "NextToken": nxt}

    def delete_access_point(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.access_point(ctx, req["AccessPointId"])
        with self.store.batch():
            self.store.delete(names.ACCESS_POINTS, names.key(ctx, doc["AccessPointId"]))
            self.store.delete(names.TOKENS, names.key(ctx, "ap", doc["ClientToken"]))
        return {}
