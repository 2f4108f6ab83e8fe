"""NextToken/MaxResults for the Describe* operations (1–50, default 50)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.application_autoscaling import names
from cargobay.services.application_autoscaling.errors import (
    InvalidNextTokenException,
    ValidationException,
)
from cargobay.store.base import Store

Doc = dict[str, Any]
MAX_RESULTS = 50


def page(rows: Iterator[tuple[str, Doc]], req: Doc, keep: Callable[[Doc], bool],
         view: Callable[[Doc], Doc]) -> tuple[list[Doc], str | None]:
    """Up to MaxResults views of the kept rows after NextToken, and the next token."""
    size = req.get("MaxResults")
    if size is None:
        size = MAX_RESULTS
    if not 1 <= size <= MAX_RESULTS:
        raise ValidationException(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_RESULTS}"
            if size > MAX_RESULTS else
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1"
        )
    after = _decode(req.get("NextToken"))
    out: list[Doc] = []
    last: str | None = None
    for key, doc in rows:
        if after is not None and key <= after:
            continue
        if not keep(doc):
            continue
        if len(out) == size:
            return out, _encode(last or "")
        out.append(view(doc))
        last = key
    return out, None


def page_of_targets(store: Store, table: str, ctx: RequestContext, req: Doc, name_field: str,
                    wanted: set[str] | None, view: Callable[[Doc], Doc],
                    ) -> tuple[list[Doc], str | None]:
    """A page of ``table``'s documents (scaling policies, scheduled actions) of the
    request's ServiceNamespace, and of its ResourceId and ScalableDimension if given,
    whose ``name_field`` is in ``wanted`` (None: any)."""
    rid = req.get("ResourceId")
    dim = req.get("ScalableDimension")
    prefix = names.namespace_prefix(ctx, req["ServiceNamespace"])
    if rid is not None:
        prefix += rid + "|"

    def keep(doc: Doc) -> bool:
        if rid is not None and doc["ResourceId"] != rid:
            return False
        if dim is not None and doc["ScalableDimension"] != dim:
            return False
        return wanted is None or doc[name_field] in wanted

    return page(store.scan(table, prefix), req, keep, view)


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        key = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidNextTokenException("Invalid token") from None
    if "|" not in key:
        raise InvalidNextTokenException("Invalid token")
    return key
