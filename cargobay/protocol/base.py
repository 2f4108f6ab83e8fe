"""What every wire protocol module provides, and the request context handlers receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel

from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse


@dataclass
class RequestContext:
    """Who is calling what, where.  Handed to every service handler."""

    service: str
    operation: str
    region: str
    account_id: str
    request_id: str
    protocol: str
    access_key_id: str | None = None
    #: the principal's ARN once authentication has run
    principal_arn: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class WireProtocol(Protocol):
    name: str

    def operation_name(self, req: HttpRequest, model: ServiceModel) -> str | None:
        """The operation the request names, or None if it names none."""
        ...

    def parse(self, req: HttpRequest, op: OperationModel) -> dict[str, Any]:
        """The operation's input as a checked plain dict (raises AwsError)."""
        ...

    def serialize(
        self, op: OperationModel, result: dict[str, Any], ctx: RequestContext
    ) -> HttpResponse: ...

    def serialize_error(
        self, err: AwsError, model: ServiceModel, ctx: RequestContext
    ) -> HttpResponse: ...
