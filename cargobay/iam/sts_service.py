"""STS (query): GetCallerIdentity, AssumeRole, GetSessionToken, GetAccessKeyInfo.

GetCallerIdentity needs no permission.  AssumeRole weighs the role's trust policy and
the caller's own policies (:mod:`cargobay.iam.trust`).  Sessions that expired more
than a day ago are purged hourly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.iam import credentials
from cargobay.iam.credentials import ASSUMED_ROLE, ROOT, Identity, issue, root_identity
from cargobay.iam.errors import StsValidationError
from cargobay.iam.trust import AssumeRequest, assume_role
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.periodic import Periodic

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]
PURGE_EVERY = 3600.0
KEEP_EXPIRED = 86_400.0
SESSION_TOKEN_DEFAULT = 43_200
SESSION_TOKEN_MAX = 129_600
SESSION_TOKEN_ROOT_MAX = 3_600


def _identity(ctx: RequestContext) -> Identity:
    identity = ctx.extra.get("identity")
    if isinstance(identity, Identity):
        return identity
    return root_identity(ctx.account_id)


def _credentials_view(c: credentials.TemporaryCredentials) -> Doc:
    return {
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "SessionToken": c.session_token,
        "Expiration": c.expiration,
    }


class StsService:
    def __init__(self, app: App) -> None:
        self.app = app
        self._purges = Periodic(app.clock, PURGE_EVERY,
                                lambda: credentials.purge_expired(app, KEEP_EXPIRED),
                                "sts-session-purge")

    async def start(self) -> None:
        await self._purges.start()

    async def stop(self) -> None:
        await self._purges.stop()

    # -- operations --------------------------------------------------------------------

    def get_caller_identity(self, ctx: RequestContext, req: Doc) -> Doc:
        identity = _identity(ctx)
        return {"UserId": identity.user_id, "Account": identity.account, "Arn": identity.arn}

    def assume_role(self, ctx: RequestContext, req: Doc) -> Doc:
        tags = {t["Key"]: t["Value"] for t in req.get("Tags") or []}
        result = assume_role(
            self.app,
            AssumeRequest(
                role_arn=req["RoleArn"],
                session_name=req["RoleSessionName"],
                duration=req.get("DurationSeconds"),
                external_id=req.get("ExternalId"),
                source_identity=req.get("SourceIdentity"),
                policy=req.get("Policy"),
                policy_arns=tuple(p["arn"] for p in req.get("PolicyArns") or [] if p.get("arn")),
                tags=tags or None,
                transitive_tag_keys=tuple(req.get("TransitiveTagKeys") or ()),
            ),
            identity=_identity(ctx),
            region=ctx.region,
        )
        out: Doc = {
            "Credentials": _credentials_view(result.credentials),
            "AssumedRoleUser": {"AssumedRoleId": result.assumed_role_id, "Arn": result.arn},
        }
        if result.packed_policy_size is not None:
            out["PackedPolicySize"] = result.packed_policy_size
        if req.get("SourceIdentity"):
            out["SourceIdentity"] = req["SourceIdentity"]
        return out

    def get_session_token(self, ctx: RequestContext, req: Doc) -> Doc:
        identity = _identity(ctx)
        if identity.kind == ASSUMED_ROLE or identity.token_issued is not None:
            raise AwsError("Cannot call GetSessionToken with session credentials", "AccessDenied",
                           403)
        duration = int(req.get("DurationSeconds") or SESSION_TOKEN_DEFAULT)
        limit = SESSION_TOKEN_ROOT_MAX if identity.kind == ROOT else SESSION_TOKEN_MAX
        duration = min(duration, limit) if identity.kind == ROOT else duration
        if duration > limit:
            raise StsValidationError(
                f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed "
                f"to satisfy constraint: Member must have value less than or equal to {limit}"
            )
        if identity.kind == ROOT:
            creds = issue(self.app, duration, Kind=ROOT)
        else:
            creds = issue(
                self.app,
                duration,
                Kind="user",
                UserName=identity.name,
                UserId=identity.user_id,
                Arn=identity.arn,
            )
        return {"Credentials": _credentials_view(creds)}

    def get_access_key_info(self, ctx: RequestContext, req: Doc) -> Doc:
        return {"Account": ctx.account_id}
