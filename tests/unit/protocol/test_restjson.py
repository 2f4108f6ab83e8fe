"""rest-json, round-tripped through botocore's RestJSONSerializer and RestJSONParser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest
from cargobay.protocol.models import service_model
from cargobay.protocol.rest_input import split_header_list
from cargobay.protocol.restjson_protocol import RestJsonProtocol
from tests.unit.protocol.wire import ctx, op_model, request, response

R = RestJsonProtocol()
T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
FS = "fs-0123456789abcdef0"
FS_ARN = f"arn:aws:elasticfilesystem:us-east-1:000000000000:file-system/{FS}"


def parse_in(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    op = op_model(service, operation)
    req = request("rest-json", op, params)
    assert R.operation_name(req, op.service_model) == operation
    return R.parse(req, op)


def round_out(
    service: str, operation: str, result: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    op = op_model(service, operation)
    resp = R.serialize(op, result, ctx(service, operation, "rest-json"))
    parsed = response("rest-json", resp, op)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1234"
    return resp.status, parsed


# -- routing and input --------------------------------------------------------------


def test_efs_create_file_system_json_body() -> None:
    got = parse_in("efs", "CreateFileSystem", {
        "CreationToken": "tok-1",
        "PerformanceMode": "generalPurpose",
        "Encrypted": True,
        "ProvisionedThroughputInMibps": 128.5,
        "Tags": [{"Key": "Name", "Value": "data"}],
    })
    assert got == {
        "CreationToken": "tok-1",
        "PerformanceMode": "generalPurpose",
        "Encrypted": True,
        "ProvisionedThroughputInMibps": 128.5,
        "Tags": [{"Key": "Name", "Value": "data"}],
    }


def test_efs_describe_file_systems_querystring() -> None:
    got = parse_in("efs", "DescribeFileSystems",
                   {"MaxItems": 5, "Marker": "m/1 2", "FileSystemId": FS})
    assert got == {"MaxItems": 5, "Marker": "m/1 2", "FileSystemId": FS}


def test_efs_uri_label_and_trailing_slash_template() -> None:
    assert parse_in("efs", "DescribeTags", {"FileSystemId": FS, "MaxItems": 3}) == {
        "FileSystemId": FS, "MaxItems": 3,
    }
    assert parse_in("efs", "DeleteFileSystem", {"FileSystemId": FS}) == {"FileSystemId": FS}


def test_efs_literal_path_beats_label() -> None:
    # GET /file-systems/replication-configurations vs GET /file-systems/{FileSystemId}/…
    assert parse_in("efs", "DescribeReplicationConfigurations", {"MaxResults": 2}) == {
        "MaxResults": 2
    }
    assert parse_in("efs", "DescribeBackupPolicy", {"FileSystemId": FS}) == {"FileSystemId": FS}


def test_efs_arn_label_and_list_querystring() -> None:
    got = parse_in("efs", "UntagResource", {"ResourceId": FS_ARN, "TagKeys": ["a", "b,c"]})
    assert got == {"ResourceId": FS_ARN, "TagKeys": ["a", "b,c"]}


def test_efs_label_and_body_together() -> None:
    got = parse_in("efs", "PutLifecycleConfiguration", {
        "FileSystemId": FS,
        "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}],
    })
    assert got == {"FileSystemId": FS, "LifecyclePolicies": [{"TransitionToIA": "AFTER_30_DAYS"}]}


def test_scheduler_create_schedule_uri_and_body() -> None:
    got = parse_in("scheduler", "CreateSchedule", {
        "Name": "nightly",
        "ScheduleExpression": "cron(0 12 * * ? *)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "StartDate": T0,
        "Target": {"Arn": "arn:aws:sqs:us-east-1:000000000000:q",
                   "RoleArn": "arn:aws:iam::000000000000:role/r"},
    })
    assert got["Name"] == "nightly"
    assert got["StartDate"] == T0.timestamp()
    assert got["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert got["Target"]["RoleArn"] == "arn:aws:iam::000000000000:role/r"


def test_scheduler_list_schedules_querystring() -> None:
    got = parse_in("scheduler", "ListSchedules",
                   {"GroupName": "default", "State": "ENABLED", "MaxResults": 10})
    assert got == {"GroupName": "default", "State": "ENABLED", "MaxResults": 10}


def test_querystring_map_of_lists() -> None:
    got = parse_in("amp", "ListScrapers", {"filters": {"status": ["ACTIVE", "CREATING"]},
                                            "maxResults": 10})
    assert got == {"filters": {"status": ["ACTIVE", "CREATING"]}, "maxResults": 10}


def test_headers_prefix_map_querystring_map_and_string_payload() -> None:
    got = parse_in("dataexchange", "SendApiAsset", {
        "AssetId": "a", "DataSetId": "d", "RevisionId": "r",
        "Method": "POST", "Path": "/x",
        "RequestHeaders": {"trace": "t-1"},
        "QueryStringParameters": {"q": "1"},
        "Body": '{"hello": "world"}',
    })
    assert got == {
        "AssetId": "a", "DataSetId": "d", "RevisionId": "r", "Method": "POST", "Path": "/x",
        "RequestHeaders": {"trace": "t-1"},
        "QueryStringParameters": {"q": "1"},
        "Body": '{"hello": "world"}',
    }


def test_header_members_and_blob_payload() -> None:
    got = parse_in("lambda", "Invoke", {
        "FunctionName": "fn", "InvocationType": "Event", "LogType": "Tail",
        "Payload": b'{"k": 1}', "Qualifier": "live",
    })
    assert got == {"FunctionName": "fn", "InvocationType": "Event", "LogType": "Tail",
                   "Payload": b'{"k": 1}', "Qualifier": "live"}


def test_unknown_path_names_no_operation() -> None:
    model = service_model("efs")
    assert R.operation_name(HttpRequest("GET", "/2015-02-01/nothing-here"), model) is None
    assert R.operation_name(HttpRequest("PATCH", "/2015-02-01/file-systems"), model) is None


def test_split_header_list_honours_quotes() -> None:
    assert split_header_list('a, "b,c", "d\\"e"') == ["a", "b,c", 'd"e']
    assert split_header_list("") == []


# -- input errors -------------------------------------------------------------------


def test_bad_querystring_type_is_serialization_exception() -> None:
    op = op_model("efs", "DescribeFileSystems")
    req = HttpRequest("GET", "/2015-02-01/file-systems", "MaxItems=lots")
    with pytest.raises(AwsError) as e:
        R.parse(req, op)
    assert e.value.code == "SerializationException" and e.value.status == 400


def test_missing_required_body_member_is_validation_exception() -> None:
    op = op_model("efs", "CreateFileSystem")
    req = HttpRequest("POST", "/2015-02-01/file-systems", "", {}, b'{"Encrypted": true}')
    with pytest.raises(AwsError) as e:
        R.parse(req, op)
    assert e.value.code == "ValidationException" and "CreationToken" in e.value.message


def test_body_that_is_not_an_object() -> None:
    op = op_model("efs", "CreateFileSystem")
    for body in (b"[1]", b"{nope"):
        with pytest.raises(AwsError) as e:
            R.parse(HttpRequest("POST", "/2015-02-01/file-systems", "", {}, body), op)
        assert e.value.code == "SerializationException"


# -- output -------------------------------------------------------------------------


def test_efs_create_file_system_response_code_and_timestamps() -> None:
    status, got = round_out("efs", "CreateFileSystem", {
        "OwnerId": "000000000000", "CreationToken": "tok-1", "FileSystemId": FS,
        "FileSystemArn": FS_ARN, "CreationTime": T0.timestamp() + 0.5,
        "LifeCycleState": "creating", "NumberOfMountTargets": 0,
        "SizeInBytes": {"Value": 6144, "Timestamp": T0},
        "PerformanceMode": "generalPurpose", "Encrypted": False,
        "Tags": [{"Key": "Name", "Value": "data"}],
    })
    assert status == 201
    assert got["CreationTime"].timestamp() == T0.timestamp() + 0.5
    assert got["SizeInBytes"]["Value"] == 6144
    assert got["SizeInBytes"]["Timestamp"].timestamp() == T0.timestamp()
    assert got["Encrypted"] is False and got["Tags"] == [{"Key": "Name", "Value": "data"}]


def test_efs_describe_file_systems_response() -> None:
    status, got = round_out("efs", "DescribeFileSystems", {
        "FileSystems": [], "NextMarker": "n",
    })
    assert status == 200 and got == {"FileSystems": [], "NextMarker": "n"}


def test_no_content_response_has_no_body() -> None:
    op = op_model("efs", "DeleteFileSystem")
    resp = R.serialize(op, {}, ctx("efs", "DeleteFileSystem", "rest-json"))
    assert resp.status == 204 and resp.body == b""


def test_status_code_header_members_and_blob_payload_out() -> None:
    status, got = round_out("lambda", "Invoke", {
        "StatusCode": 202, "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST",
        "Payload": b'{"ok": true}',
    })
    assert status == 202
    assert got["StatusCode"] == 202 and got["FunctionError"] == "Unhandled"
    assert got["ExecutedVersion"] == "$LATEST"
    assert got["Payload"] == '{"ok": true}'  # the parser hands over a payload blob as text


def test_timestamp_header_is_rfc822() -> None:
    op = op_model("mediastore-data", "DescribeObject")
    resp = R.serialize(op, {"LastModified": T0, "ETag": "e"},
                       ctx("mediastore-data", "DescribeObject", "rest-json"))
    assert ("last-modified", "Fri, 27 Nov 2026 12:00:00 GMT") in resp.headers
    got = response("rest-json", resp, op)
    assert got["LastModified"].timestamp() == T0.timestamp() and got["ETag"] == "e"


# -- errors -------------------------------------------------------------------------


def test_modelled_error_round_trip() -> None:
    model = service_model("efs")
    op = model.operation_model("DescribeFileSystems")
    resp = R.serialize_error(AwsError("File system 'fs-1' does not exist.",
                                      "FileSystemNotFound", 404),
                             model, ctx("efs", op.name, "rest-json"))
    parsed = response("rest-json", resp, op)
    assert resp.status == 404
    assert parsed["Error"]["Code"] == "FileSystemNotFound"
    assert parsed["Error"]["Message"] == "File system 'fs-1' does not exist."
    assert ("x-amzn-errortype", "FileSystemNotFound") in resp.headers
    # the modelled error shape's own members ride along (EFS: ErrorCode, Message)
    assert b'"ErrorCode":"FileSystemNotFound"' in resp.body


def test_validation_error_round_trip() -> None:
    model = service_model("scheduler")
    op = model.operation_model("GetSchedule")
    resp = R.serialize_error(AwsError("bad", "ValidationException", 400), model,
                             ctx("scheduler", op.name, "rest-json"))
    parsed = response("rest-json", resp, op)
    assert (resp.status, parsed["Error"]["Code"], parsed["Error"]["Message"]) == (
        400, "ValidationException", "bad")
