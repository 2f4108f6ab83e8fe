"""IAM for the agent's tasks: task-role credentials served to their task alone, and
``secrets`` read with the execution role (docs/agent-protocol.md §2b).

- **Task role**: for a task with a ``taskRoleArn`` the agent asks the control plane
  (``POST /_cargobay/ecs/agent/credentials``, SigV4-signed like the poll) for the role's
  credentials, keeps them under a random credentials id, and gives every container of
  the task ``AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:<port>/v2/credentials/<id>``
  and ``AWS_CONTAINER_AUTHORIZATION_TOKEN=<the task's random token>``; botocore and the
  AWS CLI read them unchanged.  The endpoint (on the metadata server's port) answers
  only a request whose ``Authorization`` header is that task's token.  Credentials are
  fetched again at half their lifetime, and released (revoked by the control plane)
  when the task's containers have stopped, before the task is reported STOPPED.
- **Restarts**: the id, the token and the role ARN (:meth:`TaskIam.saved`) are kept in
  the task's record (the agent's state file, the Fargate fleet's ``ecs.fargate_runs``),
  never the keys.  A restarted agent that adopts the task's containers gives the same id
  and token back (:meth:`TaskIam.adopt`) and fetches fresh keys for the role, so the
  containers' endpoint keeps answering; until the first fetch succeeds it answers 400
  "Credentials not found" (the SDK retries) and the refresher keeps trying.
- **Secrets**: ``POST /_cargobay/ecs/agent/secrets`` returns the values, read by the
  control plane as the execution role's session for the task; they go into the
  containers' environment only (never into the state file or a report).
- ``AWS_ENDPOINT_URL`` is set to the control plane's endpoint (unless the task sets it),
  so SDKs in tasks reach cargobay.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from botocore.awsrequest import AWSRequest

from cargobay.agent.assignment import Assignment
from cargobay.agent.credentials import AgentCredentials
from cargobay.agent.ecs_client import Unreachable
from cargobay.agent.http_client import HttpConnection
from cargobay.clock import Clock

log = logging.getLogger("cargobay.agent.iam")

PREFIX = "/_cargobay/ecs/agent/"
#: seconds a call to the control plane may take
CALL_TIMEOUT = 30.0
#: refresh never sooner than this after a fetch (seconds)
MIN_REFRESH = 5.0
#: attempts of a failed refresh before giving up until the next period
REFRESH_RETRIES = 5


class TaskStartError(Exception):
    """The task cannot start: ``reason`` is its stoppedReason (TaskFailedToStart)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PlaneRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class ControlPlane:
    """Signed JSON POSTs to the control plane's ``/_cargobay/ecs/agent/…`` endpoints."""

    def __init__(self, endpoint: str, region: str, creds: AgentCredentials) -> None:
        parts = urlsplit(endpoint)
        self.endpoint = endpoint.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.region = region
        self._creds = creds

    async def post(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = orjson.dumps(body)
        req = AWSRequest(
            method="POST",
            url=self.endpoint + PREFIX + name,
            data=payload,
            headers={"Content-Type": "application/json"},
        )
        self._creds.sign(req, self.region)
        headers = {k: str(v) for k, v in req.headers.items()}
        conn = HttpConnection(self.host, self.port)
        try:
            status, data = await asyncio.wait_for(
                conn.request("POST", PREFIX + name, headers, payload), CALL_TIMEOUT
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as e:
            raise Unreachable(f"{name}: {e!r}") from e
        finally:
            conn.close()
        try:
            doc = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            doc = None
        if status >= 500 or not isinstance(doc, dict):
            raise Unreachable(f"{name} answered HTTP {status}")
        if status >= 400:
            raise PlaneRefused(status, str(doc.get("__type", "Error")), str(doc.get("message", "")))
        return doc


@dataclass
class _Entry:
    task_arn: str
    token: str
    creds: dict[str, Any]  # empty: adopted after a restart, not fetched yet
    role_arn: str | None = None
    refresher: asyncio.Task[None] | None = field(default=None, repr=False)


class TaskIam:
    """The agent's credentials manager and secrets fetcher (one per agent)."""

    def __init__(
        self,
        clock: Clock,
        plane: ControlPlane,
        *,
        endpoint_url: str,
        instance_arn: Any,  # () -> str | None
        base_url: Any,  # () -> "http://127.0.0.1:<port>"
    ) -> None:
        self.clock = clock
        self.plane = plane
        self.endpoint_url = endpoint_url
        self._instance_arn = instance_arn
        self._base_url = base_url
        self._by_id: dict[str, _Entry] = {}
        self._by_task: dict[str, str] = {}

    # -- for the task runner -----------------------------------------------------------

    async def environment(self, task: Assignment) -> dict[str, str]:
        """What every container of ``task`` gets: the credentials endpoint when the task
        has a role (fetched now), and AWS_ENDPOINT_URL.  TaskStartError when the role
        cannot be assumed."""
        env = {"AWS_ENDPOINT_URL": self.endpoint_url}
        if not task_role(task):
            return env
        cred_id = self._by_task.get(task.task_arn)
        if cred_id is None:
            creds = await self._fetch(task.task_arn)
            cred_id = secrets.token_hex(16)
            entry = _Entry(task.task_arn, secrets.token_urlsafe(32), creds, task_role(task))
            self._by_id[cred_id] = entry
            self._by_task[task.task_arn] = cred_id
            self._start_refresher(cred_id, task)
        else:
            entry = self._by_id[cred_id]
            if not entry.creds:  # adopted after a restart: fresh keys for the same id
                try:
                    entry.creds = await self._fetch(task.task_arn)
                except TaskStartError as e:
                    log.warning("credentials of adopted task %s: %s (retrying)",
                                task.task_arn, e.reason)
            if entry.refresher is None:
                self._start_refresher(cred_id, task)
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"{self._base_url()}/v2/credentials/{cred_id}"
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = self._by_id[cred_id].token
        return env

    def saved(self, task_arn: str) -> dict[str, str] | None:
        """What a restarted agent needs to serve ``task_arn``'s containers the same
        endpoint: ``{"id", "token", "roleArn"}`` (no keys), or None without a role."""
        cred_id = self._by_task.get(task_arn)
        entry = self._by_id.get(cred_id) if cred_id is not None else None
        if cred_id is None or entry is None:
            return None
        out = {"id": cred_id, "token": entry.token}
        if entry.role_arn:
            out["roleArn"] = entry.role_arn
        return out

    def adopt(self, task: Assignment, saved: dict[str, str] | None) -> bool:
        """After a restart: serve ``task``'s running containers the credentials id and
        token they were given (``saved``, from :meth:`saved`); the keys are fetched by
        the next :meth:`environment`.  False (nothing adopted) when ``saved`` is missing
        or does not fit the task's role, or the id is taken."""
        role = task_role(task)
        if not saved or not role or not saved.get("id") or not saved.get("token"):
            return False
        if saved.get("roleArn") and saved["roleArn"] != role:
            return False
        cred_id = saved["id"]
        current = self._by_task.get(task.task_arn)
        if current == cred_id:
            return True
        if current is not None or cred_id in self._by_id:
            return False
        self._by_id[cred_id] = _Entry(task.task_arn, saved["token"], {}, role)
        self._by_task[task.task_arn] = cred_id
        return True

    async def secrets(self, task: Assignment, wanted: list[dict[str, Any]]) -> dict[str, str]:
        """The values of ``wanted`` (``[{name, valueFrom}]``); TaskStartError with ECS's
        ResourceInitializationError when they cannot be read."""
        if not wanted:
            return {}
        body = {
            "containerInstanceArn": self._instance_arn(),
            "taskArn": task.task_arn,
            "secrets": [{"name": s["name"], "valueFrom": s["valueFrom"]} for s in wanted],
        }
        try:
            out = await self.plane.post("secrets", body)
        except PlaneRefused as e:
            raise TaskStartError(e.message) from None
        except Unreachable as e:
            raise TaskStartError(
                "ResourceInitializationError: unable to pull secrets or registry auth: "
                f"execution resource retrieval failed: {e}"
            ) from None
        values = out.get("values") or {}
        return {str(k): str(v) for k, v in values.items()}

    async def release(self, task_arn: str) -> None:
        """The task's containers have stopped: forget and revoke its credentials."""
        cred_id = self._by_task.pop(task_arn, None)
        if cred_id is None:
            return
        entry = self._by_id.pop(cred_id, None)
        if entry is not None and entry.refresher is not None:
            entry.refresher.cancel()
        body = {"containerInstanceArn": self._instance_arn(), "taskArn": task_arn}
        try:
            await self.plane.post("release", body)
        except (PlaneRefused, Unreachable) as e:
            log.warning("could not revoke the credentials of %s (they expire): %s", task_arn, e)

    def _start_refresher(self, cred_id: str, task: Assignment) -> None:
        self._by_id[cred_id].refresher = asyncio.create_task(
            self._refresh(cred_id), name=f"credentials-{task.task_id}"
        )

    def close(self) -> None:
        for entry in self._by_id.values():
            if entry.refresher is not None:
                entry.refresher.cancel()

    # -- the endpoint ------------------------------------------------------------------

    def answer(self, path: str, query: str, headers: dict[str, str]) -> tuple[int, Any]:
        """``/v2/credentials/<id>`` or ``/v1/credentials?id=<id>``: (status, JSON body),
        as the ECS agent answers."""
        if path.startswith("/v1/"):
            kind = "CredentialsV1Request"
            cred_id = (parse_qs(query).get("id") or [""])[0]
        else:
            kind = "CredentialsV2Request"
            cred_id = path[len("/v2/credentials") :].strip("/")
        if not cred_id:
            return 400, {"code": "NoIdInRequest",
                         "message": f"{kind}: No Credential ID in the request"}
        entry = self._by_id.get(cred_id)
        if entry is None or not entry.creds:  # unknown, or adopted and not fetched yet
            return 400, {"code": "InvalidIdInRequest",
                         "message": f"{kind}: Credentials not found"}
        given = headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), entry.token.encode()):
            return 403, {"code": "AccessDenied",
                         "message": f"{kind}: The Authorization header does not match the "
                                    "token of these credentials"}
        c = entry.creds
        return 200, {k: c[k] for k in
                     ("RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration")}

    # -- fetching ----------------------------------------------------------------------

    async def _fetch(self, task_arn: str) -> dict[str, Any]:
        body = {"containerInstanceArn": self._instance_arn(), "taskArn": task_arn}
        try:
            return await self.plane.post("credentials", body)
        except PlaneRefused as e:
            raise TaskStartError(e.message) from None
        except Unreachable as e:
            raise TaskStartError(f"CannotStartContainerError: task role credentials: {e}") from None

    async def _refresh(self, cred_id: str) -> None:
        """Fetch new credentials at half the lifetime of the current ones (bounded)."""
        for _ in range(1_000_000):
            entry = self._by_id.get(cred_id)
            if entry is None:
                return
            left = float(entry.creds.get("expiresAt") or 0) - self.clock.now()
            await self.clock.sleep(max(MIN_REFRESH, left / 2))
            for attempt in range(REFRESH_RETRIES):
                if cred_id not in self._by_id:
                    return
                try:
                    entry.creds = await self._fetch(entry.task_arn)
                    break
                except TaskStartError as e:
                    log.warning("refreshing credentials of %s: %s", entry.task_arn, e.reason)
                    with contextlib.suppress(Exception):
                        await self.clock.sleep(min(30.0, 2.0**attempt))


def task_role(task: Assignment) -> str | None:
    value = task.overrides.get("taskRoleArn") or task.task_definition.get("taskRoleArn")
    return str(value) if value else None
