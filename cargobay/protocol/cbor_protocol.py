"""Smithy RPC v2 CBOR (CloudWatch's default in botocore 1.43):
``POST /service/<ServiceName>/operation/<Op>`` with ``Smithy-Protocol: rpc-v2-cbor`` and a
CBOR map body; the answer is a CBOR map (timestamps as tag 1 epoch seconds, blobs as
byte strings), errors ``{"__type": Code, "message": …}``.

For models marked ``awsQueryCompatible`` the query codes are the ones clients see (from
``x-amzn-query-error: Code;Sender``), so input errors use the query protocol's codes.
"""

from __future__ import annotations

from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError, SerializationError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.json_protocol import query_compatible_header
from cargobay.protocol.output import Encoder, shape_output
from cargobay.protocol.query_errors import (
    error_shape_name,
    is_query_compatible,
    query_coded_input_errors,
)
from cargobay.protocol.validation import Decoder, check_input
from cargobay.protocol.wire_names import to_member_names
from cargobay.protocol.xml_output import epoch

CONTENT_TYPE = "application/cbor"
SMITHY_PROTOCOL = "rpc-v2-cbor"


class CborEncoder(Encoder):
    """Timestamps as tag 1 (epoch seconds), blobs as byte strings."""

    def timestamp(self, value: Any) -> Any:
        secs = epoch(value)
        return cbor2.CBORTag(1, int(secs) if secs.is_integer() else round(secs, 3))

    def blob(self, value: Any) -> Any:
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)


_DECODER = Decoder()
_ENCODER = CborEncoder()


def load_cbor_body(body: bytes) -> Any:
    if not body:
        return {}
    try:
        return cbor2.loads(body)
    except Exception:  # cbor2 raises several kinds on malformed input
        raise SerializationError("The request body is not valid CBOR") from None


class CborProtocol:
    name = "smithy-rpc-v2-cbor"

    def operation_name(self, req: HttpRequest, model: ServiceModel) -> str | None:
        parts = req.path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "service" and parts[2] == "operation":
            return parts[3] or None
        return None

    def parse(self, req: HttpRequest, op: OperationModel) -> dict[str, Any]:
        with query_coded_input_errors(op.service_model):
            raw = load_cbor_body(req.body)
            if not isinstance(raw, dict):
                raise SerializationError("The request body must be a CBOR map")
            shape = op.input_shape
            if shape is None:
                return {}
            return check_input(shape, to_member_names(shape, raw), _DECODER)

    def serialize(
        self, op: OperationModel, result: dict[str, Any], ctx: RequestContext
    ) -> HttpResponse:
        body = shape_output(op.output_shape, result, _ENCODER)
        return HttpResponse(200, self._headers(ctx), cbor2.dumps(body if body is not None else {}))

    def serialize_error(
        self, err: AwsError, model: ServiceModel, ctx: RequestContext
    ) -> HttpResponse:
        code = error_shape_name(model, err.code) if is_query_compatible(model) else err.code
        body = {**err.fields, "__type": code, "message": err.message}
        headers = self._headers(ctx) + query_compatible_header(err, model)
        return HttpResponse(err.status, headers, cbor2.dumps(body))

    def _headers(self, ctx: RequestContext) -> list[tuple[str, str]]:
        return [
            ("smithy-protocol", SMITHY_PROTOCOL),
            ("content-type", CONTENT_TYPE),
            ("x-amzn-requestid", ctx.request_id),
        ]
