"""A tiny HTTP/1.1 client on asyncio streams, for the agent's calls to its control plane.

Keep-alive connections, requests with a Content-Length body, answers with a
Content-Length or chunked body.  Cancelling a request drops its connection (the
agent does that to a held poll when a container's health changes).  Requests are
signed by the caller (SigV4, with botocore's signer).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

MAX_BODY = 64 << 20


class HttpConnection:
    """One keep-alive connection to ``host:port``, used by one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        """(status, body).  OSError, IncompleteReadError or ValueError when it fails; a
        reused connection the server had closed is retried once on a fresh one."""
        for attempt in (1, 2):
            fresh = self._conn is None
            if self._conn is None:
                self._conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = self._conn
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
            lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() != "host"]
            lines += [f"Content-Length: {len(body)}", "", ""]
            try:
                writer.write("\r\n".join(lines).encode("latin-1") + body)
                await writer.drain()
                return await read_response(reader)
            except (OSError, asyncio.IncompleteReadError):
                self.close()
                if fresh or attempt == 2:
                    raise
            except BaseException:
                self.close()  # cancelled or broken mid-exchange: state unknown
                raise
        raise OSError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn[1].close()
            self._conn = None


class ConnectionPool:
    """Up to ``size`` keep-alive connections to one endpoint, for concurrent requests."""

    def __init__(self, endpoint: str, size: int = 8) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "http":
            raise ValueError(f"the agent needs an http:// endpoint, not {endpoint!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._idle: list[HttpConnection] = []
        self._slots = asyncio.Semaphore(size)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else HttpConnection(self.host, self.port)
            try:
                result = await conn.request(method, path, headers, body)
            except BaseException:
                conn.close()
                raise
            self._idle.append(conn)
            return result

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
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
                raise ValueError("answer too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(chunks)
    length = int(headers.get("content-length", "0") or 0)
    if length > MAX_BODY:
        raise ValueError("answer too large")
    return status, await reader.readexactly(length) if length else b""
