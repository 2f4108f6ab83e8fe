"""Authentication (SigV4) and authorization (IAM policies) of every request.

The dispatcher calls :meth:`Authorizer.authenticate` before parsing a request (the
signature is checked first, as AWS does) and :meth:`Authorizer.authorize` once the
operation's input is known.  ``CARGOBAY_AUTH_MODE``: ``enforce`` refuses what fails;
``audit`` logs what would have been refused and lets it through; ``off`` checks
nothing (every request acts as the key's owner if the key is known, else as root).

Order of the authentication checks: a readable signature (IncompleteSignature), the
credential scope (service, date, Host signed), a known key (InvalidClientTokenId), the
session token of temporary keys (InvalidClientTokenId) and their expiry
(ExpiredToken), the 15-minute clock-skew rule, and last the signature itself
(SignatureDoesNotMatch).
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any

from cargobay.iam.action_map import UNCHECKED, Check, access_for
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.credentials import (
    SERVICE,
    Identity,
    KeyRecord,
    identity_for_arn,
    lookup_key,
    root_identity,
)
from cargobay.iam.errors import Dialect, expired_token, invalid_client_token, missing_token
from cargobay.iam.permissions import Permissions, decide, denial_message, permissions
from cargobay.iam.policy_engine import Decision
from cargobay.iam.request_facts import global_keys
from cargobay.iam.sigv4_verify import check_scope, check_time, read_signature, verify
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest
from cargobay.protocol.models import service_model, signing_name
from cargobay.protocol.query_errors import is_query_compatible
from cargobay.protocol.sigv4 import credential_scope

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.iam")

MODES = ("enforce", "audit", "off")
#: actions whose service decides itself (AssumeRole weighs the trust policy too)
SELF_AUTHORIZED = {"sts:AssumeRole"}


def dialect_of(ctx: RequestContext) -> Dialect:
    """How this service words authentication and authorization errors."""
    if ctx.protocol == "query" or is_query_compatible(service_model(ctx.service)):
        return "query"
    if ctx.protocol == "rest-json":
        return "rest"
    return "json"


def denied_error(ctx: RequestContext, message: str) -> AwsError:
    """The service's AccessDenied error (SNS: AuthorizationError)."""
    dialect = dialect_of(ctx)
    if ctx.service == "sns":
        return AwsError(message, "AuthorizationError", 403)
    if dialect == "query":
        return AwsError(message, "AccessDenied", 403)
    return AwsError(message, "AccessDeniedException", 403 if dialect == "rest" else 400)


class Authorizer:
    def __init__(self, app: App) -> None:
        self.app = app
        mode = app.config.auth_mode.lower()
        if mode not in MODES:
            raise ValueError(f"CARGOBAY_AUTH_MODE must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode

    # -- authentication ----------------------------------------------------------------

    def authenticate(self, ctx: RequestContext, req: HttpRequest) -> AwsError | None:
        """Check the request's signature and record who sent it in ``ctx``.

        Raises the AWS error for a bad signature; returns MissingAuthenticationToken
        (to be raised once the request has been read) when it carries none."""
        dialect = dialect_of(ctx)
        if self.mode == "off":
            self._adopt(ctx, self._owner(ctx.access_key_id))
            return None
        try:
            record = self._verify(req, signing_name(service_model(ctx.service)), dialect)
            if record is None:
                self._adopt(ctx, root_identity(self.app.config.account_id))
                return self._refuse(ctx, missing_token(dialect), "no signature")
        except AwsError as err:
            self._adopt(ctx, self._owner(ctx.access_key_id))
            if self._refuse(ctx, err, "authentication") is not None:
                raise
            return None
        self._adopt(ctx, record.identity)
        if record.entity is not None:
            ctx.extra["entity"] = record.entity
        return None

    def authenticate_request(self, req: HttpRequest, service: str = "ecs") -> Identity:
        """Authenticate a request outside the AWS protocols (the agent's long poll, signed
        for ``service``); raises the JSON-dialect AWS error (audit/off: never)."""
        if self.mode != "enforce":
            scope = credential_scope(req)
            return self._owner(scope.access_key_id if scope else None)
        record = self._verify(req, service, "json")
        if record is None:
            raise missing_token("json")
        return record.identity

    def _verify(self, req: HttpRequest, service: str, dialect: Dialect) -> KeyRecord | None:
        sig = read_signature(req, dialect)
        if sig is None:
            return None
        check_scope(sig, service, dialect)
        record = lookup_key(self.app, sig.key_id)
        if record is None:
            raise invalid_client_token(dialect)
        self._check_token(record, sig.token, dialect)
        now = self.app.clock.now()
        if record.expiration is not None and now >= record.expiration:
            raise expired_token(dialect)
        check_time(sig, now, dialect)
        verify(req, sig, record.secret, dialect)
        return record

    @staticmethod
    def _check_token(record: KeyRecord, token: str | None, dialect: Dialect) -> None:
        if record.token is None:
            if token is not None:
                raise invalid_client_token(dialect)
        elif token is None or not hmac.compare_digest(token, record.token):
            raise invalid_client_token(dialect)

    def _owner(self, key_id: str | None) -> Identity:
        record = lookup_key(self.app, key_id) if key_id else None
        if record is not None:
            return record.identity
        return root_identity(self.app.config.account_id)

    @staticmethod
    def _adopt(ctx: RequestContext, identity: Identity) -> None:
        ctx.extra["identity"] = identity
        ctx.principal_arn = identity.arn

    def _refuse(self, ctx: RequestContext, err: AwsError, what: str) -> AwsError | None:
        if self.mode == "audit":
            log.warning(
                "audit: would refuse %s.%s (%s): %s %s",
                ctx.service, ctx.operation, what, err.code, err.message.split("\n", 1)[0],
            )
            return None
        return err

    # -- authorization -----------------------------------------------------------------

    def authorize(self, ctx: RequestContext, req: HttpRequest, params: dict[str, Any]) -> None:
        """Refuse the call (AccessDenied) unless the caller's policies allow it."""
        if self.mode == "off":
            return
        identity = ctx.extra.get("identity")
        if not isinstance(identity, Identity):
            identity = identity_for_arn(self.app, ctx.principal_arn or "")
            if identity is None:
                raise denied_error(
                    ctx, f"User: {ctx.principal_arn} is not authorized to perform this call"
                )
            ctx.extra["identity"] = identity
        if identity.is_root or identity.kind == SERVICE:
            return
        access = access_for(ctx, params, self.app)
        if access.action in UNCHECKED or access.action in SELF_AUTHORIZED:
            return
        perms = permissions(self.app, identity, ctx.extra.get("entity"))
        facts = global_keys(
            identity,
            region=ctx.region,
            clock=self.app.clock,
            secure=req.header("x-forwarded-proto").lower() == "https",
            entity=perms.entity,
            source_arn=ctx.extra.get("source_arn"),
            source_account=ctx.extra.get("source_account"),
        )
        for check in access.checks:
            self._check(ctx, identity, perms, facts, check)

    def _check(
        self,
        ctx: RequestContext,
        identity: Identity,
        perms: Permissions,
        facts: ConditionContext,
        check: Check,
    ) -> None:
        keys = facts
        if check.keys:
            keys = facts.copy()
            for k, v in check.keys.items():
                keys.set(k, v)
        for resource in check.resources:
            decision, reason = decide(perms, check.action, resource, keys)
            if decision is Decision.ALLOW:
                continue
            shown = check.action
            if ctx.service == "sns" and shown.startswith("sns:"):
                shown = "SNS:" + shown[4:]
            reason = reason.replace(check.action, shown)
            err = denied_error(ctx, denial_message(identity, shown, resource, reason))
            if self._refuse(ctx, err, "policy") is not None:
                raise err
            return
