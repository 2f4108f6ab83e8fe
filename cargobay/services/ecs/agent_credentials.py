"""What an agent fetches for a task it was assigned (docs/agent-protocol.md §2b), served
by the ECS service's ``handle_http`` under ``/_cargobay/ecs/agent/``:

- ``POST /_cargobay/ecs/agent/credentials`` ``{"containerInstanceArn", "taskArn"}``: fresh
  credentials of the task's role (``overrides.taskRoleArn``, else the definition's; with
  ``"role": "execution"`` its execution role's, which the agent alone uses: awslogs),
  assumed as ``ecs-tasks.amazonaws.com`` with the session named after the task (its
  caller identity: ``assumed-role/ROLE/TASK_ID``).  Their keys are remembered
  (task_credential_keys) and revoked by ``release``.
- ``POST /_cargobay/ecs/agent/release`` ``{"containerInstanceArn", "taskArn"}``: revoke
  every key issued for the task (the agent calls it once the task's containers have
  stopped, before it reports the task STOPPED); allowed for a STOPPED task too.
- ``POST /_cargobay/ecs/agent/secrets`` ``{"containerInstanceArn", "taskArn", "secrets":
  [{"name", "valueFrom"}]}``: the values, read with the task's execution role
  (``resolve_secret_value``, as ``assumed-role/EXECUTION_ROLE/TASK_ID``: IAM decides
  ``secretsmanager:GetSecretValue`` / ``ssm:GetParameters`` like any call).  Nothing of
  them is stored.

Both are authenticated like the poll (SigV4); the caller must be the account's root or
allowed ``ecs:Poll`` on the instance (the agent's own permission in
AmazonEC2ContainerServiceforEC2Role), and the task must be placed on that instance and
not yet STOPPED.  Errors: 400 JSON ``{"__type", "message"}``: ``BadRequestException``,
``TaskNotFoundException``, ``AccessDeniedException``, ``CannotAssumeRoleError`` (the
message is ECS's stoppedReason), ``ResourceInitializationError`` (ditto).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from cargobay.iam.credentials import Identity
from cargobay.iam.permissions import decide, permissions
from cargobay.iam.policy_engine import Decision
from cargobay.iam.request_facts import global_keys
from cargobay.iam.task_credentials import CANNOT_ASSUME, issue_task_role_credentials, revoke
from cargobay.iam.trust import AssumeRoleRefused
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse, json_response
from cargobay.services.ecs import arns, task_credential_keys
from cargobay.services.ecs import task_store as tasks
from cargobay.services.secrets.resolve import resolve_secret_value

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

PREFIX = "/_cargobay/ecs/agent/"
CREDENTIALS_PATH = PREFIX + "credentials"
SECRETS_PATH = PREFIX + "secrets"
RELEASE_PATH = PREFIX + "release"
PATHS = (CREDENTIALS_PATH, SECRETS_PATH, RELEASE_PATH)

#: ECS's prefix for a task whose secrets could not be read (stopCode TaskFailedToStart)
SECRETS_FAILED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: "
    "execution resource retrieval failed: "
)


class AgentRequestError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status




def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def handle(app: App, req: HttpRequest) -> HttpResponse:
    if req.method != "POST":
        return json_response(405, {"__type": "MethodNotAllowed", "message": "Use POST"})
    try:
        body = _body(req.body)
        task = _task_of(app, req, body, stopped_ok=req.path == RELEASE_PATH)
        if req.path == CREDENTIALS_PATH:
            return json_response(200, credentials_answer(app, task, body.get("role")))
        if req.path == RELEASE_PATH:
            count = task_credential_keys.revoke_all(app.store, tasks.key_of(task))
            return json_response(200, {"revoked": count})
        return json_response(200, await secrets_answer(app, task, body))
    except AgentRequestError as e:
        return json_response(e.status, {"__type": e.code, "message": e.message})
    except AwsError as e:  # authentication
        return json_response(e.status, {"__type": e.code, "message": e.message})


def _body(raw: bytes) -> Doc:
    try:
        body = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise AgentRequestError("BadRequestException", "The body must be a JSON object.")
    for member in ("containerInstanceArn", "taskArn"):
        if not isinstance(body.get(member), str):
            raise AgentRequestError("BadRequestException", f"{member} is required.")
    return body


def _key(arn: str, kind: str) -> str | None:
    parsed = arns.parse_arn(arn)
    if parsed is None or parsed.service != "ecs" or parsed.resource_type != kind:
        return None
    parts = parsed.resource.split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"


def _task_of(app: App, req: HttpRequest, body: Doc, *, stopped_ok: bool = False) -> Doc:
    """The task named in ``body``, placed on the caller's instance and not STOPPED."""
    instance_arn, task_arn = body["containerInstanceArn"], body["taskArn"]
    identity = app.authorizer.authenticate_request(req, "ecs")
    check_caller(app, identity, instance_arn)
    ikey, tkey = _key(instance_arn, "container-instance"), _key(task_arn, "task")
    task = app.store.get(tasks.TABLE, tkey) if tkey is not None else None
    if task is None or ikey is None or task.get("_instanceKey") != ikey:
        raise AgentRequestError(
            "TaskNotFoundException", f"No task {task_arn} on the container instance."
        )
    if task["lastStatus"] == "STOPPED" and not stopped_ok:
        raise AgentRequestError("TaskNotFoundException", f"The task {task_arn} is stopped.")
    return task


def check_caller(app: App, identity: Identity, instance_arn: str) -> None:
    if identity.is_root or app.authorizer.mode != "enforce":
        return
    facts = global_keys(identity, region=app.config.region, clock=app.clock)
    decision, _ = decide(permissions(app, identity), "ecs:Poll", instance_arn, facts)
    if decision is not Decision.ALLOW:
        raise AgentRequestError(
            "AccessDeniedException",
            f"User: {identity.arn} is not authorized to perform: ecs:Poll on resource: "
            f"{instance_arn}",
        )


def _role(task: Doc, member: str) -> str | None:
    value = (task.get("overrides") or {}).get(member) or task["_taskDefinition"].get(member)
    return str(value) if value else None


def _assume(app: App, task: Doc, role_arn: str) -> Any:
    parsed = arns.parse_arn(task["taskArn"])
    assert parsed is not None
    task_id = task["taskArn"].rsplit("/", 1)[-1]
    try:
        return issue_task_role_credentials(
            app,
            role_arn,
            task_id,
            source_arn=task["taskArn"],
            source_account=parsed.account_id,
            region=parsed.region,
        )
    except AssumeRoleRefused:
        message = CANNOT_ASSUME.format(role=role_arn)
        raise AgentRequestError("CannotAssumeRoleError", message) from None
    except AwsError as e:
        raise AgentRequestError("CannotAssumeRoleError", f"{e.code}: {e.message}") from e


def credentials_answer(app: App, task: Doc, which: Any = None) -> Doc:
    member = "executionRoleArn" if which == "execution" else "taskRoleArn"
    role_arn = _role(task, member)
    if role_arn is None:
        raise AgentRequestError("BadRequestException", f"The task has no {member}.")
    assumed = _assume(app, task, role_arn)
    c = assumed.credentials
    task_credential_keys.remember(
        app.store, tasks.key_of(task), f"{app.config.account_id}/{c.access_key_id}"
    )
    return {
        "RoleArn": role_arn,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "Token": c.session_token,
        "Expiration": rfc3339(c.expiration),
        "expiresAt": c.expiration,
    }


async def secrets_answer(app: App, task: Doc, body: Doc) -> Doc:
    wanted = body.get("secrets")
    if not isinstance(wanted, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str)
        and isinstance(s.get("valueFrom"), str) for s in wanted
    ):
        raise AgentRequestError("BadRequestException", "secrets must be [{name, valueFrom}].")
    role_arn = _role(task, "executionRoleArn")
    if role_arn is None:
        raise AgentRequestError(
            "ResourceInitializationError",
            SECRETS_FAILED + "the task has secrets but no executionRoleArn to read them with",
        )
    try:
        assumed = _assume(app, task, role_arn)
    except AgentRequestError as e:
        raise AgentRequestError("ResourceInitializationError", SECRETS_FAILED + e.message) from e
    parsed = arns.parse_arn(task["taskArn"])
    assert parsed is not None
    values: dict[str, str] = {}
    try:
        for s in wanted:
            try:
                values[s["name"]] = await resolve_secret_value(
                    app, parsed.region, parsed.account_id, s["valueFrom"], assumed.arn
                )
            except AwsError as e:
                raise AgentRequestError(
                    "ResourceInitializationError", SECRETS_FAILED + _failure(s["valueFrom"], e)
                ) from e
    finally:
        revoke(app, assumed.credentials.access_key_id)
    return {"values": values}


def _failure(value_from: str, e: AwsError) -> str:
    """How the ECS agent words a failed fetch."""
    if e.code == "ResourceInitializationError":
        return e.message
    if value_from.startswith("arn:") and ":secretsmanager:" in value_from:
        return (
            "unable to retrieve secret from asm: service call has been retried 1 time(s): "
            f"failed to fetch secret {value_from} from secrets manager: {e.code}: {e.message}"
        )
    return (
        "unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
        f"{e.code}: {e.message}"
    )
