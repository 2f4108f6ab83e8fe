"""Secrets Manager: listing secrets and versions, staging labels, tags, resource
policies and random passwords."""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.secrets import versions as ver
from cargobay.services.secrets.secret_filters import matches
from cargobay.services.secrets.secret_paging import page
from cargobay.services.secrets.sm_base import DEFAULT_KEY, SmBase, merge_tags
from cargobay.services.secrets.sm_errors import (
    InvalidParameterException,
    MalformedPolicyDocumentException,
)

Doc = dict[str, Any]

_SORT_FIELDS = {
    "created-date": "created",
    "last-accessed-date": "accessed",
    "last-changed-date": "changed",
    "name": "name",
}
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _sort_key(field: str) -> Any:
    def key(doc: Doc) -> tuple[Any, ...]:
        value = doc.get(field)
        if field == "name":
            return (value, 0.0)
        return (value if value is not None else -1.0, doc["created"], doc["name"])

    return key


def _policy(text: str) -> Any:
    try:
        policy = json.loads(text)
    except ValueError:
        raise MalformedPolicyDocumentException(
            "This resource policy contains a syntax error."
        ) from None
    if not isinstance(policy, dict) or "Statement" not in policy:
        raise MalformedPolicyDocumentException(
            "This resource policy contains an unsupported element or a syntax error."
        )
    return policy


class SecretMetaOps(SmBase):
    def list_secrets(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        include_deleted = bool(req.get("IncludePlannedDeletion"))
        filters = req.get("Filters") or []
        found = [
            d for d in self.secrets.scan(ctx.account_id, ctx.region, self.now())
            if (include_deleted or d.get("deleted") is None) and matches(d, filters, ctx.region)
        ]
        field = _SORT_FIELDS[req.get("SortBy") or "created-date"]
        found.sort(key=_sort_key(field), reverse=(req.get("SortOrder") or "desc") == "desc")
        chosen, token = page(found, req.get("NextToken"), req.get("MaxResults"), 100)
        entries = [
            {**self.metadata(d), "SecretVersionsToStages": ver.stages_map(d)} for d in chosen
        ]
        return {"SecretList": entries, "NextToken": token}

    def list_secret_version_ids(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        everything = bool(req.get("IncludeDeprecated"))
        key_id = doc.get("kms_key_id") or DEFAULT_KEY
        listed = [
            {
                "VersionId": vid,
                "VersionStages": list(v["stages"]),
                "LastAccessedDate": v.get("accessed"),
                "CreatedDate": v["created"],
                "KmsKeyIds": [key_id],
            }
            for vid, v in ver.ordered(doc)
            if everything or v["stages"]
        ]
        chosen, token = page(listed, req.get("NextToken"), req.get("MaxResults"), 100)
        return {**self.ident(doc), "Versions": chosen, "NextToken": token}

    def update_secret_version_stage(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self.live_secret(ctx, req["SecretId"])
        ver.move_stage(doc, req["VersionStage"], req.get("RemoveFromVersionId"),
                       req.get("MoveToVersionId"))
        doc["changed"] = self.now()
        self.save(ctx, doc)
        return self.ident(doc)

    def tag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        doc["tags"] = merge_tags(doc.get("tags", []), req["Tags"])
        doc["changed"] = self.now()
        self.save(ctx, doc)
        return {}

    def untag_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        drop = set(req["TagKeys"])
        doc["tags"] = [t for t in doc.get("tags", []) if t["Key"] not in drop]
        doc["changed"] = self.now()
        self.save(ctx, doc)
        return {}

    def put_resource_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        _policy(req["ResourcePolicy"])
        doc["policy"] = req["ResourcePolicy"]
        doc["changed"] = self.now()
        self.save(ctx, doc)
        return self.ident(doc)

    def get_resource_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        return {**self.ident(doc), "ResourcePolicy": doc.get("policy")}

    def delete_resource_policy(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self.secret(ctx, req["SecretId"])
        if doc.pop("policy", None) is not None:
            doc["changed"] = self.now()
            self.save(ctx, doc)
        return self.ident(doc)

    def validate_resource_policy(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        if req.get("SecretId"):
            self.secret(ctx, req["SecretId"])
        try:
            _policy(req["ResourcePolicy"])
        except MalformedPolicyDocumentException as err:
            return {"PolicyValidationPassed": False, "ValidationErrors": [
                {"CheckName": "Syntax", "ErrorMessage": err.message}]}
        return {"PolicyValidationPassed": True, "ValidationErrors": []}

    def get_random_password(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        """GetRandomPassword: 32 characters by default, at least one of each included kind
        of character unless RequireEachIncludedType is false."""
        length = int(req.get("PasswordLength") or 32)
        exclude = set(req.get("ExcludeCharacters") or "")
        kinds = []
        for flag, chars in (("ExcludeLowercase", string.ascii_lowercase),
                            ("ExcludeUppercase", string.ascii_uppercase),
                            ("ExcludeNumbers", string.digits),
                            ("ExcludePunctuation", PUNCTUATION)):
            if not req.get(flag):
                kinds.append("".join(c for c in chars if c not in exclude))
        if req.get("IncludeSpace") and " " not in exclude:
            kinds.append(" ")
        kinds = [k for k in kinds if k]
        require = req.get("RequireEachIncludedType", True)
        if not kinds or (require and length < len(kinds)):
            raise InvalidParameterException(
                "Password length is too short based on the required types."
            )
        pool = "".join(kinds)
        picked: list[str] = [secrets.choice(k) for k in kinds] if require else []
        picked += [secrets.choice(pool) for _ in range(length - len(picked))]
        secrets.SystemRandom().shuffle(picked)
        return {"RandomPassword": "".join(picked)}
