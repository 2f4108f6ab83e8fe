"""The agent's side of the public ECS API, with botocore.

Registration and the other rare calls use a botocore client; it is blocking, so they run
in this module's own small executor and the agent's event loop never waits on a socket.
The hot path, SubmitTaskStateChange and SubmitContainerStateChange (two per task), is
serialized (and checked against the model) by botocore's own json serializer, signed
by its SigV4 signer and sent over the agent's asyncio connections: a botocore client
call costs about 1.3 ms of CPU and a thread hop, which was a third of what the agent
spent per task.  The agent signs with its own credentials (:mod:`cargobay.agent.credentials`:
botocore's chain, else the bootstrap root keys), re-read before each signing; they are
never passed to a task.  Errors come back as :class:`ApiError` (the service answered:
``code`` is AWS's) or :class:`Unreachable` (no answer: retry later).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.serialize
import orjson
from botocore.awsrequest import AWSRequest

from cargobay.agent.credentials import AgentCredentials
from cargobay.agent.http_client import ConnectionPool

#: operations sent without the botocore client (see the module docstring)
FAST_OPERATIONS = {
    "submit_task_state_change": "SubmitTaskStateChange",
    "submit_container_state_change": "SubmitContainerStateChange",
}
#: seconds a fast call may take before it counts as unanswered
FAST_TIMEOUT = 30.0


class ApiError(Exception):
    """The service refused the call."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class Unreachable(Exception):
    """The service did not answer (down, restarting, refused the connection)."""


def make_client(
    service: str, endpoint: str, region: str, creds: AgentCredentials, *, timeout: float = 30.0
) -> Any:
    return creds.client(
        service,
        endpoint,
        region,
        botocore.config.Config(
            retries={"max_attempts": 1},
            connect_timeout=5,
            read_timeout=timeout,
            max_pool_connections=16,
            parameter_validation=True,
        ),
    )


class EcsApi:
    """Async calls to ECS (and S3 for environment files) at ``endpoint``."""

    def __init__(
        self, endpoint: str, region: str, creds: AgentCredentials, *, workers: int = 8
    ) -> None:
        self.endpoint = endpoint
        self.region = region
        self.creds = creds
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ecs-api")
        self._ecs = make_client("ecs", endpoint, region, creds)
        self._s3: Any = None
        self._model = self._ecs.meta.service_model
        self._serializer = botocore.serialize.create_serializer(
            "json", include_validation=True, timestamp_precision="millisecond"
        )
        self._pool: ConnectionPool | None = None

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ECS ``operation`` (botocore's snake_case name) with ``params``."""
        if operation in FAST_OPERATIONS:
            return await self._fast(FAST_OPERATIONS[operation], params)
        return await self._run(getattr(self._ecs, operation), **params)

    async def _fast(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        op = self._model.operation_model(operation)
        try:
            req = self._serializer.serialize_to_request(params, op)
        except botocore.exceptions.ParamValidationError as e:
            raise ApiError("ParamValidationError", str(e), 400) from e
        body: bytes = req["body"] if isinstance(req["body"], bytes) else req["body"].encode()
        aws = AWSRequest(
            method=req["method"],
            url=self.endpoint.rstrip("/") + req["url_path"],
            data=body,
            headers=dict(req["headers"]),
        )
        self.creds.sign(aws, self.region)
        headers = {k: str(v) for k, v in aws.headers.items()}
        if self._pool is None:
            self._pool = ConnectionPool(self.endpoint)
        try:
            status, data = await asyncio.wait_for(
                self._pool.request(req["method"], req["url_path"], headers, body), FAST_TIMEOUT
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as e:
            raise Unreachable(f"{operation}: {e!r}") from e
        try:
            doc = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            doc = {}
        if status >= 500 or not isinstance(doc, dict):
            raise Unreachable(f"{operation} answered HTTP {status}")
        if status >= 400:
            code = str(doc.get("__type", "Error")).rsplit("#", 1)[-1]
            raise ApiError(code, str(doc.get("message", doc.get("Message", ""))), status)
        return doc

    async def read_s3_object(self, arn: str) -> str:
        from cargobay.agent.env_files import split_s3_arn

        bucket, key = split_s3_arn(arn)
        if self._s3 is None:
            self._s3 = make_client("s3", self.endpoint, self.region, self.creds)
        resp = await self._run(self._s3.get_object, Bucket=bucket, Key=key)
        body = resp["Body"]
        data: bytes = await asyncio.get_running_loop().run_in_executor(self._threads, body.read)
        return data.decode("utf-8", "replace")

    async def _run(self, fn: Any, **params: Any) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        try:
            result: dict[str, Any] = await loop.run_in_executor(
                self._threads, partial(fn, **params)
            )
        except botocore.exceptions.ClientError as e:
            err = e.response.get("Error", {})
            status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
            if status >= 500 or status == 0:
                raise Unreachable(f"{err.get('Code', 'Error')}: {err.get('Message', '')}") from e
            raise ApiError(str(err.get("Code", "")), str(err.get("Message", "")), status) from e
        except (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.HTTPClientError,
        ) as e:
            raise Unreachable(str(e)) from e
        return result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        self._threads.shutdown(wait=False, cancel_futures=True)
        for c in (self._ecs, self._s3):
            if c is not None:
                c.close()
