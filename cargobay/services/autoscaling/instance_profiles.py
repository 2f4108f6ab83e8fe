"""The role behind a launch configuration's IamInstanceProfile (a name or an ARN)."""

from __future__ import annotations

from cargobay.iam import iam_store
from cargobay.iam.names import name_key
from cargobay.store import Store


def role_arn(store: Store, account: str, profile: str) -> str | None:
    """The ARN of the profile's role; None when there is no such profile or it has no
    role."""
    name = profile.rsplit("/", 1)[-1] if profile.startswith("arn:") else profile
    doc = store.get(iam_store.INSTANCE_PROFILES, name_key(account, name))
    if doc is None or (profile.startswith("arn:") and doc.get("Arn") != profile):
        return None
    for role_name in doc.get("Roles") or []:
        role = iam_store.get_role(store, account, role_name)
        if role is not None:
            return str(role["Arn"])
    return None
