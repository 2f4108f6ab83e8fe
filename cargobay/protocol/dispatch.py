"""Request → route → authenticate → parse → authorize → handler → serialize, for every service.

A service is an object with one method per operation, named as botocore names them in
Python (``RegisterTaskDefinition`` → ``register_task_definition``), taking the
:class:`RequestContext` and the checked input dict and returning the output dict
(or an awaitable of it).  Nothing in a service touches HTTP.
"""

from __future__ import annotations

import inspect
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson
from botocore import xform_name
from botocore.model import ServiceModel

from cargobay.protocol.base import RequestContext, WireProtocol
from cargobay.protocol.content_encoding import decode_body
from cargobay.protocol.errors import AwsError, InternalFailure, UnknownOperationError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.models import ServiceIndex
from cargobay.protocol.router import route
from cargobay.protocol.validation import Decoder, check_input

log = logging.getLogger("cargobay.dispatch")

_ids = random.Random()


def new_request_id() -> str:
    """A version-4 UUID for x-amzn-RequestId.  Not a secret, so no os.urandom per call
    (0.2 ms on some VMs): a seeded PRNG is enough to keep ids unique."""
    return str(uuid.UUID(int=_ids.getrandbits(128), version=4))


class Authorizer(Protocol):
    """Who may call what (cargobay.iam.authorizer.Authorizer).

    ``authenticate`` runs before the input is parsed (the signature is checked first):
    it raises AwsError for a bad signature, records the caller in the context, and
    returns the error for a request that carries no authentication at all (raised
    once the input has been read).  ``authorize`` runs after parsing, before the
    handler, and raises AwsError to refuse."""

    def authenticate(self, ctx: RequestContext, req: HttpRequest) -> AwsError | None: ...

    def authorize(
        self, ctx: RequestContext, req: HttpRequest, params: dict[str, Any]
    ) -> Awaitable[None] | None: ...


def _protocols() -> dict[str, WireProtocol]:
    from cargobay.protocol.cbor_protocol import CborProtocol
    from cargobay.protocol.json_protocol import JsonProtocol
    from cargobay.protocol.query_protocol import QueryProtocol
    from cargobay.protocol.restjson_protocol import RestJsonProtocol

    protos: list[WireProtocol] = [
        JsonProtocol(),
        QueryProtocol(),
        RestJsonProtocol(),
        CborProtocol(),
    ]
    return {p.name: p for p in protos}


class Dispatcher:
    def __init__(
        self,
        services: dict[str, object],
        *,
        default_region: str,
        account_id: str,
        authorizer: Authorizer | None = None,
    ) -> None:
        self.index = ServiceIndex()
        self.services = services
        for name in services:
            self.index.add(name)
        self.protocols = _protocols()
        self.default_region = default_region
        self.account_id = account_id
        self.authorizer = authorizer
        self._handlers: dict[tuple[str, str], Callable[..., Any] | None] = {}

    def _handler(self, service: str, op: str) -> Callable[..., Any] | None:
        key = (service, op)
        if key not in self._handlers:
            self._handlers[key] = getattr(self.services[service], xform_name(op), None)
        return self._handlers[key]

    async def handle(self, req: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        try:
            decode_body(req)
            r = route(req, self.index)
        except AwsError as err:
            return _bare_error(err, request_id)
        model = r.model
        proto = self.protocols[r.protocol]
        ctx = RequestContext(
            service=model.service_name,
            operation="",
            region=r.scope.region if r.scope else self.default_region,
            account_id=self.account_id,
            request_id=request_id,
            protocol=r.protocol,
            access_key_id=r.scope.access_key_id if r.scope else None,
        )
        host = req.header("host")
        if host:
            # how the client addressed us, for URLs handed back (SQS queue URLs, SNS links)
            ctx.extra["host"] = host
        try:
            return await self._call(req, model, proto, ctx)
        except AwsError as err:
            return proto.serialize_error(err, model, ctx)
        except Exception:
            log.exception("unhandled error in %s.%s", ctx.service, ctx.operation)
            return proto.serialize_error(
                InternalFailure("The request processing has failed because of an unknown error."),
                model,
                ctx,
            )

    async def _call(
        self, req: HttpRequest, model: ServiceModel, proto: WireProtocol, ctx: RequestContext
    ) -> HttpResponse:
        name = proto.operation_name(req, model)
        op = self.index.operation_in(model, name) if name else None
        if op is None or name is None:
            raise _unknown_operation(proto.name, name)
        ctx.operation = name
        unsigned = self.authorizer.authenticate(ctx, req) if self.authorizer else None
        params = proto.parse(req, op)
        if unsigned is not None:
            raise unsigned
        if self.authorizer is not None:
            pending = self.authorizer.authorize(ctx, req, params)
            if pending is not None:
                await pending
        handler = self._handler(model.service_name, name)
        if handler is None:
            raise UnknownOperationError(
                f"cargobay does not implement {model.metadata.get('endpointPrefix')}:{name} yet",
                status=400,
            )
        result = handler(ctx, params)
        if inspect.isawaitable(result):
            result = await result
        return proto.serialize(op, result or {}, ctx)


    async def call(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        region: str,
        account_id: str | None = None,
        principal_arn: str | None = None,
    ) -> dict[str, Any]:
        """Call another service's operation in-process (no HTTP), as ``principal_arn``.

        The input is checked against the model as an HTTP request's would be; the
        authorizer runs when a principal is given.  Raises AwsError as the handler does.
        """
        op = self.index.operation(service, operation)
        if op is None:
            raise _unknown_operation("json", operation)
        ctx = RequestContext(
            service=service,
            operation=operation,
            region=region,
            account_id=account_id or self.account_id,
            request_id=new_request_id(),
            protocol="internal",
            principal_arn=principal_arn,
        )
        checked = check_input(op.input_shape, params, Decoder())
        if self.authorizer is not None and principal_arn is not None:
            pending = self.authorizer.authorize(ctx, HttpRequest("POST", "/"), checked)
            if pending is not None:
                await pending
        handler = self._handler(service, operation)
        if handler is None:
            raise UnknownOperationError(f"cargobay does not implement {service}:{operation} yet")
        result = handler(ctx, checked)
        if inspect.isawaitable(result):
            result = await result
        out: dict[str, Any] = result or {}
        return out


def _unknown_operation(protocol: str, name: str | None) -> AwsError:
    shown = name or "(none)"
    if protocol == "query":
        return AwsError(f"The action {shown} is not valid for this web service.", "InvalidAction")
    if protocol == "rest-json":
        return AwsError(f"No operation matches {shown}", "UnknownOperationException", 404)
    return UnknownOperationError(f"Operation {shown} is not recognized.")


def _bare_error(err: AwsError, request_id: str) -> HttpResponse:
    """An error for a request no service model could be chosen for (JSON-shaped)."""
    return HttpResponse(
        err.status,
        [
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-requestid", request_id),
            ("x-amzn-errortype", err.code),
        ],
        orjson.dumps({"__type": err.code, "message": err.message}),
    )
