"""IAM instance profiles: the container an EC2 instance (here: an agent host) gets its
role from.  One role per profile (IAM quota)."""

from __future__ import annotations

from cargobay.iam import iam_store
from cargobay.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from cargobay.iam.iam_base import Doc, IamBase, merge_tags, page, tags_of
from cargobay.iam.iam_roles import role_view
from cargobay.iam.names import INSTANCE_PROFILE_ID_PREFIX, iam_arn, unique_id
from cargobay.protocol.base import RequestContext

ROLES_PER_PROFILE = 1


class InstanceProfileOps(IamBase):
    def _profile(self, ctx: RequestContext, name: str) -> Doc:
        doc = self.store.get(iam_store.INSTANCE_PROFILES, self.key(ctx, name))
        if doc is None:
            raise NoSuchEntity(f"Instance Profile {name} cannot be found.")
        return doc

    def _save_profile(self, ctx: RequestContext, doc: Doc) -> None:
        self.store.put(iam_store.INSTANCE_PROFILES, self.key(ctx, doc["InstanceProfileName"]), doc)

    def _profile_view(self, ctx: RequestContext, doc: Doc) -> Doc:
        roles = []
        for name in doc["Roles"]:
            role = iam_store.get_role(self.store, ctx.account_id, name)
            if role is not None:
                roles.append(role_view(role, full=False))
        out: Doc = {
            "Path": doc["Path"],
            "InstanceProfileName": doc["InstanceProfileName"],
            "InstanceProfileId": doc["InstanceProfileId"],
            "Arn": doc["Arn"],
            "CreateDate": doc["CreateDate"],
            "Roles": roles,
        }
        if doc.get("Tags"):
            out["Tags"] = doc["Tags"]
        return out

    def create_instance_profile(self, ctx: RequestContext, req: Doc) -> Doc:
        name = req["InstanceProfileName"]
        if self.store.get(iam_store.INSTANCE_PROFILES, self.key(ctx, name)) is not None:
            raise EntityAlreadyExists(f"Instance Profile {name} already exists.")
        path = req.get("Path") or "/"
        doc: Doc = {
            "InstanceProfileName": name,
            "InstanceProfileId": unique_id(INSTANCE_PROFILE_ID_PREFIX),
            "Arn": iam_arn(ctx.account_id, "instance-profile", path, name),
            "Path": path,
            "CreateDate": self.now(),
            "Roles": [],
            "Tags": merge_tags([], tags_of(req), "TagsPerInstanceProfile"),
        }
        self._save_profile(ctx, doc)
        return {"InstanceProfile": self._profile_view(ctx, doc)}

    def get_instance_profile(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._profile(ctx, req["InstanceProfileName"])
        return {"InstanceProfile": self._profile_view(ctx, doc)}

    def delete_instance_profile(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._profile(ctx, req["InstanceProfileName"])
        if doc["Roles"]:
            raise DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first."
            )
        self.store.delete(iam_store.INSTANCE_PROFILES, self.key(ctx, doc["InstanceProfileName"]))
        return {}

    def add_role_to_instance_profile(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._profile(ctx, req["InstanceProfileName"])
        role = self.role(ctx, req["RoleName"])
        if role["RoleName"].lower() in (r.lower() for r in doc["Roles"]):
            raise LimitExceeded(
                f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
            )
        if len(doc["Roles"]) >= ROLES_PER_PROFILE:
            raise LimitExceeded(
                f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
            )
        doc["Roles"].append(role["RoleName"])
        self._save_profile(ctx, doc)
        return {}

    def remove_role_from_instance_profile(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._profile(ctx, req["InstanceProfileName"])
        kept = [r for r in doc["Roles"] if r.lower() != req["RoleName"].lower()]
        if len(kept) == len(doc["Roles"]):
            raise NoSuchEntity(f"The role with name {req['RoleName']} cannot be found.")
        doc["Roles"] = kept
        self._save_profile(ctx, doc)
        return {}

    def list_instance_profiles(self, ctx: RequestContext, req: Doc) -> Doc:
        prefix = req.get("PathPrefix") or "/"
        docs = [
            d for d in self.scan(iam_store.INSTANCE_PROFILES, ctx) if d["Path"].startswith(prefix)
        ]
        chunk, extra = page(docs, req, lambda d: str(d["InstanceProfileName"]).lower())
        return {"InstanceProfiles": [self._profile_view(ctx, d) for d in chunk], **extra}

    def list_instance_profiles_for_role(self, ctx: RequestContext, req: Doc) -> Doc:
        role = self.role(ctx, req["RoleName"])
        docs = [
            d
            for d in self.scan(iam_store.INSTANCE_PROFILES, ctx)
            if role["RoleName"].lower() in (r.lower() for r in d["Roles"])
        ]
        chunk, extra = page(docs, req, lambda d: str(d["InstanceProfileName"]).lower())
        return {"InstanceProfiles": [self._profile_view(ctx, d) for d in chunk], **extra}
