"""IAM roles: create, read, list, update the trust policy, delete; inline policies;
attached managed policies; tags."""

from __future__ import annotations

from cargobay.iam import entity_policies as ep
from cargobay.iam import iam_store
from cargobay.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded
from cargobay.iam.iam_base import (
    TRUST_POLICY_SIZE,
    Doc,
    IamBase,
    add_tags,
    encode_document,
    merge_tags,
    page,
    policy_size,
    remove_tags,
    tags_of,
    tags_page,
)
from cargobay.iam.names import ROLE_ID_PREFIX, iam_arn, unique_id
from cargobay.protocol.base import RequestContext

DEFAULT_MAX_SESSION = 3600


def role_view(doc: Doc, *, full: bool = True) -> Doc:
    """The Role shape: ``full`` adds what GetRole returns and ListRoles does not."""
    out: Doc = {
        "Path": doc["Path"],
        "RoleName": doc["RoleName"],
        "RoleId": doc["RoleId"],
        "Arn": doc["Arn"],
        "CreateDate": doc["CreateDate"],
        "AssumeRolePolicyDocument": encode_document(doc["AssumeRolePolicyDocument"]),
        "MaxSessionDuration": doc["MaxSessionDuration"],
    }
    if doc.get("Description") is not None:
        out["Description"] = doc["Description"]
    if full:
        if doc.get("Tags"):
            out["Tags"] = doc["Tags"]
        out["RoleLastUsed"] = doc.get("RoleLastUsed") or {}
    return out


class RoleOps(IamBase):
    def _put_role(self, ctx: RequestContext, doc: Doc) -> None:
        self.store.put(iam_store.ROLES, self.key(ctx, doc["RoleName"]), doc)

    def _check_trust(self, ctx: RequestContext, text: str) -> None:
        self.check_document(ctx, text, "trust")
        if policy_size(text) > TRUST_POLICY_SIZE:
            raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}")

    def create_role(self, ctx: RequestContext, req: Doc) -> Doc:
        name = req["RoleName"]
        if iam_store.get_role(self.store, ctx.account_id, name) is not None:
            raise EntityAlreadyExists(f"Role with name {name} already exists.")
        self._check_trust(ctx, req["AssumeRolePolicyDocument"])
        path = req.get("Path") or "/"
        doc: Doc = {
            "RoleName": name,
            "RoleId": unique_id(ROLE_ID_PREFIX),
            "Arn": iam_arn(ctx.account_id, "role", path, name),
            "Path": path,
            "CreateDate": self.now(),
            "AssumeRolePolicyDocument": req["AssumeRolePolicyDocument"],
            "Description": req.get("Description"),
            "MaxSessionDuration": req.get("MaxSessionDuration") or DEFAULT_MAX_SESSION,
            "Tags": merge_tags([], tags_of(req), "TagsPerRole"),
            "InlinePolicies": {},
            "AttachedPolicies": [],
        }
        self._put_role(ctx, doc)
        return {"Role": role_view(doc)}

    def get_role(self, ctx: RequestContext, req: Doc) -> Doc:
        return {"Role": role_view(self.role(ctx, req["RoleName"]))}

    def list_roles(self, ctx: RequestContext, req: Doc) -> Doc:
        prefix = req.get("PathPrefix") or "/"
        roles = [r for r in self.scan(iam_store.ROLES, ctx) if r["Path"].startswith(prefix)]
        chunk, extra = page(roles, req, lambda r: str(r["RoleName"]).lower())
        return {"Roles": [role_view(r, full=False) for r in chunk], **extra}

    def update_role(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        if req.get("Description") is not None:
            doc["Description"] = req["Description"]
        if req.get("MaxSessionDuration") is not None:
            doc["MaxSessionDuration"] = req["MaxSessionDuration"]
        self._put_role(ctx, doc)
        return {}

    def update_role_description(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        doc["Description"] = req["Description"]
        self._put_role(ctx, doc)
        return {"Role": role_view(doc)}

    def update_assume_role_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        self._check_trust(ctx, req["PolicyDocument"])
        doc["AssumeRolePolicyDocument"] = req["PolicyDocument"]
        self._put_role(ctx, doc)
        return {}

    def delete_role(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        if doc["InlinePolicies"]:
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if doc["AttachedPolicies"]:
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        for profile in self.scan(iam_store.INSTANCE_PROFILES, ctx):
            if doc["RoleName"].lower() in (r.lower() for r in profile["Roles"]):
                raise DeleteConflict(
                    "Cannot delete entity, must remove roles from instance profile first."
                )
        self.store.delete(iam_store.ROLES, self.key(ctx, doc["RoleName"]))
        return {}

    # -- inline and managed policies (entity_policies: the same for roles and users) -----

    def put_role_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        return ep.put_inline(self, ctx, ep.ROLE, doc, req, lambda d: self._put_role(ctx, d))

    def get_role_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        return ep.get_inline(ep.ROLE, self.role(ctx, req["RoleName"]), req)

    def delete_role_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        return ep.delete_inline(ep.ROLE, doc, req, lambda d: self._put_role(ctx, d))

    def list_role_policies(self, ctx: RequestContext, req: Doc) -> Doc:
        return ep.list_inline(self.role(ctx, req["RoleName"]), req)

    def attach_role_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        return ep.attach_managed(self, ctx, ep.ROLE, doc, req, lambda d: self._put_role(ctx, d))

    def detach_role_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        return ep.detach_managed(self, ctx, doc, req, lambda d: self._put_role(ctx, d))

    def list_attached_role_policies(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.role(ctx, req["RoleName"])
        return self.attached_view(ctx, doc["AttachedPolicies"], req)

    # -- tags --------------------------------------------------------------------------

    def tag_role(self, ctx: RequestContext, req: Doc) -> Doc:
        self._put_role(ctx, add_tags(self.role(ctx, req["RoleName"]), req, "TagsPerRole"))
        return {}

    def untag_role(self, ctx: RequestContext, req: Doc) -> Doc:
        self._put_role(ctx, remove_tags(self.role(ctx, req["RoleName"]), req))
        return {}

    def list_role_tags(self, ctx: RequestContext, req: Doc) -> Doc:
        return tags_page(self.role(ctx, req["RoleName"]), req)
