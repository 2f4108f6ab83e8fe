"""Credentials for a task's role, issued to the ECS service principal (server side of
"IAM roles for tasks").

The role's trust policy must allow ``ecs-tasks.amazonaws.com`` to ``sts:AssumeRole``
(conditions on ``aws:SourceAccount`` / ``aws:SourceArn`` are checked against what the
caller passes); the session is named after the task, so the task's caller identity is
``arn:aws:sts::ACCOUNT:assumed-role/ROLE/TASK_ID``.  :func:`revoke` ends a task's
credentials at once (when it stops).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.iam import credentials
from cargobay.iam.trust import AssumedRole, AssumeRequest, assume_role

if TYPE_CHECKING:
    from cargobay.app import App

ECS_TASKS = "ecs-tasks.amazonaws.com"

#: what ECS reports when a task's role cannot be assumed (for the task's stoppedReason)
CANNOT_ASSUME = (
    "ECS was unable to assume the role '{role}' that was provided for this task. Please "
    "verify that the role being passed has the proper trust relationship and permissions "
    "and that your IAM user has permissions to pass this role."
)


def issue_task_role_credentials(
    app: App,
    role_arn: str,
    task_id: str,
    *,
    source_arn: str | None = None,
    source_account: str | None = None,
    duration: int | None = None,
    region: str | None = None,
) -> AssumedRole:
    """Assume ``role_arn`` as ``ecs-tasks.amazonaws.com`` for the task ``task_id``.

    Raises :class:`cargobay.iam.trust.AssumeRoleRefused` (AccessDenied) when the role is
    missing or its trust policy does not allow the service (format CANNOT_ASSUME for
    the task), StsValidationError for a duration above the role's MaxSessionDuration."""
    return assume_role(
        app,
        AssumeRequest(
            role_arn=role_arn,
            session_name=task_id,
            duration=duration,
            source_arn=source_arn,
            source_account=source_account or app.config.account_id,
        ),
        service=ECS_TASKS,
        region=region,
    )


def revoke(app: App, access_key_id: str) -> bool:
    """Stop a task's credentials from working (InvalidClientTokenId from then on)."""
    return credentials.revoke(app, access_key_id)
