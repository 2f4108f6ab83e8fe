"""The fleet's side of the control plane, in-process (no HTTP, no signing).

- :class:`InProcessEcs` stands in for the agent's EcsApi: the task runner's reports
  (SubmitTaskStateChange, SubmitContainerStateChange) go through the dispatcher
  (``app.dispatcher.call``: the input checked against the model as an HTTP request's
  would be) to the same handlers agents reach over HTTP.  The account, Region and
  cluster of each call are the task's (the fleet serves every account and Region).
- :class:`InProcessPlane` stands in for the agent's ControlPlane: task-role (and, for
  the awslogs driver, execution-role) credentials, secrets and their release for a
  Fargate task, with the same rules as
  ``/_cargobay/ecs/agent/…`` (agent_credentials) minus the instance check (a Fargate
  task has no instance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.agent.ecs_client import ApiError, EcsApi
from cargobay.agent.task_iam import ControlPlane, PlaneRefused
from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import agent_credentials, arns, task_credential_keys
from cargobay.services.ecs import task_store as tasks

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]


def operation_name(snake: str) -> str:
    """``submit_task_state_change`` → ``SubmitTaskStateChange``."""
    return "".join(part.capitalize() for part in snake.split("_"))


def task_key(task_arn: str) -> str | None:
    parsed = arns.parse_arn(task_arn)
    if parsed is None or parsed.resource_type != "task" or parsed.resource.count("/") != 1:
        return None
    return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"


class InProcessEcs(EcsApi):
    """The ECS calls of a task runner, made in-process."""

    def __init__(self, app: App) -> None:  # no HTTP client: nothing of EcsApi's state
        self.app = app
        self.region = app.config.region
        self.endpoint = ""

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        task_arn = str(params.get("task", ""))
        parsed = arns.parse_arn(task_arn)
        region, account = self.region, None
        if parsed is not None:
            region, account = parsed.region, parsed.account_id
            cluster = parsed.resource.split("/", 1)[0]
            params["cluster"] = (
                f"arn:{parsed.partition}:ecs:{region}:{account}:cluster/{cluster}"
            )
        try:
            return await self.app.dispatcher.call(
                "ecs", operation_name(operation), params, region=region, account_id=account
            )
        except AwsError as e:
            raise ApiError(e.code, e.message, e.status) from e

    async def read_s3_object(self, arn: str) -> str:
        raise ApiError(
            "UnsupportedFeatureException",
            f"cargobay's Fargate fleet cannot read environment files from S3 ({arn}).",
            400,
        )

    def close(self) -> None:
        """Nothing to close."""


class InProcessPlane(ControlPlane):
    """Credentials and secrets of Fargate tasks, in-process."""

    def __init__(self, app: App) -> None:  # no HTTP: nothing of ControlPlane's state
        self.app = app

    async def post(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        task_arn = str(body.get("taskArn", ""))
        key = task_key(task_arn)
        task = self.app.store.get(tasks.TABLE, key) if key is not None else None
        if task is None or task.get("launchType") != "FARGATE":
            raise PlaneRefused(400, "TaskNotFoundException", f"No Fargate task {task_arn}.")
        if name == "release":
            return {"revoked": task_credential_keys.revoke_all(self.app.store, tasks.key_of(task))}
        if task["lastStatus"] == "STOPPED":
            raise PlaneRefused(400, "TaskNotFoundException", f"The task {task_arn} is stopped.")
        try:
            if name == "credentials":
                # the same answer as the agents' endpoint (agent_credentials)
                out: Doc = agent_credentials.credentials_answer(self.app, task, body.get("role"))
                return out
            if name == "secrets":
                return await agent_credentials.secrets_answer(self.app, task, body)
        except agent_credentials.AgentRequestError as e:
            raise PlaneRefused(e.status, e.code, e.message) from None
        raise PlaneRefused(404, "NotFoundException", f"No {name}.")
