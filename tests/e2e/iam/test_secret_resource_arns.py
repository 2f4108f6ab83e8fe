"""Secrets Manager policies match the secret's real ARN (with its random suffix), as AWS
evaluates the resolved resource, also when the caller names the secret by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.iam.conftest import ACCOUNT, session_client
from tests.support import REGION, client, expect_error


def test_policy_on_suffixed_arn_matches_a_secret_named_by_name(
    url: str, new_user: Callable[..., dict[str, str]]
) -> None:
    sm = client("secretsmanager", url)
    arn = sm.create_secret(Name="db-password", SecretString="s3cret")["ARN"]
    assert arn.rsplit("-", 1)[1].isalnum() and len(arn.rsplit("-", 1)[1]) == 6
    other = sm.create_secret(Name="api-key", SecretString="k")["ARN"]
    creds = new_user(
        "reader",
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            # the documented way to name a secret in a policy: its ARN with a ?????? suffix
            "Resource": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-password-??????",
        },
    )
    user_sm: Any = session_client("secretsmanager", url, creds)
    assert user_sm.get_secret_value(SecretId="db-password")["SecretString"] == "s3cret"
    assert user_sm.get_secret_value(SecretId=arn)["SecretString"] == "s3cret"
    expect_error(lambda: user_sm.get_secret_value(SecretId="api-key"),
                 "AccessDeniedException")
    expect_error(lambda: user_sm.get_secret_value(SecretId=other), "AccessDeniedException")
