"""IAM managed policies: the account's own (create, versions, delete) and AWS's
(read-only); attachment counts; which entities a policy is attached to."""

from __future__ import annotations

from typing import Any

from cargobay.iam import iam_store, managed_policies
from cargobay.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from cargobay.iam.iam_base import (
    MANAGED_POLICY_SIZE,
    VERSIONS_PER_POLICY,
    Doc,
    IamBase,
    add_tags,
    encode_document,
    merge_tags,
    page,
    policy_size,
    remove_tags,
    tags_of,
)
from cargobay.iam.names import POLICY_ID_PREFIX, iam_arn, name_key, unique_id
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError

AWS_PREFIX = "arn:aws:iam::aws:policy/"


def _not_attachable(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")


def attach(base: IamBase, ctx: RequestContext, arn: str) -> None:
    """Check the policy can be attached and count the attachment (within a batch)."""
    managed = iam_store.get_managed_policy(base.store, ctx.account_id, arn)
    if managed is None:
        raise _not_attachable(arn)
    if not arn.startswith(AWS_PREFIX):
        managed["AttachmentCount"] = int(managed.get("AttachmentCount", 0)) + 1
        base.store.put(iam_store.POLICIES, name_key(ctx.account_id, managed["PolicyName"]), managed)


def detach(base: IamBase, ctx: RequestContext, arn: str) -> None:
    if arn.startswith(AWS_PREFIX):
        return
    managed = iam_store.get_managed_policy(base.store, ctx.account_id, arn)
    if managed is not None:
        managed["AttachmentCount"] = max(0, int(managed.get("AttachmentCount", 0)) - 1)
        base.store.put(iam_store.POLICIES, name_key(ctx.account_id, managed["PolicyName"]), managed)


class UnmodifiableEntity(AwsError):
    code = "UnmodifiableEntity"
    status = 400


class PolicyOps(IamBase):
    def _attached_to(self, ctx: RequestContext, arn: str) -> tuple[list[Doc], list[Doc]]:
        roles = [r for r in self.scan(iam_store.ROLES, ctx) if arn in r["AttachedPolicies"]]
        users = [u for u in self.scan(iam_store.USERS, ctx) if arn in u["AttachedPolicies"]]
        return roles, users

    def _policy(self, ctx: RequestContext, arn: str) -> Doc:
        doc = iam_store.get_managed_policy(self.store, ctx.account_id, arn)
        if doc is None:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        if doc.get("AwsManaged"):
            roles, users = self._attached_to(ctx, arn)
            doc["AttachmentCount"] = len(roles) + len(users)
        return doc

    def _own_policy(self, ctx: RequestContext, arn: str) -> Doc:
        if arn.startswith(AWS_PREFIX):
            if managed_policies.by_arn(arn) is None:
                raise NoSuchEntity(f"Policy {arn} was not found.")
            raise UnmodifiableEntity(f"Cannot modify AWS managed policy {arn}.")
        return self._policy(ctx, arn)

    def _save(self, ctx: RequestContext, doc: Doc) -> None:
        self.store.put(iam_store.POLICIES, self.key(ctx, doc["PolicyName"]), doc)

    @staticmethod
    def _view(doc: Doc) -> Doc:
        out = {
            k: doc[k]
            for k in (
                "PolicyName",
                "PolicyId",
                "Arn",
                "Path",
                "DefaultVersionId",
                "AttachmentCount",
                "PermissionsBoundaryUsageCount",
                "IsAttachable",
                "CreateDate",
                "UpdateDate",
            )
        }
        if doc.get("Description"):
            out["Description"] = doc["Description"]
        if doc.get("Tags"):
            out["Tags"] = doc["Tags"]
        return out

    def _check_managed(self, ctx: RequestContext, text: str) -> None:
        self.check_document(ctx, text, "identity")
        if policy_size(text) > MANAGED_POLICY_SIZE:
            raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}")

    def create_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        name = req["PolicyName"]
        if self.store.get(iam_store.POLICIES, self.key(ctx, name)) is not None:
            raise EntityAlreadyExists(
                f"A policy called {name} already exists. Duplicate names are not allowed."
            )
        self._check_managed(ctx, req["PolicyDocument"])
        path = req.get("Path") or "/"
        now = self.now()
        doc: Doc = {
            "PolicyName": name,
            "PolicyId": unique_id(POLICY_ID_PREFIX),
            "Arn": iam_arn(ctx.account_id, "policy", path, name),
            "Path": path,
            "DefaultVersionId": "v1",
            "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "Description": req.get("Description"),
            "CreateDate": now,
            "UpdateDate": now,
            "Tags": merge_tags([], tags_of(req), "TagsPerPolicy"),
            "Versions": {"v1": {"Document": req["PolicyDocument"], "CreateDate": now}},
            "NextVersion": 2,
        }
        self._save(ctx, doc)
        return {"Policy": self._view(doc)}

    def get_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        return {"Policy": self._view(self._policy(ctx, req["PolicyArn"]))}

    def list_policies(self, ctx: RequestContext, req: Doc) -> Doc:
        scope = req.get("Scope") or "All"
        prefix = req.get("PathPrefix") or "/"
        items: list[Doc] = []
        if scope in ("All", "AWS"):
            items += [self._policy(ctx, arn) for arn in managed_policies.all_arns()]
        if scope in ("All", "Local"):
            items += list(self.scan(iam_store.POLICIES, ctx))
        items = [p for p in items if p["Path"].startswith(prefix)]
        if req.get("OnlyAttached"):
            items = [p for p in items if p["AttachmentCount"] > 0]
        items.sort(key=lambda p: str(p["Arn"]))
        chunk, extra = page(items, req, lambda p: str(p["Arn"]))
        return {"Policies": [self._view(p) for p in chunk], **extra}

    def delete_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._own_policy(ctx, req["PolicyArn"])
        roles, users = self._attached_to(ctx, doc["Arn"])
        if roles or users:
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(doc["Versions"]) > 1:
            raise DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        self.store.delete(iam_store.POLICIES, self.key(ctx, doc["PolicyName"]))
        return {}

    # -- versions ----------------------------------------------------------------------

    @staticmethod
    def _version_view(doc: Doc, version: str, *, document: bool) -> Doc:
        v = doc["Versions"][version]
        out: Doc = {
            "VersionId": version,
            "IsDefaultVersion": version == doc["DefaultVersionId"],
            "CreateDate": v["CreateDate"],
        }
        if document:
            out["Document"] = encode_document(v["Document"])
        return out

    def get_policy_version(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._policy(ctx, req["PolicyArn"])
        version = req["VersionId"]
        if version not in doc["Versions"]:
            raise NoSuchEntity(
                f"Policy {req['PolicyArn']} version {version} does not exist or is not "
                "attachable."
            )
        return {"PolicyVersion": self._version_view(doc, version, document=True)}

    def list_policy_versions(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._policy(ctx, req["PolicyArn"])
        versions = sorted(doc["Versions"], key=lambda v: -int(v[1:]))
        chunk, extra = page(versions, req, lambda v: f"{10**9 - int(v[1:]):010d}")
        return {
            "Versions": [self._version_view(doc, v, document=False) for v in chunk],
            **extra,
        }

    def create_policy_version(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._own_policy(ctx, req["PolicyArn"])
        if len(doc["Versions"]) >= VERSIONS_PER_POLICY:
            raise LimitExceeded(
                f"A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you "
                "create a new version, you must delete an existing version."
            )
        self._check_managed(ctx, req["PolicyDocument"])
        version = f"v{doc['NextVersion']}"
        now = self.now()
        doc["NextVersion"] += 1
        doc["Versions"][version] = {"Document": req["PolicyDocument"], "CreateDate": now}
        if req.get("SetAsDefault"):
            doc["DefaultVersionId"] = version
        doc["UpdateDate"] = now
        self._save(ctx, doc)
        return {"PolicyVersion": self._version_view(doc, version, document=False)}

    def set_default_policy_version(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._own_policy(ctx, req["PolicyArn"])
        if req["VersionId"] not in doc["Versions"]:
            raise NoSuchEntity(
                f"Policy {req['PolicyArn']} version {req['VersionId']} does not exist or is not "
                "attachable."
            )
        doc["DefaultVersionId"] = req["VersionId"]
        doc["UpdateDate"] = self.now()
        self._save(ctx, doc)
        return {}

    def delete_policy_version(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._own_policy(ctx, req["PolicyArn"])
        version = req["VersionId"]
        if version not in doc["Versions"]:
            raise NoSuchEntity(
                f"Policy {req['PolicyArn']} version {version} does not exist or is not "
                "attachable."
            )
        if version == doc["DefaultVersionId"]:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        del doc["Versions"][version]
        self._save(ctx, doc)
        return {}

    # -- attachments -------------------------------------------------------------------

    def list_entities_for_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._policy(ctx, req["PolicyArn"])
        roles, users = self._attached_to(ctx, doc["Arn"])
        which = req.get("EntityFilter")
        out: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
        if which in (None, "Role"):
            out["PolicyRoles"] = [{"RoleName": r["RoleName"], "RoleId": r["RoleId"]} for r in roles]
        if which in (None, "User"):
            out["PolicyUsers"] = [{"UserName": u["UserName"], "UserId": u["UserId"]} for u in users]
        out["IsTruncated"] = False
        return out

    def tag_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        self._save(ctx, add_tags(self._own_policy(ctx, req["PolicyArn"]), req, "TagsPerPolicy"))
        return {}

    def untag_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        self._save(ctx, remove_tags(self._own_policy(ctx, req["PolicyArn"]), req))
        return {}

    def list_policy_tags(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._policy(ctx, req["PolicyArn"])
        return {"Tags": doc.get("Tags", []), "IsTruncated": False}

