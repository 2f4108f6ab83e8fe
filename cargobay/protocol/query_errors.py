"""The codes query clients expect for bad input, and query-compatible error names.

``check_input`` raises the JSON-world ``ValidationException`` / ``SerializationException``;
query services (and services marked ``awsQueryCompatible``, whose clients read the
query code from ``x-amzn-query-error``) answer with the AWS "Common Errors" codes
instead:

- a required parameter absent → ``MissingParameter`` (400)
- a value breaking a constraint (enum, length, range, pattern) → ``ValidationError`` (400)
- a value of the wrong type, or an unreadable request → ``InvalidParameterValue`` (400)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.model import ServiceModel

from cargobay.protocol.errors import AwsError, SerializationError, ValidationError


def as_query_error(err: AwsError) -> AwsError:
    """The query-protocol error for an input error from check_input (others unchanged)."""
    if isinstance(err, ValidationError):
        if err.missing:
            name = err.missing[0]
            return AwsError(
                f"The request must contain the parameter {name}.", "MissingParameter", 400
            )
        return AwsError(err.message, "ValidationError", 400)
    if isinstance(err, SerializationError):
        return AwsError(err.message, "InvalidParameterValue", 400)
    return err


@contextmanager
def query_coded_input_errors(model: ServiceModel) -> Iterator[None]:
    """Within: input errors of an awsQueryCompatible service take their query codes."""
    try:
        yield
    except (ValidationError, SerializationError) as err:
        if is_query_compatible(model):
            raise as_query_error(err) from None
        raise


def is_query_compatible(model: ServiceModel) -> bool:
    return "awsQueryCompatible" in model.metadata


_ERROR_NAMES: dict[tuple[str, str], str] = {}


def error_shape_name(model: ServiceModel, code: str) -> str:
    """The model's error shape whose query code is ``code`` (``code`` itself if none).

    A query-compatible service raises query codes (``ResourceNotFound``); its JSON and
    CBOR ``__type`` names the shape (``ResourceNotFoundException``…)."""
    key = (model.service_name, code)
    found = _ERROR_NAMES.get(key)
    if found is None:
        found = code
        names = [s.name for s in model.error_shapes]
        if code not in names:
            for shape in model.error_shapes:
                if (shape.metadata.get("error") or {}).get("code") == code:
                    found = shape.name
                    break
        _ERROR_NAMES[key] = found
    return found
