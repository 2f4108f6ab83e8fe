"""PLACEHOLDER: the rest-json protocol (being written)."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse


class RestJsonProtocol:
    name = "rest-json"

    def operation_name(self, req: HttpRequest, model: ServiceModel) -> str | None:
        return None

    def parse(self, req: HttpRequest, op: OperationModel) -> dict[str, Any]:
        raise AwsError("not yet")

    def serialize(
        self, op: OperationModel, result: dict[str, Any], ctx: RequestContext
    ) -> HttpResponse:
        raise AwsError("not yet")

    def serialize_error(
        self, err: AwsError, model: ServiceModel, ctx: RequestContext
    ) -> HttpResponse:
        return HttpResponse(err.status, [], err.message.encode())
