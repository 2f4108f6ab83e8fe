"""Fuzz every ECS operation: never a 5xx, always an error botocore can parse.

Inputs are drawn from the operation's own input shape (right types, random values,
members missing at random), with values of the wrong type mixed in, and as raw bodies
that are not even JSON.  Requests are sent over plain HTTP so botocore's client-side
validation cannot filter them; the answers are read back with botocore's own parser.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import ServerProcess

MODEL = botocore.session.get_session().get_service_model("ecs")
OPERATIONS = sorted(MODEL.operation_names)
TARGET = MODEL.metadata["targetPrefix"]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=10,
)


def _scalar(shape: Shape) -> st.SearchStrategy[Any]:
    t = shape.type_name
    enum = getattr(shape, "enum", None)
    if t == "string":
        if enum:
            return st.sampled_from(list(enum)) | st.text(max_size=10)
        return st.text(max_size=40) | st.sampled_from(
            ["default", "arn:aws:ecs:us-east-1:000000000000:cluster/default", "web:1",
             "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", ""]
        )
    if t in ("integer", "long"):
        return st.integers(min_value=-(2**40), max_value=2**40)
    if t in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if t == "boolean":
        return st.booleans()
    if t == "timestamp":
        return st.floats(min_value=0, max_value=4e9) | st.text(max_size=12)
    if t == "blob":
        return st.text(max_size=12)
    return ANY_JSON


def for_shape(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly well-typed values for ``shape``; sometimes anything at all."""
    if depth > 4:
        return st.just(None)
    t = shape.type_name
    if t == "structure":
        members = shape.members  # type: ignore[attr-defined]
        optional = {name: for_shape(m, depth + 1) for name, m in members.items()}
        typed = st.fixed_dictionaries({}, optional=optional)
    elif t == "list":
        typed = st.lists(for_shape(shape.member, depth + 1), max_size=3)  # type: ignore[attr-defined]
    elif t == "map":
        typed = st.dictionaries(
            st.text(max_size=8), for_shape(shape.value, depth + 1), max_size=3  # type: ignore[attr-defined]
        )
    else:
        typed = _scalar(shape)
    return st.one_of(typed, typed, typed, typed, typed, typed, typed, typed, typed, ANY_JSON)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[str, int]]:
    srv = ServerProcess().start()
    try:
        yield "127.0.0.1", srv.port
    finally:
        srv.stop()


def _send(addr: tuple[str, int], op: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ECS ``op``, SigV4-signed with the bootstrap root keys."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest(
        method="POST",
        url=f"http://{addr[0]}:{addr[1]}/",
        data=body,
        headers={
            "X-Amz-Target": f"{TARGET}.{op}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials("test", "test"), "ecs", "us-east-1").add_auth(signed)
    conn = http.client.HTTPConnection(*addr, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=dict(signed.headers.items()))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def _check(op: OperationModel, status: int, headers: dict[str, str], body: bytes) -> None:
    assert status < 500, f"{op.name} answered {status}: {body[:300]!r}"
    parsed = create_parser("json").parse(
        {"status_code": status, "headers": headers, "body": body}, op.output_shape
    )
    if status >= 400:
        code = parsed.get("Error", {}).get("Code")
        assert code, f"{op.name}: botocore found no error code in {body[:200]!r}"


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_fuzz_operation_never_fails_on_the_server(
    fuzz_server: tuple[str, int], op_name: str
) -> None:
    op = MODEL.operation_model(op_name)
    strategy = for_shape(op.input_shape) if op.input_shape is not None else ANY_JSON

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(value=strategy)
    def run(value: Any) -> None:
        body = json.dumps(value).encode()
        _check(op, *_send(fuzz_server, op_name, body))

    run()


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(op_name=st.sampled_from(OPERATIONS), body=st.binary(max_size=64))
def test_fuzz_raw_bodies(fuzz_server: tuple[str, int], op_name: str, body: bytes) -> None:
    op = MODEL.operation_model(op_name)
    _check(op, *_send(fuzz_server, op_name, body))
