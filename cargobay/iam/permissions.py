"""What an identity may do: its policies, and the decision for one action on one resource.

IAM User Guide, "Policy evaluation logic": a user's or role session's inline and
attached managed policies decide; a role session's session policies (AssumeRole's
``Policy`` and ``PolicyArns``) limit it further: both must allow, and an explicit Deny
in either refuses.  Refusals are phrased as AWS phrases them ("User: ARN is not
authorized to perform: ACTION on resource: RESOURCE because no identity-based policy
allows the ACTION action").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cargobay.iam import iam_store
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.credentials import ASSUMED_ROLE, USER, Identity
from cargobay.iam.policy_document import Policy, parse_policy
from cargobay.iam.policy_engine import Decision, evaluate

if TYPE_CHECKING:
    from cargobay.app import App


@dataclass
class Permissions:
    identity_policies: list[Policy]
    #: None when the session has no session policy (then it does not limit)
    session_policies: list[Policy] | None
    entity: dict[str, Any] | None


def permissions(
    app: App, identity: Identity, entity: dict[str, Any] | None = None
) -> Permissions:
    """The policies that decide what ``identity`` may do (``entity``: its user document,
    when the caller has just read it)."""
    account = identity.account
    if identity.kind == USER:
        if entity is None or entity.get("UserId") != identity.user_id:
            entity = iam_store.get_user(app.store, account, identity.name)
    elif identity.kind == ASSUMED_ROLE:
        entity = iam_store.get_role(app.store, account, identity.name)
        if entity is not None and identity.user_id.split(":", 1)[0] != entity["RoleId"]:
            entity = None  # deleted and re-created (a new RoleId): old sessions get nothing
    policies = iam_store.identity_policies(app.store, account, entity) if entity else []
    session: list[Policy] | None = None
    if identity.has_session_policy:
        session = [parse_policy(text) for text in identity.session_policies]
        session += iam_store.managed_policy_documents(
            app.store, account, list(identity.session_policy_arns)
        )
    return Permissions(policies, session, entity)


def decide(
    perms: Permissions, action: str, resource: str, ctx: ConditionContext
) -> tuple[Decision, str]:
    """The decision and, for a refusal, AWS's reason phrase."""
    decision = evaluate(perms.identity_policies, action, resource, ctx)
    if decision is Decision.DENY:
        return decision, "with an explicit deny in an identity-based policy"
    session = Decision.ALLOW
    if perms.session_policies is not None:
        session = evaluate(perms.session_policies, action, resource, ctx)
        if session is Decision.DENY:
            return session, "with an explicit deny in a session policy"
    if decision is not Decision.ALLOW:
        return decision, f"because no identity-based policy allows the {action} action"
    if session is not Decision.ALLOW:
        return session, f"because no session policy allows the {action} action"
    return Decision.ALLOW, ""


def denial_message(identity: Identity, action: str, resource: str, reason: str) -> str:
    return (
        f"User: {identity.arn} is not authorized to perform: {action} "
        f"on resource: {resource} {reason}"
    )
