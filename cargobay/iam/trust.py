"""Assuming a role: the trust policy weighed against the caller, then credentials issued.

IAM User Guide, "Policy evaluation logic" (same account): a role's trust policy must
allow the caller.  When it names the caller itself (its ARN, its role for a role
session, a service principal, or ``*``), that is enough; when it names only the
caller's account (``arn:aws:iam::ACCOUNT:root``), the caller's identity-based
policies must also allow ``sts:AssumeRole`` on the role.  An explicit Deny in either
refuses.  Passing session tags needs ``sts:TagSession`` the same way.

Sessions last ``DurationSeconds`` (900 up to the role's MaxSessionDuration; one hour
at most when a role session assumes a role: "role chaining").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cargobay.iam import iam_store
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.credentials import (
    ASSUMED_ROLE,
    ROOT,
    Identity,
    TemporaryCredentials,
    issue,
)
from cargobay.iam.errors import StsValidationError
from cargobay.iam.names import assumed_role_arn
from cargobay.iam.permissions import decide, permissions
from cargobay.iam.policy_document import parse_policy
from cargobay.iam.policy_engine import Caller, Decision, Level, evaluate_resource_policy
from cargobay.iam.request_facts import global_keys
from cargobay.protocol.errors import AwsError

if TYPE_CHECKING:
    from cargobay.app import App

ROLE_CHAINING_LIMIT = 3600
MIN_DURATION = 900


class AssumeRoleRefused(AwsError):
    """STS's AccessDenied for a role the caller may not assume."""

    code = "AccessDenied"
    status = 403


@dataclass
class AssumeRequest:
    role_arn: str
    session_name: str
    duration: int | None = None
    external_id: str | None = None
    source_identity: str | None = None
    #: session policy (JSON text) and managed session policy ARNs
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    tags: dict[str, str] | None = None
    transitive_tag_keys: tuple[str, ...] = ()
    #: for a service principal acting for a resource (aws:SourceArn / aws:SourceAccount)
    source_arn: str | None = None
    source_account: str | None = None


@dataclass
class AssumedRole:
    credentials: TemporaryCredentials
    assumed_role_id: str
    arn: str
    packed_policy_size: int | None


def _caller(identity: Identity | None, service: str | None) -> Caller:
    if identity is None:
        return Caller(service=service)
    arns = {identity.arn}
    if identity.kind == ASSUMED_ROLE and identity.role_arn:
        arns.add(identity.role_arn)
    return Caller(frozenset(arns), identity.account)


def _context(
    app: App, identity: Identity | None, service: str | None, req: AssumeRequest, region: str
) -> ConditionContext:
    if identity is not None:
        ctx = global_keys(identity, region=region, clock=app.clock,
                          source_arn=req.source_arn, source_account=req.source_account)
    else:
        ctx = ConditionContext({"aws:PrincipalServiceName": service or "",
                                "aws:PrincipalType": "Service", "aws:RequestedRegion": region})
        if req.source_arn:
            ctx.set("aws:SourceArn", req.source_arn)
        if req.source_account:
            ctx.set("aws:SourceAccount", req.source_account)
    ctx.set("sts:RoleSessionName", req.session_name)
    if req.external_id is not None:
        ctx.set("sts:ExternalId", req.external_id)
    if req.source_identity is not None:
        ctx.set("sts:SourceIdentity", req.source_identity)
    if req.tags:
        for k, v in req.tags.items():
            ctx.set(f"aws:RequestTag/{k}", v)
        ctx.set("aws:TagKeys", list(req.tags))
    if req.transitive_tag_keys:
        ctx.set("sts:TransitiveTagKeys", list(req.transitive_tag_keys))
    return ctx


def _allowed(
    app: App,
    role: dict[str, Any],
    identity: Identity | None,
    service: str | None,
    action: str,
    ctx: ConditionContext,
) -> bool:
    trust = parse_policy(role["AssumeRolePolicyDocument"], "trust")
    decision, level = evaluate_resource_policy(
        trust, _caller(identity, service), action, None, ctx
    )
    if decision is not Decision.ALLOW:
        return False
    if identity is None or identity.kind == ROOT:
        return True
    own, _ = decide(permissions(app, identity), action, role["Arn"], ctx)
    if own is Decision.DENY:
        return False
    return level is Level.EXPLICIT or own is Decision.ALLOW


def assume_role(
    app: App,
    req: AssumeRequest,
    *,
    identity: Identity | None = None,
    service: str | None = None,
    region: str | None = None,
) -> AssumedRole:
    """Assume ``req.role_arn`` as ``identity`` (a principal's credentials) or as the
    service principal ``service`` (e.g. ``ecs-tasks.amazonaws.com``).

    Raises AssumeRoleRefused (AccessDenied) when the role does not exist or its trust
    policy (or the caller's own policies) do not allow it, StsValidationError for a
    duration the role does not allow."""
    account = app.config.account_id
    who = identity.arn if identity is not None else service
    refused = AssumeRoleRefused(
        f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {req.role_arn}"
    )
    role = iam_store.get_role_by_arn(app.store, account, req.role_arn)
    if role is None:
        raise refused
    chained = identity is not None and identity.kind == ASSUMED_ROLE
    duration = req.duration or 3600
    if chained and duration > ROLE_CHAINING_LIMIT:
        raise StsValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining."
        )
    if duration > int(role["MaxSessionDuration"]):
        raise StsValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    if duration < MIN_DURATION:
        raise StsValidationError(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {MIN_DURATION}"
        )
    ctx = _context(app, identity, service, req, region or app.config.region)
    if not _allowed(app, role, identity, service, "sts:AssumeRole", ctx):
        raise refused
    if req.tags and not _allowed(app, role, identity, service, "sts:TagSession", ctx):
        raise AssumeRoleRefused(
            f"User: {who} is not authorized to perform: sts:TagSession on resource: "
            f"{req.role_arn}"
        )
    if req.policy is not None:
        parse_policy(req.policy, "identity")
    tags = dict(req.tags or {})
    if chained and identity is not None:
        # transitive session tags carry over to the chained session
        for k, v in identity.session_tags:
            tags.setdefault(k, v)
    creds = issue(
        app,
        duration,
        Kind=ASSUMED_ROLE,
        RoleArn=role["Arn"],
        RoleName=role["RoleName"],
        RoleId=role["RoleId"],
        SessionName=req.session_name,
        Policies=[req.policy] if req.policy is not None else [],
        PolicyArns=list(req.policy_arns),
        Tags=tags,
        SourceIdentity=req.source_identity,
        Chained=chained,
        AssumedBy=who,
    )
    role["RoleLastUsed"] = {"LastUsedDate": app.clock.now(), "Region": region or app.config.region}
    app.store.put(iam_store.ROLES, f"{account}/{role['RoleName'].lower()}", role)
    packed = None
    if req.policy is not None or req.policy_arns or req.tags:
        size = len(req.policy or "") + 100 * len(req.policy_arns) + sum(
            len(k) + len(v) for k, v in (req.tags or {}).items()
        )
        packed = max(1, min(100, size * 100 // 2048))
    return AssumedRole(
        creds,
        f"{role['RoleId']}:{req.session_name}",
        assumed_role_arn(account, role["RoleName"], req.session_name),
        packed,
    )
