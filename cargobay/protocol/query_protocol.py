"""AWS query: ``Action=Op&Version=…&Param.member.1=…`` (form body or query string) in,
XML out (``<OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>``).

Used by sns, iam, sts, autoscaling, elbv2, CloudWatch's query variant, and services
whose current model dropped query, read with their legacy query model (SQS).
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError, SerializationError, ValidationError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.query_errors import as_query_error
from cargobay.protocol.query_input import action, decode_params, form_params
from cargobay.protocol.validation import LENIENT_ENUM_SERVICES, StringDecoder, check_input
from cargobay.protocol.xml_output import error_document, result_document


class _LenientStringDecoder(StringDecoder):
    """Text input for services whose endpoints do not enforce the model's enums."""

    check_enums = False


_DECODER = StringDecoder()
_LENIENT = _LenientStringDecoder()
CONTENT_TYPE = "text/xml"


class QueryProtocol:
    name = "query"

    def operation_name(self, req: HttpRequest, model: ServiceModel) -> str | None:
        try:
            return action(form_params(req))
        except SerializationError as err:
            raise as_query_error(err) from None

    def parse(self, req: HttpRequest, op: OperationModel) -> dict[str, Any]:
        try:
            raw = decode_params(op.input_shape, form_params(req))
            lenient = op.service_model.service_name in LENIENT_ENUM_SERVICES
            return check_input(op.input_shape, raw, _LENIENT if lenient else _DECODER)
        except (ValidationError, SerializationError) as err:
            raise as_query_error(err) from None

    def serialize(
        self, op: OperationModel, result: dict[str, Any], ctx: RequestContext
    ) -> HttpResponse:
        return HttpResponse(
            200,
            [("content-type", CONTENT_TYPE), ("x-amzn-requestid", ctx.request_id)],
            result_document(op, result, ctx.request_id),
        )

    def serialize_error(
        self, err: AwsError, model: ServiceModel, ctx: RequestContext
    ) -> HttpResponse:
        body = error_document(model, err.code, err.message, err.sender_fault, ctx.request_id)
        return HttpResponse(
            err.status,
            [("content-type", CONTENT_TYPE), ("x-amzn-requestid", ctx.request_id)],
            body,
        )
