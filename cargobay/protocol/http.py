"""The HTTP request and response as the protocol layer sees them (no framework types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

import orjson


@dataclass
class HttpRequest:
    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    #: the path as sent, still percent-encoded ("" when unknown)
    raw_path: str = ""
    #: the body as sent when ``body`` is its decoded form (Content-Encoding: gzip): what
    #: SigV4's payload hash covers
    wire_body: bytes | None = None

    @cached_property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)


@dataclass
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def json_response(status: int, body: Any) -> HttpResponse:
    """A JSON answer (cargobay's own endpoints: health, the agent channel, credentials)."""
    return HttpResponse(status, [("content-type", "application/json")], orjson.dumps(body))
