"""The global condition keys of a request (IAM User Guide, "AWS global condition context
keys"), from the caller's identity and the request.

- ``aws:PrincipalArn``: the user's or root's ARN; for a role session the role's ARN.
- ``aws:PrincipalAccount``, ``aws:PrincipalType`` (Account, User, AssumedRole),
  ``aws:userid``, ``aws:username`` (users only), ``aws:PrincipalTag/KEY`` (the user's
  or role's tags; a session's tags win over its role's).
- ``aws:RequestedRegion``, ``aws:SecureTransport`` (``true`` only behind a proxy that
  says ``X-Forwarded-Proto: https``), ``aws:CurrentTime``, ``aws:EpochTime``,
  ``aws:TokenIssueTime`` and ``aws:MultiFactorAuthPresent`` (temporary credentials),
  ``aws:ViaAWSService``.
- ``aws:SourceArn`` / ``aws:SourceAccount``: present only when a service acts on a
  resource's behalf (set by the caller of an internal call).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cargobay.clock import Clock
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.credentials import ASSUMED_ROLE, USER, Identity


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def principal_arn(identity: Identity) -> str:
    if identity.kind == ASSUMED_ROLE and identity.role_arn:
        return identity.role_arn
    return identity.arn


def global_keys(
    identity: Identity,
    *,
    region: str,
    clock: Clock,
    secure: bool = False,
    entity: dict[str, Any] | None = None,
    source_arn: str | None = None,
    source_account: str | None = None,
) -> ConditionContext:
    """The request context of ``identity`` calling in ``region`` (``entity``: its user or
    role document, for principal tags)."""
    values: dict[str, list[str]] = {
        "aws:principalarn": [principal_arn(identity)],
        "aws:principalaccount": [identity.account],
        "aws:principaltype": [identity.principal_type],
        "aws:userid": [identity.user_id],
        "aws:requestedregion": [region],
        "aws:securetransport": ["true" if secure else "false"],
        "aws:viaawsservice": ["false"],
    }
    if identity.kind == USER:
        values["aws:username"] = [identity.name]
    if identity.token_issued is not None:
        values["aws:tokenissuetime"] = [iso(identity.token_issued)]
        values["aws:multifactorauthpresent"] = ["false"]
    if identity.source_identity:
        values["aws:sourceidentity"] = [identity.source_identity]
    tags = (entity or {}).get("Tags")
    if tags or identity.session_tags:
        merged = {str(t["Key"]): str(t["Value"]) for t in tags or ()}
        merged.update(dict(identity.session_tags))
        for k, v in merged.items():
            values[f"aws:principaltag/{k.lower()}"] = [v]
    if source_arn:
        values["aws:sourcearn"] = [source_arn]
    if source_account:
        values["aws:sourceaccount"] = [source_account]
    ctx = ConditionContext.of(values)
    ctx.set_lazy("aws:CurrentTime", lambda: [iso(clock.now())])
    ctx.set_lazy("aws:EpochTime", lambda: [str(int(clock.now()))])
    return ctx
