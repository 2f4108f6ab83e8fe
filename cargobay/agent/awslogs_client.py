"""CloudWatch Logs calls the agent makes for the ``awslogs`` log driver: JSON 1.1 requests
(``X-Amz-Target: Logs_20140328.<Operation>``) to the control plane's endpoint, SigV4-signed
by botocore with a task's execution-role credentials, sent on the agent's own asyncio
HTTP connection so that shipping never blocks the event loop."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cargobay.agent.http_client import HttpConnection

TARGET = "Logs_20140328."
#: seconds one call may take
CALL_TIMEOUT = 30.0


class LogsUnreachable(Exception):
    """The endpoint did not answer (or answered 5xx): worth retrying."""


class LogsError(Exception):
    """CloudWatch Logs refused the call (4xx) with an AWS error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def credentials_of(doc: dict[str, Any]) -> Credentials:
    """botocore credentials from the control plane's credentials answer."""
    return Credentials(str(doc["AccessKeyId"]), str(doc["SecretAccessKey"]), doc.get("Token"))


class LogsClient:
    """One keep-alive connection to the endpoint; one call at a time (callers serialize)."""

    def __init__(self, endpoint: str) -> None:
        parts = urlsplit(endpoint)
        self.endpoint = endpoint.rstrip("/")
        self.conn = HttpConnection(parts.hostname or "127.0.0.1", parts.port or 80)

    async def call(
        self, operation: str, body: dict[str, Any], creds: Credentials, region: str
    ) -> dict[str, Any]:
        payload = orjson.dumps(body)
        req = AWSRequest(
            method="POST",
            url=self.endpoint + "/",
            data=payload,
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": TARGET + operation,
            },
        )
        SigV4Auth(creds, "logs", region).add_auth(req)
        headers = {k: str(v) for k, v in req.headers.items()}
        try:
            status, data = await asyncio.wait_for(
                self.conn.request("POST", "/", headers, payload), CALL_TIMEOUT
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as e:
            self.conn.close()
            raise LogsUnreachable(f"{operation}: {e!r}") from e
        try:
            doc = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            doc = None
        if status >= 500 or not isinstance(doc, dict):
            raise LogsUnreachable(f"{operation} answered HTTP {status}")
        if status >= 400:
            code = str(doc.get("__type", "Error")).rsplit("#", 1)[-1]
            raise LogsError(code, str(doc.get("message") or doc.get("Message") or ""))
        return doc

    def close(self) -> None:
        self.conn.close()
