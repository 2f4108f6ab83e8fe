"""The identity EventBridge calls a target as: a session of the target's RoleArn.

As in AWS, EventBridge assumes the role as the service principal
``events.amazonaws.com`` (the role's trust policy must allow it), then calls the
target's API as ``arn:aws:sts::<account>:assumed-role/<role>/<session>``, whose
policies decide (for ECS targets: ``ecs:RunTask``, ``iam:PassRole``).  A session is
kept for 55 minutes of app-clock time.  A role that cannot be assumed is the
FAILED_TO_ASSUME_ROLE error (not retried).  When the app checks no policies
(``auth_mode`` off, or no IAM), the session ARN is used as it is.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cargobay.protocol.errors import AwsError
from cargobay.services.events.targets import DeliveryError

if TYPE_CHECKING:
    from cargobay.app import App

SERVICE_PRINCIPAL = "events.amazonaws.com"
SESSION_SECONDS = 55 * 60


def session_arn(role_arn: str, session: str) -> str:
    """``arn:aws:sts::<account>:assumed-role/<role name>/<session>`` for a role ARN."""
    parts = role_arn.split(":", 5)
    account = parts[4] if len(parts) == 6 else ""
    name = role_arn.rsplit("/", 1)[-1]
    return f"arn:aws:sts::{account}:assumed-role/{name}/{session}"


class RoleSessions:
    def __init__(self, app: App) -> None:
        self.app = app
        self._sessions: dict[tuple[str, str], tuple[str, float]] = {}

    def reset(self) -> None:
        self._sessions.clear()

    def principal(self, role_arn: str, session: str) -> str:
        """The assumed-role ARN to call as (DeliveryError if the role cannot be assumed)."""
        now = self.app.clock.now()
        key = (role_arn, session)
        hit = self._sessions.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        arn = self._assume(role_arn, session)
        self._sessions[key] = (arn, now + SESSION_SECONDS)
        return arn

    def _assume(self, role_arn: str, session: str) -> str:
        if str(getattr(self.app.config, "auth_mode", "off")).lower() == "off":
            return session_arn(role_arn, session)
        try:
            trust: Any = importlib.import_module("cargobay.iam.trust")
        except ImportError:
            return session_arn(role_arn, session)
        try:
            assumed = trust.assume_role(
                self.app, trust.AssumeRequest(role_arn=role_arn, session_name=session),
                service=SERVICE_PRINCIPAL,
            )
        except AwsError as e:
            raise DeliveryError("FAILED_TO_ASSUME_ROLE", e.message, False) from None
        return str(assumed.arn)
