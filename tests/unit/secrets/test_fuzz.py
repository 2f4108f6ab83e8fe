"""Fuzz every served Secrets Manager and SSM operation in-process: whatever the input,
the answer is a result or an AwsError with a client-side code, never another exception.

Inputs come from each operation's input shape (mostly well typed, members missing at
random, values of other types mixed in), with names of secrets and parameters that
exist, so that the handlers' deeper paths are reached."""

from __future__ import annotations

import asyncio
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.protocol.errors import AwsError
from cargobay.store.memory import MemoryStore

SESSION = botocore.session.get_session()
NAMES = ["db", "/app/db/host", "/app/db/pass", "plain", "db:1", "/app/db/host:2",
         "/app/db/host:blue", "arn:aws:ssm:us-east-1:000000000000:parameter/app/db/host",
         "arn:aws:secretsmanager:us-east-1:000000000000:secret:db", "/app", "/", "",
         "AWSCURRENT", "AWSPREVIOUS", "a" * 40, "tag:env", "Name", "Path", "Label",
         '{"Version":"2012-10-17","Statement":[]}', "[]", "!db"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40),
                    st.floats(allow_nan=False), st.text(max_size=12))
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                        max_leaves=8)


def for_shape(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    if depth > 4:
        return st.just(None)
    t = shape.type_name
    if t == "structure":
        members = shape.members  # type: ignore[attr-defined]
        typed: st.SearchStrategy[Any] = st.fixed_dictionaries(
            {}, optional={n: for_shape(m, depth + 1) for n, m in members.items()})
    elif t == "list":
        typed = st.lists(for_shape(shape.member, depth + 1), max_size=3)  # type: ignore[attr-defined]
    elif t == "map":
        typed = st.dictionaries(st.text(max_size=6), for_shape(shape.value, depth + 1),  # type: ignore[attr-defined]
                                max_size=3)
    elif t == "string":
        enum = getattr(shape, "enum", None)
        typed = st.sampled_from(list(enum) if enum else NAMES) | st.text(max_size=30)
    elif t in ("integer", "long"):
        typed = st.integers(-5, 120)
    elif t == "boolean":
        typed = st.booleans()
    elif t == "blob":
        typed = st.binary(max_size=8)
    else:
        typed = ANY_JSON
    return st.one_of(typed, typed, typed, typed, typed, typed, ANY_JSON)


def served(service: str, app: App) -> list[str]:
    model = SESSION.get_service_model(service)
    svc = app.services[service]
    return sorted(op for op in model.operation_names if hasattr(svc, xform_name(op)))


def seeded() -> App:
    app = App(Config(data_dir=None), store=MemoryStore(), clock=SimClock())

    def call(service: str, op: str, params: dict[str, Any]) -> None:
        asyncio.run(app.dispatcher.call(service, op, params, region="us-east-1"))

    call("secretsmanager", "CreateSecret", {"Name": "db", "SecretString": '{"a":"b"}',
                                            "Tags": [{"Key": "env", "Value": "x"}]})
    call("secretsmanager", "PutSecretValue", {"SecretId": "db", "SecretString": "2"})
    call("ssm", "PutParameter", {"Name": "/app/db/host", "Value": "h", "Type": "String"})
    call("ssm", "PutParameter", {"Name": "/app/db/host", "Value": "i", "Overwrite": True})
    call("ssm", "PutParameter", {"Name": "/app/db/pass", "Value": "p", "Type": "SecureString"})
    call("ssm", "LabelParameterVersion", {"Name": "/app/db/host", "Labels": ["blue"]})
    return app


APP = seeded()
CASES = [(s, op) for s in ("secretsmanager", "ssm") for op in served(s, APP)]


def test_the_served_operations_are_the_ones_expected() -> None:
    ops = {op for _, op in CASES}
    assert len(ops) == 31  # 18 of Secrets Manager, 13 of Parameter Store
    assert {"GetSecretValue", "PutParameter", "GetParametersByPath"} <= ops


@pytest.mark.parametrize("service, op_name", CASES)
def test_fuzz_operation(service: str, op_name: str) -> None:
    op = SESSION.get_service_model(service).operation_model(op_name)

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(value=for_shape(op.input_shape))
    def run(value: Any) -> None:
        params = value if isinstance(value, dict) else {"x": value}
        try:
            asyncio.run(APP.dispatcher.call(service, op_name, params, region="us-east-1"))
        except AwsError as err:
            assert err.status < 500 and err.sender_fault, repr(err)

    run()
