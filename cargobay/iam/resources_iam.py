"""IAM and STS operations' resources (Service Authorization Reference, "Actions, resources,
and condition keys for AWS Identity and Access Management" and "… for AWS Security Token
Service").

IAM resources are ``arn:aws:iam::ACCOUNT:role/PATH/NAME``, ``user/PATH/NAME``,
``policy/PATH/NAME``, ``instance-profile/PATH/NAME``; an existing entity's path is read
from the store (a name alone does not carry it).  Access-key operations without a
``UserName`` act on the calling user.  Attaching or detaching a managed policy carries
``iam:PolicyARN``.  STS AssumeRole acts on the role.
"""

from __future__ import annotations

from cargobay.iam import iam_store
from cargobay.iam.action_map import Check, Extractor, Params, Scope
from cargobay.iam.names import iam_arn, name_key

_ROLE_MEMBER = "RoleName"
_USER_MEMBER = "UserName"
_SELF_USER_OPS = (
    "CreateAccessKey",
    "DeleteAccessKey",
    "ListAccessKeys",
    "UpdateAccessKey",
    "GetUser",
    "GetAccessKeyLastUsed",
)


def _entity_arn(s: Scope, table: str, kind: str, name: str, path: str | None) -> str:
    if s.app is not None:
        doc = s.app.store.get(table, name_key(s.account, name))
        if doc is not None:
            return str(doc["Arn"])
    return iam_arn(s.account, kind, path or "/", name)


#: list operations authorize on the path they list under (``arn:aws:iam::ACCOUNT:user/``)
_LISTED = {
    "ListUsers": "user",
    "ListRoles": "role",
    "ListPolicies": "policy",
    "ListInstanceProfiles": "instance-profile",
}


def _iam(s: Scope, op: str, params: Params) -> Check:
    keys: dict[str, list[str]] = {}
    if op in _LISTED:
        prefix = str(params.get("PathPrefix") or "/")
        return Check("", [f"arn:aws:iam::{s.account}:{_LISTED[op]}{prefix}"])
    if params.get("PolicyArn") and op.endswith(("RolePolicy", "UserPolicy", "GroupPolicy")):
        keys["iam:policyarn"] = [str(params["PolicyArn"])]
    path = params.get("Path")
    if params.get(_ROLE_MEMBER):
        arn = _entity_arn(s, iam_store.ROLES, "role", str(params[_ROLE_MEMBER]), path)
        return Check("", [arn], keys)
    if params.get("InstanceProfileName"):
        name = str(params["InstanceProfileName"])
        arn = _entity_arn(s, iam_store.INSTANCE_PROFILES, "instance-profile", name, path)
        return Check("", [arn], keys)
    if params.get(_USER_MEMBER):
        arn = _entity_arn(s, iam_store.USERS, "user", str(params[_USER_MEMBER]), path)
        return Check("", [arn], keys)
    if op in _SELF_USER_OPS:
        identity = s.ctx.extra.get("identity")
        own = getattr(identity, "arn", None)
        return Check("", [str(own)] if own else ["*"], keys)
    if params.get("PolicyArn"):
        return Check("", [str(params["PolicyArn"])], keys)
    if op == "CreatePolicy" and params.get("PolicyName"):
        return Check("", [iam_arn(s.account, "policy", path or "/", str(params["PolicyName"]))])
    return Check("", ["*"], keys)


def _sts(s: Scope, op: str, params: Params) -> Check:
    if op == "AssumeRole" and params.get("RoleArn"):
        return Check("", [str(params["RoleArn"])])
    return Check("", ["*"])


EXTRACTORS: dict[str, Extractor] = {"iam": _iam, "sts": _sts}
