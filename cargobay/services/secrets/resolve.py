"""The values behind an ECS container's ``secrets[].valueFrom``, fetched in-process.

Whoever starts a task calls :func:`resolve_secret_value` with the task's execution role
as ``principal_arn``; the call goes through ``app.dispatcher.call`` so the input is
checked and IAM decides as for any request (``secretsmanager:GetSecretValue``, or
``ssm:GetParameters`` as the ECS agent calls it). Forms of ``valueFrom`` (Amazon ECS
Developer Guide, "Pass sensitive data to a container"):

- ``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[-XXXXXX]`` — the whole SecretString;
- ``…:secret:NAME:json-key:version-stage:version-id`` — a JSON key of it and/or a
  version (empty fields: the whole value, ``AWSCURRENT``);
- ``arn:aws:ssm:REGION:ACCOUNT:parameter/NAME`` or a parameter's name (same Region as
  the task) — the parameter's value, decrypted.

Errors are the APIs' ``AwsError`` (ResourceNotFoundException, InvalidRequestException,
AccessDenied…); what the agent itself refuses (a missing JSON key, a value that is not
JSON, parameters GetParameters reports invalid) is a :class:`SecretValueError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.protocol.errors import AwsError
from cargobay.services.secrets.json_keys import JsonKeyError, json_key
from cargobay.services.secrets.secret_names import parse_value_from

if TYPE_CHECKING:
    from cargobay.app import App


class SecretValueError(AwsError):
    """The value was fetched but cannot become the environment variable (the ECS agent's
    wording: ``retrieved secret from Secrets Manager did not contain json key K``,
    ``invalid parameters: NAME``)."""

    code = "ResourceInitializationError"


async def get_secret_for_task(
    app: App, value_from: str, principal_arn: str | None
) -> str:
    """A Secrets Manager ``valueFrom`` (an ARN, with optional json key, stage and id)."""
    ref = parse_value_from(value_from)
    if ref is None:
        raise SecretValueError(f"{value_from} is not a Secrets Manager secret ARN.")
    params: dict[str, str] = {"SecretId": ref.secret_id}
    if ref.version_stage:
        params["VersionStage"] = ref.version_stage
    if ref.version_id:
        params["VersionId"] = ref.version_id
    out = await app.dispatcher.call(
        "secretsmanager", "GetSecretValue", params,
        region=ref.region, account_id=ref.account, principal_arn=principal_arn,
    )
    # the agent reads SecretString only: a binary secret reads as ""
    text = str(out.get("SecretString") or "")
    if ref.json_key is None:
        return text
    try:
        return json_key(text, ref.json_key)
    except JsonKeyError as err:
        raise SecretValueError(str(err)) from None


async def get_parameter_for_task(
    app: App, region: str, account_id: str, value_from: str, principal_arn: str | None
) -> str:
    """A Parameter Store ``valueFrom`` (a parameter ARN, or a name in ``region``)."""
    if value_from.startswith("arn:"):
        parts = value_from.split(":")
        if len(parts) >= 5:
            region, account_id = parts[3] or region, parts[4] or account_id
    out = await app.dispatcher.call(
        "ssm", "GetParameters", {"Names": [value_from], "WithDecryption": True},
        region=region, account_id=account_id, principal_arn=principal_arn,
    )
    invalid = out.get("InvalidParameters") or []
    found = out.get("Parameters") or []
    if invalid or not found:
        raise SecretValueError(f"invalid parameters: {','.join(invalid) or value_from}")
    return str(found[0]["Value"])


async def resolve_secret_value(
    app: App, region: str, account_id: str, value_from: str, principal_arn: str | None
) -> str:
    """The value an ECS ``secrets`` entry's ``valueFrom`` names, read as
    ``principal_arn`` (the task's execution role; None skips IAM)."""
    if value_from.startswith("arn:") and value_from.split(":")[2:3] == ["secretsmanager"]:
        return await get_secret_for_task(app, value_from, principal_arn)
    return await get_parameter_for_task(app, region, account_id, value_from, principal_arn)
