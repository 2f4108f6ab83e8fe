"""Which service and which wire protocol a request speaks.

In order: ``X-Amz-Target`` (json) names the service by target prefix;
``Smithy-Protocol: rpc-v2-cbor`` with ``/service/<Service>/operation/<Op>`` (cbor);
otherwise the SigV4 credential scope names the service, and the request's form says
whether it is query (``Action=``) or rest-json.  A query request to a service whose
current model no longer speaks query (SQS, now json) is read with its legacy query model
(:func:`cargobay.protocol.models.legacy_query_model`), as older SDKs still send it.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.model import ServiceModel

from cargobay.protocol.errors import MissingAuthenticationToken, UnknownServiceError
from cargobay.protocol.http import HttpRequest
from cargobay.protocol.models import ServiceIndex, protocols
from cargobay.protocol.sigv4 import CredentialScope, credential_scope


@dataclass
class Route:
    model: ServiceModel
    protocol: str
    scope: CredentialScope | None


CBOR_PREFIX = "/service/"


def _has_action(req: HttpRequest) -> bool:
    if any(k == "Action" for k, _ in req.query):
        return True
    ctype = req.header("content-type")
    return ctype.startswith("application/x-www-form-urlencoded") and b"Action=" in req.body


def route(req: HttpRequest, index: ServiceIndex) -> Route:
    scope = credential_scope(req)
    target = req.header("x-amz-target")
    if target:
        prefix = target.rpartition(".")[0]
        model = index.by_target_prefix.get(prefix)
        if model is None or "json" not in protocols(model):
            raise UnknownServiceError(f"No service is served for target prefix '{prefix}'")
        return Route(model, "json", scope)
    if req.header("smithy-protocol") == "rpc-v2-cbor" and req.path.startswith(CBOR_PREFIX):
        name = req.path[len(CBOR_PREFIX) :].split("/", 1)[0]
        model = index.by_target_prefix.get(name)
        if model is None or "smithy-rpc-v2-cbor" not in protocols(model):
            raise UnknownServiceError(f"No service is served under '/service/{name}'")
        return Route(model, "smithy-rpc-v2-cbor", scope)
    if scope is None:
        raise MissingAuthenticationToken("Missing Authentication Token")
    model = index.by_signing_name.get(scope.service)
    if model is None:
        raise UnknownServiceError(f"The service '{scope.service}' is not served by cargobay")
    protos = protocols(model)
    if _has_action(req):
        if "query" in protos:
            return Route(model, "query", scope)
        legacy = index.legacy_query.get(model.service_name)
        if legacy is not None:
            return Route(legacy, "query", scope)
    if "rest-json" in protos:
        return Route(model, "rest-json", scope)
    if "query" in protos:
        return Route(model, "query", scope)
    raise UnknownServiceError(
        f"The request does not use a protocol that '{scope.service}' speaks ({', '.join(protos)})"
    )
