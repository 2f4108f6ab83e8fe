"""The agent's end of the long poll ``POST /_cargobay/agent/poll`` (docs/agent-protocol.md).

Requests go over :class:`~cargobay.agent.http_client.HttpConnection` (asyncio streams),
so a held poll can be dropped at once (the agent does when a container's health
changes) by cancelling the coroutine.  They are SigV4-signed with the agent's
credentials (:mod:`cargobay.agent.credentials`), like API calls.  One keep-alive
connection is reused between polls.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import orjson
from botocore.awsrequest import AWSRequest

from cargobay.agent.credentials import AgentCredentials
from cargobay.agent.ecs_client import Unreachable
from cargobay.agent.http_client import HttpConnection

POLL_PATH = "/_cargobay/agent/poll"


class ChannelError(Exception):
    """The control plane refused the poll (4xx): ``code`` is its ``__type``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PollClient:
    def __init__(
        self, endpoint: str, region: str, creds: AgentCredentials | None = None
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "http":
            raise ValueError(f"the agent channel needs an http:// endpoint, not {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.region = region
        self._creds = creds or AgentCredentials.resolve()
        self._conn = HttpConnection(self.host, self.port)

    async def poll(self, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        """POST ``body``; the JSON answer.  Unreachable when no answer came within
        ``timeout`` seconds or the connection failed; ChannelError for a 4xx."""
        payload = orjson.dumps(body)
        headers = self._sign(payload)
        try:
            status, data = await asyncio.wait_for(
                self._conn.request("POST", POLL_PATH, headers, payload), timeout
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as e:
            self.close()
            raise Unreachable(f"poll failed: {e!r}") from e
        except BaseException:
            self.close()  # cancelled mid-exchange: the connection is in an unknown state
            raise
        try:
            doc = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError as e:
            raise Unreachable(f"poll answer is not JSON (HTTP {status})") from e
        if status >= 500:
            raise Unreachable(f"poll answered HTTP {status}")
        if status >= 400 or not isinstance(doc, dict):
            d = doc if isinstance(doc, dict) else {}
            raise ChannelError(
                status,
                str(d.get("__type", "Error")).rsplit("#", 1)[-1],
                str(d.get("message", d.get("Message", ""))),
            )
        return doc

    def close(self) -> None:
        self._conn.close()

    def _sign(self, payload: bytes) -> dict[str, str]:
        req = AWSRequest(
            method="POST",
            url=self.endpoint + POLL_PATH,
            data=payload,
            headers={"Content-Type": "application/json"},
        )
        self._creds.sign(req, self.region)
        return {k: str(v) for k, v in req.headers.items()}
