"""smithy-rpc-v2-cbor, round-tripped through botocore's RpcV2CBORSerializer and parser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest

from cargobay.protocol.cbor_protocol import CborProtocol
from cargobay.protocol.errors import AwsError, InternalFailure
from cargobay.protocol.http import HttpRequest
from cargobay.protocol.models import service_model
from tests.unit.protocol.wire import ctx, op_model, request, response

C = CborProtocol()
P = "smithy-rpc-v2-cbor"
T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
CW = "/service/GraniteServiceVersion20100801/operation/"


def parse_in(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    op = op_model(service, operation)
    req = request(P, op, params)
    assert req.header("smithy-protocol") == "rpc-v2-cbor"
    assert C.operation_name(req, op.service_model) == operation
    return C.parse(req, op)


def round_out(service: str, operation: str, result: dict[str, Any]) -> dict[str, Any]:
    op = op_model(service, operation)
    resp = C.serialize(op, result, ctx(service, operation, P))
    assert resp.status == 200
    assert ("smithy-protocol", "rpc-v2-cbor") in resp.headers
    assert ("content-type", "application/cbor") in resp.headers
    parsed = response(P, resp, op)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1234"
    return parsed


def cbor_request(operation: str, body: bytes) -> HttpRequest:
    return HttpRequest("POST", CW + operation, "",
                       {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}, body)


def test_put_metric_data_dimensions_timestamps_values_counts_statistics() -> None:
    got = parse_in("cloudwatch", "PutMetricData", {
        "Namespace": "App/Web",
        "MetricData": [
            {
                "MetricName": "Latency",
                "Dimensions": [{"Name": "Service", "Value": "web"},
                               {"Name": "Cluster", "Value": "c1"}],
                "Timestamp": T0,
                "Values": [1.5, 2.25, 1e-3],
                "Counts": [3, 1, 10],
                "Unit": "Milliseconds",
            },
            {
                "MetricName": "Requests",
                "StatisticValues": {"SampleCount": 2, "Sum": 3.5, "Minimum": 1, "Maximum": 2.5},
                "StorageResolution": 1,
                "Value": 7,
            },
        ],
    })
    first, second = got["MetricData"]
    assert got["Namespace"] == "App/Web"
    assert first["Timestamp"] == T0.timestamp()
    assert first["Dimensions"] == [{"Name": "Service", "Value": "web"},
                                   {"Name": "Cluster", "Value": "c1"}]
    assert first["Values"] == [1.5, 2.25, 1e-3] and first["Counts"] == [3.0, 1.0, 10.0]
    assert first["Unit"] == "Milliseconds"
    assert second["StatisticValues"] == {"SampleCount": 2.0, "Sum": 3.5, "Minimum": 1.0,
                                         "Maximum": 2.5}
    assert second["StorageResolution"] == 1 and second["Value"] == 7.0


def test_get_metric_statistics_request() -> None:
    got = parse_in("cloudwatch", "GetMetricStatistics", {
        "Namespace": "App", "MetricName": "Latency",
        "Dimensions": [{"Name": "Service", "Value": "web"}],
        "StartTime": T0, "EndTime": datetime(2026, 11, 27, 13, tzinfo=UTC), "Period": 60,
        "Statistics": ["Average", "Maximum"], "ExtendedStatistics": ["p99"],
    })
    assert got["StartTime"] == T0.timestamp() and got["EndTime"] == T0.timestamp() + 3600
    assert got["Statistics"] == ["Average", "Maximum"] and got["Period"] == 60


def test_get_metric_statistics_result_timestamps_as_tag_1() -> None:
    result = {"Label": "Latency", "Datapoints": [
        {"Timestamp": T0.timestamp(), "Average": 1.25, "SampleCount": 4.0, "Unit": "Seconds",
         "ExtendedStatistics": {"p99": 2.5}},
        {"Timestamp": T0.timestamp() + 60.5, "Maximum": 9.0},
    ]}
    op = op_model("cloudwatch", "GetMetricStatistics")
    raw = cbor2.loads(C.serialize(op, result, ctx("cloudwatch", op.name, P)).body)
    assert raw["Datapoints"][0]["Timestamp"] == T0  # cbor2 reads tag 1 as a datetime
    got = round_out("cloudwatch", "GetMetricStatistics", result)
    a, b = got["Datapoints"]
    assert a["Timestamp"].timestamp() == T0.timestamp()
    assert b["Timestamp"].timestamp() == T0.timestamp() + 60.5
    assert a["ExtendedStatistics"] == {"p99": 2.5} and a["SampleCount"] == 4.0


def test_get_metric_data_lists_of_timestamps_and_values() -> None:
    got = round_out("cloudwatch", "GetMetricData", {"MetricDataResults": [{
        "Id": "m1", "Label": "L", "Timestamps": [T0, T0.timestamp() + 60],
        "Values": [1.0, 2.5], "StatusCode": "Complete",
    }]})
    r = got["MetricDataResults"][0]
    assert [t.timestamp() for t in r["Timestamps"]] == [T0.timestamp(), T0.timestamp() + 60]
    assert r["Values"] == [1.0, 2.5] and r["StatusCode"] == "Complete"


def test_blob_output_is_a_byte_string() -> None:
    op = op_model("cloudwatch", "GetMetricWidgetImage")
    resp = C.serialize(op, {"MetricWidgetImage": b"\x89PNG"}, ctx("cloudwatch", op.name, P))
    assert cbor2.loads(resp.body) == {"MetricWidgetImage": b"\x89PNG"}
    assert response(P, resp, op)["MetricWidgetImage"] == b"\x89PNG"


def test_operation_without_output_answers_an_empty_map() -> None:
    op = op_model("cloudwatch", "PutMetricData")
    resp = C.serialize(op, {}, ctx("cloudwatch", op.name, P))
    assert cbor2.loads(resp.body) == {}


def test_operation_name_from_path() -> None:
    model = service_model("cloudwatch")
    assert C.operation_name(cbor_request("ListMetrics", b""), model) == "ListMetrics"
    assert C.operation_name(HttpRequest("POST", "/service/X/op/Y"), model) is None


# -- input errors (cloudwatch is awsQueryCompatible: query codes) ---------------------


def test_missing_required_member_is_missing_parameter() -> None:
    op = op_model("cloudwatch", "PutMetricData")
    with pytest.raises(AwsError) as e:
        C.parse(cbor_request("PutMetricData", cbor2.dumps({"MetricData": []})), op)
    assert e.value.code == "MissingParameter" and "Namespace" in e.value.message


def test_wrong_type_is_invalid_parameter_value() -> None:
    op = op_model("cloudwatch", "PutMetricData")
    body = cbor2.dumps({"Namespace": "A", "MetricData": [{"MetricName": "m", "Value": "high"}]})
    with pytest.raises(AwsError) as e:
        C.parse(cbor_request("PutMetricData", body), op)
    assert e.value.code == "InvalidParameterValue" and e.value.status == 400


def test_malformed_cbor_is_invalid_parameter_value() -> None:
    op = op_model("cloudwatch", "PutMetricData")
    for body in (b"\xff\x00", b"\xa1", cbor2.dumps([1, 2])):
        with pytest.raises(AwsError) as e:
            C.parse(cbor_request("PutMetricData", body), op)
        assert e.value.code == "InvalidParameterValue"


def test_not_query_compatible_model_keeps_json_codes() -> None:
    model = service_model("marketplace-entitlement")
    op = model.operation_model(model.operation_names[0])
    with pytest.raises(AwsError) as e:
        C.parse(cbor_request(op.name, cbor2.dumps({})), op)
    assert e.value.code == "ValidationException"


# -- errors -------------------------------------------------------------------------


def _error(service: str, err: AwsError) -> tuple[int, dict[str, Any], dict[str, str]]:
    model = service_model(service)
    op = model.operation_model(model.operation_names[0])
    resp = C.serialize_error(err, model, ctx(service, op.name, P))
    return resp.status, response(P, resp, op), dict(resp.headers)


def test_query_compatible_error_round_trip() -> None:
    status, parsed, headers = _error("cloudwatch", AwsError("No such dashboard",
                                                            "ResourceNotFound", 404))
    assert status == 404
    assert parsed["Error"]["Code"] == "ResourceNotFound"
    assert parsed["Error"]["Message"] == "No such dashboard"
    assert parsed["Error"]["Type"] == "Sender"
    assert headers["x-amzn-query-error"] == "ResourceNotFound;Sender"


def test_query_compatible_type_names_the_error_shape() -> None:
    status, parsed, _ = _error("cloudwatch", AwsError("Namespace is required",
                                                      "MissingParameter", 400))
    assert status == 400 and parsed["Error"]["Code"] == "MissingParameter"
    assert parsed["Error"]["QueryErrorCode"] == "MissingRequiredParameterException"


def test_server_fault_is_receiver() -> None:
    status, parsed, headers = _error("cloudwatch", InternalFailure("boom"))
    assert status == 500 and parsed["Error"]["Code"] == "InternalFailure"
    assert headers["x-amzn-query-error"] == "InternalFailure;Receiver"


def test_plain_model_error_has_no_query_header() -> None:
    status, parsed, headers = _error("marketplace-entitlement",
                                     AwsError("slow down", "ThrottlingException", 429))
    assert status == 429 and parsed["Error"]["Code"] == "ThrottlingException"
    assert "x-amzn-query-error" not in headers
