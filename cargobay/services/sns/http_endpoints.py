"""SNS's own HTTP endpoints, under ``/_cargobay/sns/`` on the server:

- ``GET /_cargobay/sns/?Action=ConfirmSubscription&TopicArn=…&Token=…`` — the
  SubscribeURL of a confirmation message (no signature needed, as in AWS); answers
  ConfirmSubscription's XML;
- ``GET /_cargobay/sns/?Action=Unsubscribe&SubscriptionArn=…`` — a notification's
  UnsubscribeURL; answers Unsubscribe's XML;
- ``GET /_cargobay/sns/SimpleNotificationService-<id>.pem`` (and ``cert.pem``) — the
  certificate of the key messages are signed with (their SigningCertURL);
- ``GET /_cargobay/sns/email-outbox`` — what email subscriptions were sent, as JSON.

Errors are SNS's query XML errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.protocol.models import service_model
from cargobay.protocol.xml_output import error_document, result_document
from cargobay.services.sns.base import HTTP_PREFIX
from cargobay.services.sns.errors import InvalidParameter
from cargobay.services.sns.fanout import Fanout
from cargobay.services.sns.subscriptions import UNAUTHENTICATED

Handler = Callable[[RequestContext, dict[str, Any]], Awaitable[dict[str, Any]]]


class HttpEndpoints(Fanout):
    confirm_subscription: Handler
    unsubscribe: Handler

    async def handle_http(self, req: HttpRequest) -> HttpResponse | None:
        """Answer a request under ``/_cargobay/sns/``; None for any other path."""
        if not req.path.startswith(HTTP_PREFIX) or req.method not in ("GET", "HEAD", "POST"):
            return None
        rest = req.path[len(HTTP_PREFIX):]
        if rest in ("cert.pem", self.signer.cert_name()):
            return HttpResponse(200, [("content-type", "application/x-x509-ca-cert")],
                                self.signer.cert_pem())
        if rest == "email-outbox":
            return HttpResponse(200, [("content-type", "application/json")],
                                orjson.dumps(self.emails.records()))
        if rest == "":
            return await self._action(req)
        return HttpResponse(404, [("content-type", "text/plain")], b"not found")

    async def _action(self, req: HttpRequest) -> HttpResponse:
        params = dict(req.query)
        action = params.get("Action", "")
        request_id = str(uuid.uuid4())
        model = service_model("sns")
        handlers: dict[str, tuple[Handler, tuple[str, ...]]] = {
            "ConfirmSubscription": (self.confirm_subscription, ("TopicArn", "Token")),
            "Unsubscribe": (self.unsubscribe, ("SubscriptionArn",)),
        }
        try:
            if action not in handlers:
                raise AwsError(f"The action {action or '(none)'} is not valid for this "
                               "endpoint.", "InvalidAction")
            handler, required = handlers[action]
            for name in required:
                if not params.get(name):
                    raise InvalidParameter(
                        f"Invalid parameter: {name} Reason: no value for required parameter")
            ctx = RequestContext(
                service="sns", operation=action, region=self.app.config.region,
                account_id=self.app.config.account_id, request_id=request_id,
                protocol=UNAUTHENTICATED,
            )
            result = await handler(ctx, params)
        except AwsError as err:
            body = error_document(model, err.code, err.message, err.sender_fault, request_id)
            return HttpResponse(err.status, [("content-type", "text/xml")], body)
        op = model.operation_model(action)
        return HttpResponse(200, [("content-type", "text/xml")],
                            result_document(op, result, request_id))
