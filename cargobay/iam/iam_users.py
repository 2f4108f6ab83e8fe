"""IAM users: create, read, list, delete; access keys; inline and attached policies; tags.

Access-key operations without ``UserName`` act on the calling user; called with other
credentials (root, a role session) they need a ``UserName``.
"""

from __future__ import annotations

from cargobay.iam import entity_policies as ep
from cargobay.iam import iam_store
from cargobay.iam.credentials import USER, Identity
from cargobay.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    StsValidationError,
)
from cargobay.iam.iam_base import (
    ACCESS_KEYS_PER_USER,
    Doc,
    IamBase,
    add_tags,
    merge_tags,
    page,
    remove_tags,
    tags_of,
    tags_page,
)
from cargobay.iam.names import (
    LONG_TERM_KEY_PREFIX,
    USER_ID_PREFIX,
    access_key_id,
    iam_arn,
    secret_access_key,
    unique_id,
)
from cargobay.protocol.base import RequestContext


def user_view(doc: Doc, *, tags: bool = True) -> Doc:
    out: Doc = {
        "Path": doc["Path"],
        "UserName": doc["UserName"],
        "UserId": doc["UserId"],
        "Arn": doc["Arn"],
        "CreateDate": doc["CreateDate"],
    }
    if tags and doc.get("Tags"):
        out["Tags"] = doc["Tags"]
    return out


def _key_view(k: Doc) -> Doc:
    return {
        "UserName": k["UserName"],
        "AccessKeyId": k["AccessKeyId"],
        "Status": k["Status"],
        "CreateDate": k["CreateDate"],
    }


class UserOps(IamBase):
    def _put_user(self, ctx: RequestContext, doc: Doc) -> None:
        self.store.put(iam_store.USERS, self.key(ctx, doc["UserName"]), doc)

    def _keys_of(self, ctx: RequestContext, user_name: str) -> list[Doc]:
        return [
            k
            for k in self.scan(iam_store.ACCESS_KEYS, ctx)
            if k["UserName"].lower() == user_name.lower()
        ]

    def _target_user(self, ctx: RequestContext, req: Doc) -> Doc:
        """``UserName``, or the calling user when the request names none."""
        name = req.get("UserName")
        if name:
            return self.user(ctx, name)
        identity = ctx.extra.get("identity")
        if isinstance(identity, Identity) and identity.kind == USER:
            return self.user(ctx, identity.name)
        raise StsValidationError("Must specify userName when calling with non-User credentials")

    def create_user(self, ctx: RequestContext, req: Doc) -> Doc:
        name = req["UserName"]
        if iam_store.get_user(self.store, ctx.account_id, name) is not None:
            raise EntityAlreadyExists(f"User with name {name} already exists.")
        path = req.get("Path") or "/"
        doc: Doc = {
            "UserName": name,
            "UserId": unique_id(USER_ID_PREFIX),
            "Arn": iam_arn(ctx.account_id, "user", path, name),
            "Path": path,
            "CreateDate": self.now(),
            "Tags": merge_tags([], tags_of(req), "TagsPerUser"),
            "InlinePolicies": {},
            "AttachedPolicies": [],
        }
        self._put_user(ctx, doc)
        return {"User": user_view(doc)}

    def get_user(self, ctx: RequestContext, req: Doc) -> Doc:
        if not req.get("UserName"):
            identity = ctx.extra.get("identity")
            if isinstance(identity, Identity) and identity.is_root:
                return {"User": {"UserId": identity.account, "Arn": identity.arn,
                                 "CreateDate": 0.0}}
        return {"User": user_view(self._target_user(ctx, req))}

    def list_users(self, ctx: RequestContext, req: Doc) -> Doc:
        prefix = req.get("PathPrefix") or "/"
        users = [u for u in self.scan(iam_store.USERS, ctx) if u["Path"].startswith(prefix)]
        chunk, extra = page(users, req, lambda u: str(u["UserName"]).lower())
        return {"Users": [user_view(u, tags=False) for u in chunk], **extra}

    def delete_user(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.user(ctx, req["UserName"])
        if self._keys_of(ctx, doc["UserName"]):
            raise DeleteConflict("Cannot delete entity, must delete access keys first.")
        if doc["InlinePolicies"]:
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if doc["AttachedPolicies"]:
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        self.store.delete(iam_store.USERS, self.key(ctx, doc["UserName"]))
        return {}

    # -- access keys -------------------------------------------------------------------

    def create_access_key(self, ctx: RequestContext, req: Doc) -> Doc:
        user = self._target_user(ctx, req)
        if len(self._keys_of(ctx, user["UserName"])) >= ACCESS_KEYS_PER_USER:
            raise LimitExceeded(
                f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}"
            )
        key: Doc = {
            "UserName": user["UserName"],
            "AccessKeyId": access_key_id(LONG_TERM_KEY_PREFIX),
            "SecretAccessKey": secret_access_key(),
            "Status": "Active",
            "CreateDate": self.now(),
        }
        self.store.put(iam_store.ACCESS_KEYS, f"{ctx.account_id}/{key['AccessKeyId']}", key)
        return {"AccessKey": {**_key_view(key), "SecretAccessKey": key["SecretAccessKey"]}}

    def _own_key(self, ctx: RequestContext, req: Doc) -> Doc:
        user = self._target_user(ctx, req)
        key = self.store.get(iam_store.ACCESS_KEYS, f"{ctx.account_id}/{req['AccessKeyId']}")
        if key is None or key["UserName"].lower() != user["UserName"].lower():
            raise NoSuchEntity(f"The Access Key with id {req['AccessKeyId']} cannot be found")
        return key

    def delete_access_key(self, ctx: RequestContext, req: Doc) -> Doc:
        key = self._own_key(ctx, req)
        self.store.delete(iam_store.ACCESS_KEYS, f"{ctx.account_id}/{key['AccessKeyId']}")
        return {}

    def update_access_key(self, ctx: RequestContext, req: Doc) -> Doc:
        key = self._own_key(ctx, req)
        key["Status"] = req["Status"]
        self.store.put(iam_store.ACCESS_KEYS, f"{ctx.account_id}/{key['AccessKeyId']}", key)
        return {}

    def list_access_keys(self, ctx: RequestContext, req: Doc) -> Doc:
        user = self._target_user(ctx, req)
        keys = sorted(self._keys_of(ctx, user["UserName"]), key=lambda k: str(k["AccessKeyId"]))
        chunk, extra = page(keys, req, lambda k: str(k["AccessKeyId"]))
        return {"AccessKeyMetadata": [_key_view(k) for k in chunk], **extra}

    def get_access_key_last_used(self, ctx: RequestContext, req: Doc) -> Doc:
        key = self.store.get(iam_store.ACCESS_KEYS, f"{ctx.account_id}/{req['AccessKeyId']}")
        if key is None:
            raise NoSuchEntity(f"The Access Key with id {req['AccessKeyId']} cannot be found")
        return {
            "UserName": key["UserName"],
            "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"},
        }

    # -- inline and managed policies (entity_policies: the same for roles and users) -----

    def put_user_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.user(ctx, req["UserName"])
        return ep.put_inline(self, ctx, ep.USER, doc, req, lambda d: self._put_user(ctx, d))

    def get_user_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        return ep.get_inline(ep.USER, self.user(ctx, req["UserName"]), req)

    def delete_user_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.user(ctx, req["UserName"])
        return ep.delete_inline(ep.USER, doc, req, lambda d: self._put_user(ctx, d))

    def list_user_policies(self, ctx: RequestContext, req: Doc) -> Doc:
        return ep.list_inline(self.user(ctx, req["UserName"]), req)

    def attach_user_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.user(ctx, req["UserName"])
        return ep.attach_managed(self, ctx, ep.USER, doc, req, lambda d: self._put_user(ctx, d))

    def detach_user_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.user(ctx, req["UserName"])
        return ep.detach_managed(self, ctx, doc, req, lambda d: self._put_user(ctx, d))

    def list_attached_user_policies(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self.user(ctx, req["UserName"])
        return self.attached_view(ctx, list(doc["AttachedPolicies"]), req)

    # -- tags --------------------------------------------------------------------------

    def tag_user(self, ctx: RequestContext, req: Doc) -> Doc:
        self._put_user(ctx, add_tags(self.user(ctx, req["UserName"]), req, "TagsPerUser"))
        return {}

    def untag_user(self, ctx: RequestContext, req: Doc) -> Doc:
        self._put_user(ctx, remove_tags(self.user(ctx, req["UserName"]), req))
        return {}

    def list_user_tags(self, ctx: RequestContext, req: Doc) -> Doc:
        return tags_page(self.user(ctx, req["UserName"]), req)
