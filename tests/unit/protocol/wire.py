"""Round trips through botocore's own serializers and parsers, without a server.

``request`` turns botocore's serialized request dict into the :class:`HttpRequest` the
server would hand the protocol layer (percent-decoded path, raw query string, lower-case
headers); ``response`` parses an :class:`HttpResponse` the way a botocore client does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from urllib3 import HTTPHeaderDict

from cargobay.protocol.base import RequestContext
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.models import service_model

ENDPOINT = "http://127.0.0.1:4747"


def op_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def request(protocol: str, op: OperationModel, params: dict[str, Any]) -> HttpRequest:
    serialized = create_serializer(protocol).serialize_to_request(params, op)
    prepare_request_dict(serialized, ENDPOINT)
    prepared = create_request_object(serialized).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    return HttpRequest(prepared.method, unquote(url.path), url.query, headers, bytes(body))


def response(protocol: str, resp: HttpResponse, op: OperationModel) -> dict[str, Any]:
    shape: Any = op.output_shape  # botocore's parsers take None for "no output"
    parsed: dict[str, Any] = create_parser(protocol).parse(
        # clients hand parsers case-insensitive headers
        {"status_code": resp.status, "headers": HTTPHeaderDict(resp.headers), "body": resp.body},
        shape,
    )
    return parsed


def ctx(service: str, operation: str, protocol: str) -> RequestContext:
    return RequestContext(service, operation, "us-east-1", "000000000000", "req-1234", protocol)


def epoch(value: datetime) -> float:
    return value.timestamp()
