"""The agent's side of the public ECS API: a botocore client, called from a thread pool.

botocore is blocking, so every call runs in this module's own small executor and the
agent's event loop never waits on a socket.  The agent signs with its own credentials
(``test``/``test`` until the IAM issue issues real ones); they are never passed to a
task.  Errors come back as :class:`ApiError` (the service answered: ``code`` is AWS's)
or :class:`Unreachable` (no answer: retry later).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import botocore.config
import botocore.exceptions
import botocore.session

AGENT_ACCESS_KEY = "test"
AGENT_SECRET_KEY = "test"


class ApiError(Exception):
    """The service refused the call."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class Unreachable(Exception):
    """The service did not answer (down, restarting, refused the connection)."""


def make_client(service: str, endpoint: str, region: str, *, timeout: float = 30.0) -> Any:
    session = botocore.session.Session()
    return session.create_client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=AGENT_ACCESS_KEY,
        aws_secret_access_key=AGENT_SECRET_KEY,
        config=botocore.config.Config(
            retries={"max_attempts": 1},
            connect_timeout=5,
            read_timeout=timeout,
            max_pool_connections=16,
            parameter_validation=True,
        ),
    )


class EcsApi:
    """Async calls to ECS (and S3 for environment files) at ``endpoint``."""

    def __init__(self, endpoint: str, region: str, *, workers: int = 8) -> None:
        self.endpoint = endpoint
        self.region = region
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ecs-api")
        self._ecs = make_client("ecs", endpoint, region)
        self._s3: Any = None

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ECS ``operation`` (botocore's snake_case name) with ``params``."""
        return await self._run(getattr(self._ecs, operation), **params)

    async def read_s3_object(self, arn: str) -> str:
        from cargobay.agent.env_files import split_s3_arn

        bucket, key = split_s3_arn(arn)
        if self._s3 is None:
            self._s3 = make_client("s3", self.endpoint, self.region)
        resp = await self._run(self._s3.get_object, Bucket=bucket, Key=key)
        body = resp["Body"]
        data: bytes = await asyncio.get_running_loop().run_in_executor(self._pool, body.read)
        return data.decode("utf-8", "replace")

    async def _run(self, fn: Any, **params: Any) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        try:
            result: dict[str, Any] = await loop.run_in_executor(self._pool, partial(fn, **params))
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
        self._pool.shutdown(wait=False, cancel_futures=True)
        for c in (self._ecs, self._s3):
            if c is not None:
                c.close()
