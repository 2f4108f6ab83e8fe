"""AWS JSON 1.0 / 1.1: ``POST /`` with ``X-Amz-Target: Prefix.Operation`` and a JSON body."""

from __future__ import annotations

from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError, SerializationError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.output import Encoder, shape_output
from cargobay.protocol.query_errors import (
    error_shape_name,
    is_query_compatible,
    query_coded_input_errors,
)
from cargobay.protocol.validation import check_input, json_decoder_for

_ENCODER = Encoder()


def load_json_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise SerializationError("Start of structure or map found where not expected.") from None


def content_type(model: ServiceModel) -> str:
    return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"


def query_compatible_header(err: AwsError, model: ServiceModel) -> list[tuple[str, str]]:
    """``x-amzn-query-error: Code;Sender`` for models marked awsQueryCompatible."""
    if "awsQueryCompatible" not in model.metadata:
        return []
    return [("x-amzn-query-error", f"{err.code};{'Sender' if err.sender_fault else 'Receiver'}")]


class JsonProtocol:
    name = "json"

    def operation_name(self, req: HttpRequest, model: ServiceModel) -> str | None:
        target = req.header("x-amz-target")
        prefix, _, op = target.rpartition(".")
        return op if prefix and op else None

    def parse(self, req: HttpRequest, op: OperationModel) -> dict[str, Any]:
        with query_coded_input_errors(op.service_model):
            decoder = json_decoder_for(op.service_model.service_name)
            return check_input(op.input_shape, load_json_body(req.body), decoder)

    def serialize(
        self, op: OperationModel, result: dict[str, Any], ctx: RequestContext
    ) -> HttpResponse:
        body = shape_output(op.output_shape, result, _ENCODER)
        return HttpResponse(
            200,
            [
                ("content-type", content_type(op.service_model)),
                ("x-amzn-requestid", ctx.request_id),
            ],
            orjson.dumps(body if body is not None else {}),
        )

    def serialize_error(
        self, err: AwsError, model: ServiceModel, ctx: RequestContext
    ) -> HttpResponse:
        code = err.code
        if is_query_compatible(model):
            code = error_shape_name(model, err.code)
        body = {**err.fields, "__type": code, "message": err.message}
        headers = [
            ("content-type", content_type(model)),
            ("x-amzn-requestid", ctx.request_id),
            ("x-amzn-errortype", err.code),
            *query_compatible_header(err, model),
        ]
        return HttpResponse(err.status, headers, orjson.dumps(body))
