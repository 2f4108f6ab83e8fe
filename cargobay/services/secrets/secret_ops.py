"""Secrets Manager: create, read, change, delete and restore secrets.

Idempotency (API reference, ClientRequestToken): a request whose token is the VersionId
of an existing version with the same value does nothing and succeeds; with a different
value it fails with ResourceExistsException. DeleteSecret schedules the deletion after
a recovery window of 7–30 days (default 30) on the app clock; until then the secret
refuses reads and writes with InvalidRequestException and RestoreSecret brings it back.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.secrets import versions as ver
from cargobay.services.secrets.secret_names import (
    parse_secret_id,
    plain_arn,
    random_suffix,
    secret_arn,
    valid_name,
)
from cargobay.services.secrets.sm_base import (
    DAY,
    SmBase,
    check_value,
    merge_tags,
    new_version_id,
)
from cargobay.services.secrets.sm_errors import (
    InvalidParameterException,
    InvalidRequestException,
    MarkedForDeletion,
    ResourceExistsException,
    ResourceNotFoundException,
)

Doc = dict[str, Any]

NO_MODIFY = "You can't modify an existing version, you can only create a new version."


def _existing_version(doc: Doc, token: str | None, value: Doc) -> bool:
    """True if ``token`` names a version with this value (a repeated request);
    ResourceExistsException if it names one with another value."""
    if not token or token not in doc["versions"]:
        return False
    if ver.same_value(doc["versions"][token], value):
        return True
    raise ResourceExistsException(NO_MODIFY)


class SecretOps(SmBase):
    def create_secret(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name: str = req["Name"]
        if not valid_name(name):
            raise InvalidParameterException(
                "Invalid name. Must be a valid name containing alphanumeric characters, or "
                "any of the following: -/_+=.@!"
            )
        string, binary = check_value(req)
        if req.get("AddReplicaRegions"):
            raise InvalidRequestException("cargobay does not replicate secrets to other Regions.")
        token = req.get("ClientRequestToken")
        now = self.now()
        existing = self.secrets.get(ctx.account_id, ctx.region, name, now)
        if existing is not None:
            if existing.get("deleted") is not None:
                raise InvalidRequestException(
                    "You can't create this secret because a secret with this name is already "
                    "scheduled for deletion."
                )
            has_value = string is not None or binary is not None
            same = has_value and token in existing["versions"] and ver.same_value(
                existing["versions"][token], ver.value_of(string, binary))
            if same:
                return {**self.ident(existing), "VersionId": token}
            raise ResourceExistsException(
                f"The operation failed because the secret {name} already exists."
            )
        doc: Doc = {
            "name": name,
            "arn": secret_arn(ctx.region, ctx.account_id, name, random_suffix()),
            "tags": merge_tags([], req.get("Tags") or []),
            "created": now,
            "changed": now,
            "seq": 0,
            "versions": {},
        }
        for member, field in (("Description", "description"), ("KmsKeyId", "kms_key_id"),
                              ("Type", "type")):
            if req.get(member) is not None:
                doc[field] = req[member]
        out = self.ident(doc)
        if string is not None or binary is not None:
            vid = new_version_id(token)
            ver.add_version(doc, vid, ver.value_of(string, binary), None, now)
            out["VersionId"] = vid
        self.save(ctx, doc)
        return out

    def get_secret_value(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        return self.read_value(ctx, doc, req.get("VersionId"), req.get("VersionStage"))

    def batch_get_secret_value(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        from cargobay.services.secrets.secret_filters import matches
        from cargobay.services.secrets.secret_paging import page

        ids = req.get("SecretIdList")
        filters = req.get("Filters")
        if ids and filters:
            raise InvalidParameterException(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both."
            )
        if not ids and not filters:
            raise InvalidParameterException("Either 'SecretIdList' or 'Filters' must be provided.")
        if req.get("MaxResults") is not None and not filters:
            raise InvalidParameterException(
                "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' "
                "is provided."
            )
        values: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        if ids:
            for secret_id in dict.fromkeys(ids):
                try:
                    doc = self.secret(ctx, secret_id)
                    values.append(self.read_value(ctx, doc, None, None))
                except (ResourceNotFoundException, InvalidRequestException) as err:
                    errors.append({"SecretId": secret_id, "ErrorCode": err.code,
                                   "Message": err.message})
            return {"SecretValues": values, "Errors": errors}
        found = [d for d in self.secrets.scan(ctx.account_id, ctx.region, self.now())
                 if d.get("deleted") is None and matches(d, filters or [], ctx.region)]
        chosen, token = page(found, req.get("NextToken"), req.get("MaxResults"), 20)
        for doc in chosen:
            try:
                values.append(self.read_value(ctx, doc, None, None))
            except ResourceNotFoundException as err:
                errors.append({"SecretId": doc["arn"], "ErrorCode": err.code,
                               "Message": err.message})
        return {"SecretValues": values, "Errors": errors, "NextToken": token}

    def put_secret_value(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        string, binary = check_value(req)
        if string is None and binary is None:
            raise InvalidParameterException("You must provide either SecretString or SecretBinary.")
        doc = self.live_secret(ctx, req["SecretId"])
        token = req.get("ClientRequestToken")
        value = ver.value_of(string, binary)
        if _existing_version(doc, token, value):
            assert token is not None
            return {**self.ident(doc), "VersionId": token,
                    "VersionStages": list(doc["versions"][token]["stages"])}
        vid = new_version_id(token)
        now = self.now()
        stages = ver.add_version(doc, vid, value, req.get("VersionStages"), now)
        doc["changed"] = now
        self.save(ctx, doc)
        return {**self.ident(doc), "VersionId": vid, "VersionStages": stages}

    def update_secret(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        string, binary = check_value(req)
        doc = self.live_secret(ctx, req["SecretId"])
        now = self.now()
        out = self.ident(doc)
        if string is not None or binary is not None:
            token = req.get("ClientRequestToken")
            value = ver.value_of(string, binary)
            if _existing_version(doc, token, value):
                return {**out, "VersionId": token}
            vid = new_version_id(token)
            ver.add_version(doc, vid, value, None, now)
            out["VersionId"] = vid
        for member, field in (("Description", "description"), ("KmsKeyId", "kms_key_id"),
                              ("Type", "type")):
            if req.get(member) is not None:
                doc[field] = req[member]
        doc["changed"] = now
        self.save(ctx, doc)
        return out

    def describe_secret(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        return {**self.metadata(doc), "VersionIdsToStages": ver.stages_map(doc)}

    def delete_secret(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        window = req.get("RecoveryWindowInDays")
        force = bool(req.get("ForceDeleteWithoutRecovery"))
        if window is not None and not 7 <= window <= 30:
            raise InvalidParameterException(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        if window is not None and force:
            raise InvalidParameterException(
                "You can't use ForceDeleteWithoutRecovery in conjunction with "
                "RecoveryWindowInDays."
            )
        now = self.now()
        doc = self.secrets.find(req["SecretId"], ctx.region, ctx.account_id, now)
        if doc is None:
            if not force:
                raise ResourceNotFoundException()
            # AWS: forcibly deleting a deleted or nonexistent secret is not an error
            return self._gone(ctx, req["SecretId"], now)
        if force:
            self.secrets.remove(ctx.account_id, ctx.region, doc["name"])
            return {**self.ident(doc), "DeletionDate": now}
        if doc.get("deleted") is not None:
            raise MarkedForDeletion()
        doc["deleted"] = now
        doc["deletion_date"] = now + (window or 30) * DAY
        doc["changed"] = now
        self.save(ctx, doc)
        return {**self.ident(doc), "DeletionDate": doc["deletion_date"]}

    @staticmethod
    def _gone(ctx: RequestContext, secret_id: str, now: float) -> dict[str, Any]:
        ref = parse_secret_id(secret_id, ctx.region, ctx.account_id)
        if ref is not None and ref.arn is not None:
            return {"ARN": ref.arn, "Name": ref.tail, "DeletionDate": now}
        return {"ARN": plain_arn(ctx.region, ctx.account_id, secret_id), "Name": secret_id,
                "DeletionDate": now}

    def restore_secret(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        if doc.get("deleted") is not None:
            doc.pop("deleted", None)
            doc.pop("deletion_date", None)
            doc["changed"] = self.now()
            self.save(ctx, doc)
        return self.ident(doc)
