"""Fuzz every Application Auto Scaling operation: never a 5xx, always an error botocore
can parse.  Inputs come from the operation's input shape (tests/e2e/test_fuzz_ecs.py's
strategies), and half the time name a real scalable target (an ECS service that exists
and is registered), so the checks behind the model's reach the policy, schedule and
step validation code.  Sent as signed raw HTTP so botocore's own validation cannot
filter them."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.test_fuzz_ecs import ANY_JSON, _check, for_shape
from tests.support import ServerProcess, client

MODEL = botocore.session.get_session().get_service_model("application-autoscaling")
OPERATIONS = sorted(MODEL.operation_names)
TARGET = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
          "ResourceId": "service/default/web"}


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[str, int]]:
    srv = ServerProcess().start()
    try:
        ecs = client("ecs", srv.url)
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
        ecs.create_service(cluster="default", serviceName="web", taskDefinition="web",
                           desiredCount=0)
        client("application-autoscaling", srv.url).register_scalable_target(
            **TARGET, MinCapacity=0, MaxCapacity=3)
        yield "127.0.0.1", srv.port
    finally:
        srv.stop()


def _send(addr: tuple[str, int], op: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest(method="POST", url=f"http://{addr[0]}:{addr[1]}/", data=body, headers={
        "X-Amz-Target": f"{MODEL.metadata['targetPrefix']}.{op}",
        "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(Credentials("test", "test"), "application-autoscaling",
              "us-east-1").add_auth(signed)
    conn = http.client.HTTPConnection(*addr, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=dict(signed.headers.items()))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("op_name", OPERATIONS)
def test_fuzz_operation_never_fails_on_the_server(
    fuzz_server: tuple[str, int], op_name: str
) -> None:
    op = MODEL.operation_model(op_name)
    strategy = for_shape(op.input_shape) if op.input_shape is not None else ANY_JSON

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(value=strategy, real=st.booleans())
    def run(value: Any, real: bool) -> None:
        if real and isinstance(value, dict):
            value = {**value, **TARGET}
        _check(op, *_send(fuzz_server, op_name, json.dumps(value).encode()))

    run()
