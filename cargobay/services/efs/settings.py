"""A file system's lifecycle configuration, backup policy and replication overwrite
protection, and the account's resource id preference.

They are stored and shown; nothing moves between storage classes and nothing is
backed up (docs/differences.md).  A file system created with ``Backup: true`` has the
backup policy ENABLED; one that never had a policy answers PolicyNotFound.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.efs import names
from cargobay.services.efs.base import EfsBase
from cargobay.services.efs.errors import BadRequest, PolicyNotFound

PREFERENCES = "efs.preferences"


class SettingsOps(EfsBase):
    def put_lifecycle_configuration(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        policies = list(req["LifecyclePolicies"])
        kinds: list[str] = []
        for p in policies:
            given = [k for k, v in p.items() if v is not None]
            if len(given) != 1:
                raise BadRequest("Each lifecycle policy must specify exactly one transition")
            kinds += given
        if len(kinds) != len(set(kinds)):
            raise BadRequest("A lifecycle configuration can have one policy of each kind")
        if "TransitionToArchive" in kinds and doc["ThroughputMode"] != "elastic":
            raise BadRequest("TransitionToArchive needs a file system in elastic throughput mode")
        doc["_lifecycle"] = policies
        self.store.put(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]), doc)
        return {"LifecyclePolicies": policies}

    def describe_lifecycle_configuration(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        return {"LifecyclePolicies": list(doc.get("_lifecycle") or [])}

    def put_backup_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        status = req["BackupPolicy"]["Status"]
        if status not in ("ENABLED", "DISABLED"):
            raise BadRequest("BackupPolicy Status must be ENABLED or DISABLED")
        doc["_backup"] = status
        self.store.put(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]), doc)
        return {"BackupPolicy": {"Status": status}}

    def describe_backup_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        if not doc.get("_backup"):
            raise PolicyNotFound(
                f"File system '{doc['FileSystemId']}' does not have a backup policy."
            )
        return {"BackupPolicy": {"Status": doc["_backup"]}}

    def update_file_system_protection(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.file_system(ctx, req["FileSystemId"])
        value = req.get("ReplicationOverwriteProtection")
        if value is not None:
            if value == "REPLICATING":
                raise BadRequest("ReplicationOverwriteProtection cannot be set to REPLICATING")
            doc["FileSystemProtection"] = {"ReplicationOverwriteProtection": value}
            self.store.put(names.FILE_SYSTEMS, names.key(ctx, doc["FileSystemId"]), doc)
        return dict(doc.get("FileSystemProtection") or {})

    def _preference(self, ctx: RequestContext) -> dict[str, Any]:
        doc = self.store.get(PREFERENCES, names.key(ctx, "resource-id"))
        kind = doc["ResourceIdType"] if doc else "LONG_ID"
        return {"ResourceIdType": kind, "Resources": ["FILE_SYSTEM", "MOUNT_TARGET"]}

    def describe_account_preferences(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        return {"ResourceIdPreference": self._preference(ctx)}

    def put_account_preferences(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        self.store.put(
            PREFERENCES, names.key(ctx, "resource-id"), {"ResourceIdType": req["ResourceIdType"]}
        )
        return {"ResourceIdPreference": self._preference(ctx)}
