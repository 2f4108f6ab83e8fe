"""The agent's end of the long poll ``POST /_cargobay/agent/poll`` (docs/agent-protocol.md).

A tiny HTTP/1.1 client on asyncio streams, so a held poll can be dropped at once (the
agent does when a container's health changes) by cancelling the coroutine.  Requests
are SigV4-signed with botocore's signer, like API calls.  One keep-alive connection is
reused between polls.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cargobay.agent.ecs_client import AGENT_ACCESS_KEY, AGENT_SECRET_KEY, Unreachable

POLL_PATH = "/_cargobay/agent/poll"
MAX_BODY = 64 << 20


class ChannelError(Exception):
    """The control plane refused the poll (4xx): ``code`` is its ``__type``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PollClient:
    def __init__(self, endpoint: str, region: str) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "http":
            raise ValueError(f"the agent channel needs an http:// endpoint, not {endpoint!r}")
        self.endpoint = endpoint.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.region = region
        self._creds = Credentials(AGENT_ACCESS_KEY, AGENT_SECRET_KEY)
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def poll(self, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        """POST ``body``; the JSON answer.  Unreachable when no answer came within
        ``timeout`` seconds or the connection failed; ChannelError for a 4xx."""
        payload = orjson.dumps(body)
        headers = self._sign(payload)
        try:
            status, data = await asyncio.wait_for(self._exchange(payload, headers), timeout)
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
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn[1].close()
            self._conn = None

    def _sign(self, payload: bytes) -> dict[str, str]:
        req = AWSRequest(
            method="POST",
            url=self.endpoint + POLL_PATH,
            data=payload,
            headers={"Content-Type": "application/json"},
        )
        SigV4Auth(self._creds, "ecs", self.region).add_auth(req)
        return {k: str(v) for k, v in req.headers.items()}

    async def _exchange(self, payload: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (1, 2):
            fresh = self._conn is None
            if self._conn is None:
                self._conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = self._conn
            lines = [f"POST {POLL_PATH} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
            lines += [f"Content-Length: {len(payload)}", "Connection: keep-alive", "", ""]
            try:
                writer.write("\r\n".join(lines).encode("latin-1") + payload)
                await writer.drain()
                return await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                if fresh or attempt == 2:
                    raise  # a reused connection may have been closed by the server: retry once
        raise OSError("unreachable")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status_line = await reader.readuntil(b"\r\n")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"bad status line {status_line!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for _ in range(200):
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        total = 0
        for _ in range(1_000_000):
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            total += size
            if total > MAX_BODY:
                raise ValueError("poll answer too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(chunks)
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise ValueError("poll answer too large")
    return status, await reader.readexactly(length) if length else b""
