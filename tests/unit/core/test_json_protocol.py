"""json 1.1 round trips through botocore's own serializer and parser."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError, SerializationError, ValidationError
from cargobay.protocol.http import HttpRequest
from cargobay.protocol.json_protocol import JsonProtocol

ECS = botocore.session.get_session().get_service_model("ecs")
PROTO = JsonProtocol()
CTX = RequestContext("ecs", "", "us-east-1", "000000000000", "req-1", "json")


def _request(op_name: str, params: dict[str, Any]) -> tuple[Any, HttpRequest]:
    op = ECS.operation_model(op_name)
    wire = create_serializer("json", include_validation=False).serialize_to_request(params, op)
    headers = {k.lower(): v for k, v in wire["headers"].items()}
    body = wire["body"] if isinstance(wire["body"], bytes) else wire["body"].encode()
    return op, HttpRequest("POST", "/", "", headers, body)


def test_operation_name_from_target() -> None:
    _, req = _request("ListClusters", {})
    assert PROTO.operation_name(req, ECS) == "ListClusters"


def test_parse_keeps_nested_values_and_types() -> None:
    params = {
        "family": "web",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "busybox",
                "cpu": 128,
                "essential": False,
                "portMappings": [{"containerPort": 80}],
                "dockerLabels": {"a": "b"},
            }
        ],
    }
    op, req = _request("RegisterTaskDefinition", params)
    assert PROTO.parse(req, op) == params


def test_missing_required_and_constraints_are_one_validation_error() -> None:
    op = ECS.operation_model("RegisterTaskDefinition")
    req = HttpRequest("POST", "/", "", {}, b'{"containerDefinitions": [{"name": "a"}]}')
    with pytest.raises(ValidationError) as e:
        PROTO.parse(req, op)
    assert e.value.message == (
        "1 validation error detected: Value null at 'family' failed to satisfy "
        "constraint: Member must not be null"
    )
    req = HttpRequest("POST", "/", "", {}, b'{"family": "x", "containerDefinitions": [],'
                      b' "networkMode": "warp"}')
    with pytest.raises(ValidationError) as e:
        PROTO.parse(req, op)
    assert "Member must satisfy enum value set" in e.value.message
    assert e.value.code == "ValidationException" and e.value.status == 400


def test_wrong_types_and_bad_json_are_serialization_errors() -> None:
    op = ECS.operation_model("ListClusters")
    for body in (b'{"maxResults": "ten"}', b'{"maxResults": true}', b"[1,2]", b"{nope"):
        with pytest.raises(SerializationError):
            PROTO.parse(HttpRequest("POST", "/", "", {}, body), op)


def test_output_and_errors_read_back_by_botocore() -> None:
    op = ECS.operation_model("DescribeTaskDefinition")
    result = {
        "taskDefinition": {
            "family": "web",
            "revision": 3,
            "registeredAt": 1_700_000_000.5,
            "internalOnly": "never shown",
            "containerDefinitions": [{"name": "app", "image": "busybox", "cpu": None}],
        },
        "tags": [],
    }
    resp = PROTO.serialize(op, result, CTX)
    parser = create_parser("json")
    parsed = parser.parse(
        {"status_code": resp.status, "headers": dict(resp.headers), "body": resp.body},
        op.output_shape,
    )
    td = parsed["taskDefinition"]
    assert td["family"] == "web" and td["revision"] == 3
    assert td["registeredAt"].timestamp() == 1_700_000_000.5
    assert "internalOnly" not in td
    assert td["containerDefinitions"] == [{"name": "app", "image": "busybox"}]

    err = PROTO.serialize_error(AwsError("Cluster not found.", "ClusterNotFoundException"),
                                ECS, CTX)
    parsed = parser.parse(
        {"status_code": err.status, "headers": dict(err.headers), "body": err.body},
        op.output_shape,
    )
    assert err.status == 400
    assert parsed["Error"] == {"Code": "ClusterNotFoundException", "Message": "Cluster not found."}


def test_in_process_call_checks_input_and_reaches_the_handler() -> None:
    import asyncio

    from cargobay.app import App
    from cargobay.config import Config

    app = App(Config(data_dir=None))

    async def main() -> None:
        out = await app.dispatcher.call(
            "ecs", "CreateCluster", {"clusterName": "inproc"}, region="eu-west-1"
        )
        assert out["cluster"]["clusterArn"] == (
            "arn:aws:ecs:eu-west-1:000000000000:cluster/inproc"
        )
        with pytest.raises(ValidationError):
            await app.dispatcher.call("ecs", "DescribeTaskDefinition", {}, region="eu-west-1")

    asyncio.run(main())


def test_model_patterns_match_the_whole_value() -> None:
    """AWS checks a pattern against the whole value (a family name with a space fails)."""
    op = ECS.operation_model("CreateCluster")
    good = HttpRequest("POST", "/", "", {}, b'{"clusterName": "ok-name"}')
    assert PROTO.parse(good, op) == {"clusterName": "ok-name"}
    sm = botocore.session.get_session().get_service_model("events")
    bad = HttpRequest("POST", "/", "", {}, b'{"Name": "bad name!"}')
    with pytest.raises(ValidationError) as e:
        PROTO.parse(bad, sm.operation_model("DescribeRule"))
    assert "regular expression pattern" in e.value.message
