"""What every IAM operation group shares: the store, names, checks, paging, rendering.

IAM answers policy documents URL-encoded (RFC 3986), as the IAM API does; botocore
decodes them back into dicts.  Lists page with ``Marker``/``MaxItems`` (default 100,
at most 1000) and answer ``IsTruncated`` and ``Marker``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cargobay.iam import iam_store
from cargobay.iam.errors import InvalidInput, LimitExceeded, MalformedPolicyDocument, NoSuchEntity
from cargobay.iam.names import name_key
from cargobay.iam.policy_document import Kind, aws_principal_arns, parse_policy
from cargobay.protocol.base import RequestContext
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

#: IAM quotas (IAM User Guide, "IAM and AWS STS quotas")
MAX_TAGS = 50
INLINE_SIZE_ROLE = 10_240
INLINE_SIZE_USER = 2_048
MANAGED_POLICY_SIZE = 6_144
TRUST_POLICY_SIZE = 2_048
MANAGED_PER_ENTITY = 10
ACCESS_KEYS_PER_USER = 2
VERSIONS_PER_POLICY = 5


def encode_document(text: str) -> str:
    return quote(text, safe="")


def policy_size(text: str) -> int:
    """IAM counts a policy's characters without white space."""
    return sum(1 for ch in text if not ch.isspace())


def tags_of(req: Doc) -> list[Doc]:
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in req.get("Tags") or []]


def merge_tags(current: list[Doc], new: list[Doc], quota_name: str) -> list[Doc]:
    merged = {t["Key"]: t["Value"] for t in current}
    for t in new:
        merged[t["Key"]] = t.get("Value", "")
    if len(merged) > MAX_TAGS:
        raise LimitExceeded(f"Cannot exceed quota for {quota_name}: {MAX_TAGS}.")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def add_tags(doc: Doc, req: Doc, quota_name: str) -> Doc:
    """Tag<Entity>: ``doc`` with the request's Tags merged into its own (a key it has
    takes the new value; more than MAX_TAGS is LimitExceeded ``quota_name``)."""
    doc["Tags"] = merge_tags(doc.get("Tags", []), tags_of(req), quota_name)
    return doc


def remove_tags(doc: Doc, req: Doc) -> Doc:
    """Untag<Entity>: ``doc`` without the tags of the request's TagKeys."""
    drop = set(req["TagKeys"])
    doc["Tags"] = [t for t in doc.get("Tags", []) if t["Key"] not in drop]
    return doc


def tags_page(doc: Doc, req: Doc) -> Doc:
    """List<Entity>Tags: ``doc``'s tags by key, one page after ``Marker``."""
    tags = sorted(doc.get("Tags", []), key=lambda t: str(t["Key"]))
    chunk, extra = page(tags, req, lambda t: str(t["Key"]))
    return {"Tags": chunk, **extra}


def page(
    items: list[Any], req: Doc, key: Callable[[Any], str]
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` (sorted by ``key``) after ``Marker``; the paging members."""
    limit = int(req.get("MaxItems") or 100)
    marker = req.get("Marker")
    if marker:
        items = [i for i in items if key(i) > marker]
    chunk = items[:limit]
    truncated = len(items) > limit
    extra: dict[str, Any] = {"IsTruncated": truncated}
    if truncated:
        extra["Marker"] = key(chunk[-1])
    return chunk, extra


class IamBase:
    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def store(self) -> Store:
        return self.app.store

    def now(self) -> float:
        return self.app.clock.now()

    @staticmethod
    def key(ctx: RequestContext, name: str) -> str:
        return name_key(ctx.account_id, name)

    # -- entities --------------------------------------------------------------------

    def role(self, ctx: RequestContext, name: str) -> Doc:
        doc = iam_store.get_role(self.store, ctx.account_id, name)
        if doc is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        return doc

    def user(self, ctx: RequestContext, name: str) -> Doc:
        doc = iam_store.get_user(self.store, ctx.account_id, name)
        if doc is None:
            raise NoSuchEntity(f"The user with name {name} cannot be found.")
        return doc

    def scan(self, table: str, ctx: RequestContext) -> Iterable[Doc]:
        for _, doc in self.store.scan(table, f"{ctx.account_id}/"):
            yield doc

    # -- policy documents ------------------------------------------------------------

    def check_document(self, ctx: RequestContext, text: str, kind: Kind) -> None:
        """Parse ``text`` as a ``kind`` policy (MalformedPolicyDocument when it is not);
        a trust policy's IAM principals of this account must exist."""
        policy = parse_policy(text, kind)
        if kind != "trust":
            return
        for arn in aws_principal_arns(policy):
            parts = arn.split(":", 5)
            if len(parts) != 6 or parts[4] != ctx.account_id or parts[2] != "iam":
                continue
            kind_name = parts[5]
            if kind_name == "root":
                continue
            entity, _, rest = kind_name.partition("/")
            name = rest.rsplit("/", 1)[-1]
            table = {"user": iam_store.USERS, "role": iam_store.ROLES}.get(entity)
            doc = self.store.get(table, self.key(ctx, name)) if table else None
            if doc is None or doc["Arn"] != arn:
                raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{arn}"')

    def attached_view(self, ctx: RequestContext, arns: list[str], req: Doc) -> Doc:
        prefix = req.get("PathPrefix") or "/"
        items: list[Any] = []
        for arn in arns:
            managed = iam_store.get_managed_policy(self.store, ctx.account_id, arn)
            if managed is not None and managed["Path"].startswith(prefix):
                items.append({"PolicyName": managed["PolicyName"], "PolicyArn": arn})
        items.sort(key=lambda p: str(p["PolicyName"]).lower())
        chunk, extra = page(items, req, lambda p: str(p["PolicyName"]).lower())
        return {"AttachedPolicies": chunk, **extra}

    @staticmethod
    def check_policy_name(name: str) -> None:
        if not name:
            raise InvalidInput("The specified value for policyName is invalid.")
