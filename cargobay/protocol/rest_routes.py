"""Finding a REST operation from its HTTP method and path, by the model's ``requestUri``.

Each template (``/2015-02-01/file-systems/{FileSystemId}``, ``/{Bucket}/{Key+}?uploads``)
becomes a regular expression: ``{Label}`` matches one path segment, ``{Label+}`` the
rest of the path; literal query parts (``?uploads``, ``?x-id=Op``) must be present.
A model's table is built once; the most literal template that matches wins.

Matching uses the path as sent (``raw_path``, still percent-encoded), so a label
whose value holds ``%2F`` (an ARN as the last segment) stays one segment and is decoded
afterwards.  Where only the decoded path is known, templates are tried again with
labels allowed to span segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel

from cargobay.protocol.http import HttpRequest

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class RestRoute:
    operation: str
    method: str
    strict: re.Pattern[str]
    relaxed: re.Pattern[str]
    labels: tuple[str, ...]
    query: tuple[tuple[str, str | None], ...]
    #: literal characters in the path template: more means more specific
    weight: int

    def match(self, req: HttpRequest, relaxed: bool = False) -> dict[str, str] | None:
        if req.method.upper() != self.method:
            return None
        raw = req.raw_path.partition("?")[0]
        m = (self.relaxed if relaxed else self.strict).fullmatch(raw or req.path)
        if m is None:
            return None
        if self.query:
            present = dict(req.query)
            for key, value in self.query:
                if key not in present or (value is not None and present[key] != value):
                    return None
        groups = [unquote(g) for g in m.groups()] if raw else list(m.groups())
        return dict(zip(self.labels, groups, strict=True))


def compile_route(op: OperationModel) -> RestRoute:
    uri = str(op.http.get("requestUri", "/"))
    path, _, query = uri.partition("?")
    strict: list[str] = []
    relaxed: list[str] = []
    labels: list[str] = []
    weight = 0
    pos = 0
    for m in _LABEL.finditer(path):
        literal = re.escape(path[pos : m.start()])
        weight += m.start() - pos
        strict.append(literal)
        relaxed.append(literal)
        name = m.group(1)
        if name.endswith("+"):
            labels.append(name[:-1])
            strict.append("(.+)")
            relaxed.append("(.+)")
        else:
            labels.append(name)
            strict.append("([^/]+)")
            relaxed.append("(.+?)")
        pos = m.end()
    tail = path[pos:]
    weight += len(tail)
    # a trailing slash is optional either way
    tail_rx = "/" if path == "/" else re.escape(tail.removesuffix("/")) + "/?"
    strict.append(tail_rx)
    relaxed.append(tail_rx)
    pairs: list[tuple[str, str | None]] = []
    for part in query.split("&"):
        if part:
            key, eq, value = part.partition("=")
            pairs.append((key, value if eq else None))
    return RestRoute(
        operation=op.name,
        method=str(op.http.get("method", "POST")).upper(),
        strict=re.compile("".join(strict)),
        relaxed=re.compile("".join(relaxed)),
        labels=tuple(labels),
        query=tuple(pairs),
        weight=weight,
    )


@dataclass
class RouteTable:
    routes: list[RestRoute]
    by_operation: dict[str, RestRoute]

    def find(self, req: HttpRequest) -> tuple[RestRoute, dict[str, str]] | None:
        for relaxed in (False, True):
            for route in self.routes:
                labels = route.match(req, relaxed)
                if labels is not None:
                    return route, labels
        return None


def build_table(model: ServiceModel) -> RouteTable:
    routes = [compile_route(model.operation_model(name)) for name in model.operation_names]
    # most literal first; then fewer labels; then more required query parts
    routes.sort(key=lambda r: (-r.weight, len(r.labels), -len(r.query)))
    return RouteTable(routes, {r.operation: r for r in routes})


_TABLES: dict[int, tuple[ServiceModel, RouteTable]] = {}


def table(model: ServiceModel) -> RouteTable:
    """The route table of ``model``, built on first use."""
    cached = _TABLES.get(id(model))
    if cached is None or cached[0] is not model:
        cached = (model, build_table(model))
        _TABLES[id(model)] = cached
    return cached[1]
