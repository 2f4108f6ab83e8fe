"""CreateFileSystem, DescribeFileSystems, DeleteFileSystem, UpdateFileSystem and the
file system policy (Put/Describe/DeleteFileSystemPolicy).

- CreationToken makes creation idempotent: a second CreateFileSystem with the same
  token answers FileSystemAlreadyExists (409) naming the existing file system.
- The file system's directory is created at once; CreateFileSystem answers
  LifeCycleState ``creating`` and every later Describe shows ``available``.
- DeleteFileSystem is refused (FileSystemInUse) while mount targets or access points
  exist; the directory and its files are removed with it.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import orjson

from cargobay.iam.errors import MalformedPolicyDocument
from cargobay.iam.policy_document import parse_policy
from cargobay.protocol.base import RequestContext
from cargobay.services.efs import names
from cargobay.services.efs.base import Doc, EfsBase, page
from cargobay.services.efs.errors import (
    BadRequest,
    FileSystemAlreadyExists,
    FileSystemInUse,
    InvalidPolicyException,
    PolicyNotFound,
)
from cargobay.services.efs.tags import merged, name_of

#: how many entries DescribeFileSystems' SizeInBytes reads at most per file system
SIZE_SCAN_LIMIT = 10_000
POLICY_MAX = 20_000


def size_of(path: str) -> int:
    total, seen = 0, 0
    for top, _dirs, files in os.walk(path):
        for f in files:
            seen += 1
            if seen > SIZE_SCAN_LIMIT:
                return total
            try:
                total += os.lstat(os.path.join(top, f)).st_size
            except OSError:
                continue
    return total


class FileSystemOps(EfsBase):
    def create_file_system(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        token = req["CreationToken"]
        token_key = names.key(ctx, "fs", token)
        found = self.store.get(names.TOKENS, token_key)
        if found is not None:
            raise FileSystemAlreadyExists(token, found["id"])
        throughput = req.get("ThroughputMode", "bursting")
        provisioned = req.get("ProvisionedThroughputInMibps")
        if throughput == "provisioned" and provisioned is None:
            raise BadRequest(
                "ProvisionedThroughputInMibps is required when ThroughputMode is provisioned"
            )
        if throughput != "provisioned" and provisioned is not None:
            raise BadRequest(
                "ProvisionedThroughputInMibps can only be set when ThroughputMode is provisioned"
            )
        performance = req.get("PerformanceMode", "generalPurpose")
        if performance == "maxIO" and req.get("AvailabilityZoneName"):
            raise BadRequest(
                "One Zone file systems support only the generalPurpose performance mode"
            )
        encrypted = bool(req.get("Encrypted", False))
        if req.get("KmsKeyId") and not encrypted:
            raise BadRequest("KmsKeyId can only be specified when Encrypted is true")
        fs_id = names.new_id("fs")
        tags = merged([], req.get("Tags") or [])
        doc: Doc = {
            "OwnerId": ctx.account_id,
            "CreationToken": token,
            "FileSystemId": fs_id,
            "FileSystemArn": names.fs_arn(ctx, fs_id),
            "CreationTime": self.clock.now(),
            "LifeCycleState": "available",
            "NumberOfMountTargets": 0,
            "PerformanceMode": performance,
            "Encrypted": encrypted,
            "ThroughputMode": throughput,
            "Tags": tags,
            "FileSystemProtection": {"ReplicationOverwriteProtection": "ENABLED"},
        }
        if encrypted:
            doc["KmsKeyId"] = req.get("KmsKeyId") or (
                f"arn:aws:kms:{ctx.region}:{ctx.account_id}:alias/aws/elasticfilesystem"
            )
        if provisioned is not None:
            doc["ProvisionedThroughputInMibps"] = provisioned
        if req.get("AvailabilityZoneName"):
            doc["AvailabilityZoneName"] = req["AvailabilityZoneName"]
            doc["AvailabilityZoneId"] = f"{ctx.region[:3]}-az1"
        name = name_of(tags)
        if name is not None:
            doc["Name"] = name
        if req.get("Backup"):
            doc["_backup"] = "ENABLED"
        os.makedirs(self.fs_path(fs_id), exist_ok=True)
        with self.store.batch():
            self.store.put(names.FILE_SYSTEMS, names.key(ctx, fs_id), doc)
            self.store.put(names.TOKENS, token_key, {"id": fs_id})
        return self._describe(doc) | {"LifeCycleState": "creating"}

    def _describe(self, doc: Doc) -> Doc:
        out = {k: v for k, v in doc.items() if not k.startswith("_")}
        out["SizeInBytes"] = {
            "Value": size_of(self.fs_path(doc["FileSystemId"])),
            "Timestamp": self.clock.now(),
        }
        return out

    def describe_file_systems(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        if req.get("FileSystemId"):
            docs = [self.file_system(ctx, req["FileSystemId"])]
        else:
            docs = self.scan(ctx, names.FILE_SYSTEMS)
        if req.get("CreationToken") is not None:
            docs = [d for d in docs if d["CreationToken"] == req["CreationToken"]]
        shown, nxt = page(docs, "FileSystemId", req.get("Marker"), req.get("MaxItems"))
        return {
            "FileSystems": [self._describe(d) for d in shown],
            "Marker": req.get("Marker"),
            "NextMarker": nxt,
        }

    def delete_file_system(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        fs_id = doc["FileSystemId"]
        if any(m["FileSystemId"] == fs_id for m in self.scan(ctx, names.MOUNT_TARGETS)):
            raise FileSystemInUse(f"File system '{fs_id}' has mount targets and cannot be deleted.")
        if any(a["FileSystemId"] == fs_id for a in self.scan(ctx, names.ACCESS_POINTS)):
            raise FileSystemInUse(f"File system '{fs_id}' has access points and cannot be deleted.")
        with self.store.batch():
            self.store.delete(names.FILE_SYSTEMS, names.key(ctx, fs_id))
            self.store.delete(names.TOKENS, names.key(ctx, "fs", doc["CreationToken"]))
        shutil.rmtree(self.fs_path(fs_id), ignore_errors=True)
        return {}

    def update_file_system(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        mode = req.get("ThroughputMode", doc["ThroughputMode"])
        provisioned = req.get("ProvisionedThroughputInMibps")
        if mode == "provisioned":
            provisioned = provisioned or doc.get("ProvisionedThroughputInMibps")
            if provisioned is None:
                raise BadRequest(
                    "ProvisionedThroughputInMibps is required when ThroughputMode is provisioned"
                )
            doc["ProvisionedThroughputInMibps"] = provisioned
        elif provisioned is not None:
            raise BadRequest(
                "ProvisionedThroughputInMibps can only be set when ThroughputMode is provisioned"
            )
        else:
            doc.pop("ProvisionedThroughputInMibps", None)
        doc["ThroughputMode"] = mode
        self.store.put(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]), doc)
        return self._describe(doc)

    # -- the file system policy ----------------------------------------------------------

    def put_file_system_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        text = req["Policy"]
        if len(text) > POLICY_MAX:
            raise InvalidPolicyException(f"Policy size exceeds {POLICY_MAX} characters")
        try:
            policy = parse_policy(text, "resource")
        except MalformedPolicyDocument as e:
            raise InvalidPolicyException(f"Policy is invalid: {e.message}") from None
        for st in policy.statements:
            if st.principals is None and st.not_principals is None:
                raise InvalidPolicyException("Policy statement is missing a Principal")
        doc["_policy"] = orjson.dumps(orjson.loads(text)).decode()
        self.store.put(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]), doc)
        return {"FileSystemId": doc["FileSystemId"], "Policy": doc["_policy"]}

    def describe_file_system_policy(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        if not doc.get("_policy"):
            raise PolicyNotFound(f"File System '{doc['FileSystemId']}' does not have a policy.")
        return {"FileSystemId": doc["FileSystemId"], "Policy": doc["_policy"]}

    def delete_file_system_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        if doc.pop("_policy", None) is not None:
            self.store.put(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]), doc)
        return {}
