"""One HTTP/1.1 POST to a subscriber's endpoint, for deliveries.

Endpoints are on 127.0.0.0/8 (checked at Subscribe); https endpoints are reached over
TLS without certificate checks (a local endpoint's certificate is usually self-signed).
A request that takes longer than :data:`TIMEOUT` seconds fails, as SNS's 15-second
delivery timeout does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit

TIMEOUT = 15.0
_MAX_HEAD = 65_536


class DeliveryFailed(Exception):
    """No HTTP answer: connection refused or reset, timeout, unreadable response."""


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def post(url: str, headers: list[tuple[str, str]], body: bytes,
               timeout: float = TIMEOUT) -> int:
    """POST ``body`` to ``url``; the response's status code (DeliveryFailed if none)."""
    try:
        return await asyncio.wait_for(_post(url, headers, body), timeout)
    except (TimeoutError, OSError, ValueError, EOFError) as e:
        raise DeliveryFailed(f"{type(e).__name__}: {e}") from None


async def _post(url: str, headers: list[tuple[str, str]], body: bytes) -> int:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if https else 80)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    reader, writer = await asyncio.open_connection(host, port, ssl=_tls() if https else None)
    try:
        lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}",
                 f"Content-Length: {len(body)}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        status = await reader.readline()
        if not status:
            raise EOFError("the endpoint closed the connection without answering")
        fields = status.decode("latin-1").split()
        if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
            raise ValueError(f"not an HTTP response: {status[:80]!r}")
        # read the rest of the head so the endpoint is not cut off mid-response
        seen = 0
        while seen < _MAX_HEAD:
            line = await reader.readline()
            seen += len(line)
            if line in (b"\r\n", b"\n", b""):
                break
        return int(fields[1])
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
