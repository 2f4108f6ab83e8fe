"""What every Secrets Manager mixin uses: the secret lookup, tags and output shapes."""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.secrets import versions as ver
from cargobay.services.secrets.secret_store import SecretStore
from cargobay.services.secrets.sm_errors import (
    InvalidParameterException,
    MarkedForDeletion,
    ResourceNotFoundException,
)

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

MAX_TAGS = 50
DAY = 86400.0
#: what ListSecretVersionIds names as the key of a secret encrypted with the default key
DEFAULT_KEY = "DefaultEncryptionKey"


def day_of(t: float) -> float:
    """A LastAccessedDate: AWS keeps the date only (midnight UTC)."""
    return float(int(t // DAY) * DAY)


def new_version_id(token: str | None) -> str:
    """The VersionId of a new version: the ClientRequestToken (the SDKs always send
    one), else a fresh UUID."""
    return token if token else str(uuid.uuid4())


def check_value(req: dict[str, Any]) -> tuple[str | None, bytes | None]:
    string = req.get("SecretString")
    binary = req.get("SecretBinary")
    if string is not None and binary is not None:
        raise InvalidParameterException(
            "You can't specify both a binary secret value and a string secret value in the "
            "same secret."
        )
    return string, binary


def merge_tags(old: list[dict[str, str]], new: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Tags after adding ``new`` (a key given again takes the new value)."""
    tags = {t["Key"]: t["Value"] for t in old}
    for t in new:
        if t.get("Key") is None:
            raise InvalidParameterException("A tag needs a Key.")
        key = str(t["Key"])
        if key.lower().startswith("aws:"):
            raise InvalidParameterException(
                "Tag keys that begin with aws: are reserved for AWS use."
            )
        tags[key] = str(t.get("Value", ""))
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(f"A secret can have at most {MAX_TAGS} tags.")
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class SmBase:
    app: App
    clock: Clock
    secrets: SecretStore

    def now(self) -> float:
        return self.clock.now()

    def secret(self, ctx: RequestContext, secret_id: str) -> Doc:
        """The secret a SecretId names (ResourceNotFoundException if none)."""
        doc = self.secrets.find(secret_id, ctx.region, ctx.account_id, self.now())
        if doc is None:
            raise ResourceNotFoundException()
        return doc

    def live_secret(self, ctx: RequestContext, secret_id: str) -> Doc:
        """A secret not scheduled for deletion (InvalidRequestException if it is)."""
        doc = self.secret(ctx, secret_id)
        if doc.get("deleted") is not None:
            raise MarkedForDeletion()
        return doc

    def save(self, ctx: RequestContext, doc: Doc) -> None:
        self.secrets.put(ctx.account_id, ctx.region, doc)

    # -- output shapes -----------------------------------------------------------------

    @staticmethod
    def ident(doc: Doc) -> dict[str, Any]:
        return {"ARN": doc["arn"], "Name": doc["name"]}

    @staticmethod
    def metadata(doc: Doc) -> dict[str, Any]:
        """The fields DescribeSecret and ListSecrets share."""
        out: dict[str, Any] = {
            "ARN": doc["arn"],
            "Name": doc["name"],
            "Type": doc.get("type"),
            "Description": doc.get("description"),
            "KmsKeyId": doc.get("kms_key_id"),
            "LastChangedDate": doc["changed"],
            "LastAccessedDate": doc.get("accessed"),
            "DeletedDate": doc.get("deletion_date"),
            "Tags": list(doc.get("tags", [])),
            "OwningService": doc.get("owning_service"),
            "CreatedDate": doc["created"],
        }
        return out

    @staticmethod
    def value_entry(doc: Doc, vid: str, v: Doc) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ARN": doc["arn"],
            "Name": doc["name"],
            "VersionId": vid,
            "VersionStages": list(v["stages"]),
            "CreatedDate": v["created"],
        }
        if "string" in v:
            out["SecretString"] = v["string"]
        else:
            out["SecretBinary"] = base64.b64decode(v["binary"])
        return out

    def read_value(
        self, ctx: RequestContext, doc: Doc, version_id: str | None, stage: str | None
    ) -> dict[str, Any]:
        """GetSecretValue on a found secret: selects the version and records the access
        (to the day, so a read costs a write at most once a day)."""
        if doc.get("deleted") is not None:
            raise MarkedForDeletion()
        vid, v = ver.select(doc, version_id, stage)
        today = day_of(self.now())
        if doc.get("accessed") != today or v.get("accessed") != today:
            doc["accessed"] = today
            v["accessed"] = today
            self.save(ctx, doc)
        return self.value_entry(doc, vid, v)
