"""Where IAM and STS keep their documents, and reads shared by the API and the authorizer.

IAM is global: keys are ``<account>/<lower-cased name>`` (names are unique regardless
of case), with no region.  Access keys and STS sessions are stored by key id.

- ``iam.users``: UserName, UserId, Arn, Path, CreateDate, Tags, InlinePolicies
  {name: text}, AttachedPolicies [arn]
- ``iam.roles``: RoleName, RoleId, Arn, Path, CreateDate, AssumeRolePolicyDocument
  (text), Description, MaxSessionDuration, Tags, InlinePolicies, AttachedPolicies
- ``iam.policies``: customer managed policies: PolicyName, PolicyId, Arn, Path,
  DefaultVersionId, AttachmentCount, Description, CreateDate, UpdateDate, Tags,
  Versions {id: {Document, CreateDate}}, NextVersion
- ``iam.access_keys``: AccessKeyId, SecretAccessKey, UserName, Status, CreateDate
- ``iam.instance_profiles``: InstanceProfileName, InstanceProfileId, Arn, Path,
  CreateDate, Roles [role name], Tags
- ``sts.sessions``: temporary credentials (see :mod:`cargobay.iam.credentials`)
"""

from __future__ import annotations

from typing import Any

from cargobay.iam import managed_policies
from cargobay.iam.names import name_key, parse_iam_arn
from cargobay.iam.policy_document import Policy, parse_policy
from cargobay.store import Store

Doc = dict[str, Any]

USERS = "iam.users"
ROLES = "iam.roles"
POLICIES = "iam.policies"
ACCESS_KEYS = "iam.access_keys"
INSTANCE_PROFILES = "iam.instance_profiles"
SESSIONS = "sts.sessions"


def get_user(store: Store, account: str, name: str) -> Doc | None:
    return store.get(USERS, name_key(account, name))


def get_role(store: Store, account: str, name: str) -> Doc | None:
    return store.get(ROLES, name_key(account, name))


def get_role_by_arn(store: Store, account: str, arn: str) -> Doc | None:
    parsed = parse_iam_arn(arn)
    if parsed is None or parsed.kind != "role" or parsed.account != account:
        return None
    role = get_role(store, account, parsed.name)
    if role is None or role["Arn"] != arn:
        return None
    return role


def get_managed_policy(store: Store, account: str, arn: str) -> Doc | None:
    """A managed policy by ARN: AWS managed (``arn:aws:iam::aws:policy/…``) or the
    account's own."""
    if arn.startswith("arn:aws:iam::aws:policy/"):
        return managed_policies.by_arn(arn)
    parsed = parse_iam_arn(arn)
    if parsed is None or parsed.kind != "policy" or parsed.account != account:
        return None
    doc = store.get(POLICIES, name_key(account, parsed.name))
    if doc is None or doc["Arn"] != arn:
        return None
    return doc


def default_document(policy: Doc) -> str:
    return str(policy["Versions"][policy["DefaultVersionId"]]["Document"])


def managed_document(store: Store, account: str, arn: str) -> str | None:
    """The default version's text of a managed policy (None when there is none)."""
    if arn.startswith("arn:aws:iam::aws:policy/"):
        return managed_policies.document_text(arn)
    managed = get_managed_policy(store, account, arn)
    return None if managed is None else default_document(managed)


def managed_policy_documents(store: Store, account: str, arns: list[str]) -> list[Policy]:
    out: list[Policy] = []
    for arn in arns:
        text = managed_document(store, account, arn)
        if text is not None:
            out.append(parse_policy(text))
    return out


def identity_policies(store: Store, account: str, entity: Doc) -> list[Policy]:
    """A user's or role's inline and attached managed policies, parsed (cached by text)."""
    out = [parse_policy(text) for text in entity.get("InlinePolicies", {}).values()]
    out += managed_policy_documents(store, account, entity.get("AttachedPolicies", []))
    return out
