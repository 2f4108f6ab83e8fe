"""rest-json (efs, scheduler): the operation is the HTTP method plus the ``requestUri``
template; members come from URI labels, the query string, headers and a JSON body (or
the ``payload`` member); output members go to headers, the status code and the body.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError, SerializationError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.json_protocol import load_json_body
from cargobay.protocol.output import Encoder, shape_output
from cargobay.protocol.rest_input import located_members
from cargobay.protocol.rest_routes import table
from cargobay.protocol.validation import Decoder, check_input
from cargobay.protocol.wire_names import to_member_names, to_wire_names
from cargobay.protocol.xml_output import scalar_text, timestamp_text

_DECODER = Decoder()
_ENCODER = Encoder()
JSON = "application/json"
#: statuses whose responses carry no body
_NO_BODY = (204, 304)


class RestJsonProtocol:
    name = "rest-json"

    def operation_name(self, req: HttpRequest, model: ServiceModel) -> str | None:
        found = table(model).find(req)
        return found[0].operation if found else None

    def parse(self, req: HttpRequest, op: OperationModel) -> dict[str, Any]:
        shape = op.input_shape
        if shape is None:
            return {}
        route = table(op.service_model).by_operation[op.name]
        labels = route.match(req) or route.match(req, relaxed=True) or {}
        raw = located_members(shape, req, labels)
        payload = shape.serialization.get("payload")
        if payload:
            member = shape.members[payload]
            if member.type_name == "blob":
                if req.body:
                    raw[payload] = req.body
            elif member.type_name == "string":
                if req.body:
                    raw[payload] = _utf8(req.body)
            elif req.body.strip():
                raw[payload] = to_member_names(member, load_json_body(req.body))
        else:
            body = load_json_body(req.body)
            if not isinstance(body, dict):
                raise SerializationError("The request body must be a JSON object")
            named = to_member_names(shape, body)
            for name, member in shape.members.items():
                if name in named and not member.serialization.get("location"):
                    raw[name] = named[name]
        return check_input(shape, raw, _DECODER)

    def serialize(
        self, op: OperationModel, result: dict[str, Any], ctx: RequestContext
    ) -> HttpResponse:
        status = int(op.http.get("responseCode", 200))
        headers = [("x-amzn-requestid", ctx.request_id)]
        shape = op.output_shape
        if shape is None:
            return HttpResponse(status, headers, b"" if status in _NO_BODY else b"{}")
        body_values: dict[str, Any] = {}
        for name, member in shape.members.items():
            value = result.get(name)
            if value is None:
                continue
            loc = member.serialization.get("location")
            wire = str(member.serialization.get("name", name))
            if loc == "header":
                headers.append((wire.lower(), header_text(member, value)))
            elif loc == "headers" and isinstance(value, dict):
                headers += [(f"{wire}{k}".lower(), str(v)) for k, v in value.items()]
            elif loc == "statusCode":
                status = int(value)
            elif not loc:
                body_values[name] = value
        payload = shape.serialization.get("payload")
        if payload:
            body, ctype = _payload(shape.members[payload], result.get(payload))
        else:
            shaped = shape_output(shape, body_values, _ENCODER)
            body, ctype = orjson.dumps(to_wire_names(shape, shaped or {})), JSON
        if status in _NO_BODY:
            body = b""
        elif ctype and not any(k == "content-type" for k, _ in headers):
            headers.insert(0, ("content-type", ctype))
        return HttpResponse(status, headers, body)

    def serialize_error(
        self, err: AwsError, model: ServiceModel, ctx: RequestContext
    ) -> HttpResponse:
        body: dict[str, Any] = {"message": err.message}
        shape = _error_shape(model, err.code)
        if shape is not None:
            for name, member in shape.members.items():  # type: ignore[attr-defined]
                wire = str(member.serialization.get("name", name))
                if name.lower() == "message":
                    body[wire] = err.message
                elif name.lower() in ("errorcode", "code") and member.type_name == "string":
                    body[wire] = err.code
                elif name in err.fields:
                    body[wire] = err.fields[name]
        headers = [
            ("content-type", JSON),
            ("x-amzn-requestid", ctx.request_id),
            ("x-amzn-errortype", err.code),
        ]
        return HttpResponse(err.status, headers, orjson.dumps(body))


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationError("The request body is not valid UTF-8") from None


def _payload(member: Shape, value: Any) -> tuple[bytes, str | None]:
    if value is None:
        return b"", None
    if member.type_name == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return raw, "application/octet-stream"
    if member.type_name == "string":
        return str(value).encode("utf-8"), "text/plain"
    shaped = shape_output(member, value, _ENCODER)
    return orjson.dumps(to_wire_names(member, shaped)), JSON


def header_text(shape: Shape, value: Any) -> str:
    """An output member as a header value (botocore's rules for rest protocols)."""
    t = shape.type_name
    if t == "timestamp":
        return timestamp_text(value, shape.serialization.get("timestampFormat", "rfc822"))
    if t == "list":
        member = shape.member  # type: ignore[attr-defined]
        return ",".join(header_text(member, v) for v in value if v is not None)
    if t == "string" and shape.serialization.get("jsonvalue"):
        return base64.b64encode(orjson.dumps(value)).decode("ascii")
    text = scalar_text(shape, value)
    return "" if text is None else text


_ERROR_SHAPES: dict[tuple[str, str], Shape | None] = {}


def _error_shape(model: ServiceModel, code: str) -> Shape | None:
    """The model's error shape for ``code`` (by name, or by its modelled error code)."""
    key = (model.service_name, code)
    if key not in _ERROR_SHAPES:
        found = None
        for shape in model.error_shapes:
            if shape.name == code or (shape.metadata.get("error") or {}).get("code") == code:
                found = shape
                break
        _ERROR_SHAPES[key] = found
    return _ERROR_SHAPES[key]
