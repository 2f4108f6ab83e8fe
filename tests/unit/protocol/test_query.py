"""The query protocol, round-tripped through botocore's QuerySerializer and QueryParser."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import ServiceModel

from cargobay.protocol.errors import AwsError, InternalFailure
from cargobay.protocol.http import HttpRequest
from cargobay.protocol.models import service_model
from cargobay.protocol.query_protocol import QueryProtocol
from tests.unit.protocol.wire import ctx, op_model, request, response

Q = QueryProtocol()
T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def parse_in(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    op = op_model(service, operation)
    req = request("query", op, params)
    assert Q.operation_name(req, op.service_model) == operation
    return Q.parse(req, op)


def round_out(service: str, operation: str, result: dict[str, Any]) -> dict[str, Any]:
    op = op_model(service, operation)
    resp = Q.serialize(op, result, ctx(service, operation, "query"))
    assert resp.status == 200
    assert ("content-type", "text/xml") in resp.headers
    parsed = response("query", resp, op)
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1234"
    parsed.pop("ResponseMetadata")
    return parsed


def error_out(service: str, err: AwsError) -> tuple[int, dict[str, Any]]:
    model = service_model(service)
    op = model.operation_model(model.operation_names[0])
    resp = Q.serialize_error(err, model, ctx(service, op.name, "query"))
    return resp.status, response("query", resp, op)


# -- input --------------------------------------------------------------------------


def test_sns_publish_with_message_attributes_map() -> None:
    got = parse_in(
        "sns",
        "Publish",
        {
            "TopicArn": "arn:aws:sns:us-east-1:000000000000:orders",
            "Message": "a & b <c> = d\nline",
            "Subject": "s",
            "MessageAttributes": {
                "kind": {"DataType": "String", "StringValue": "x y"},
                "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
                "n": {"DataType": "Number", "StringValue": "42"},
            },
        },
    )
    assert got == {
        "TopicArn": "arn:aws:sns:us-east-1:000000000000:orders",
        "Message": "a & b <c> = d\nline",
        "Subject": "s",
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": "x y"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            "n": {"DataType": "Number", "StringValue": "42"},
        },
    }


def test_sns_create_topic_attributes_map_and_tags_list() -> None:
    got = parse_in(
        "sns",
        "CreateTopic",
        {
            "Name": "orders.fifo",
            "Attributes": {"FifoTopic": "true", "DisplayName": "Orders"},
            "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
        },
    )
    assert got == {
        "Name": "orders.fifo",
        "Attributes": {"FifoTopic": "true", "DisplayName": "Orders"},
        "Tags": [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}],
    }


def test_iam_create_role_scalars_and_tags() -> None:
    got = parse_in(
        "iam",
        "CreateRole",
        {
            "RoleName": "task-role",
            "Path": "/ecs/",
            "AssumeRolePolicyDocument": '{"Version":"2012-10-17","Statement":[]}',
            "MaxSessionDuration": 7200,
            "Tags": [{"Key": "k", "Value": "v"}],
        },
    )
    assert got["MaxSessionDuration"] == 7200
    assert got["Path"] == "/ecs/"
    assert got["AssumeRolePolicyDocument"].startswith('{"Version"')
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]


def test_sts_assume_role_lists_and_integers() -> None:
    got = parse_in(
        "sts",
        "AssumeRole",
        {
            "RoleArn": "arn:aws:iam::000000000000:role/r",
            "RoleSessionName": "s1",
            "DurationSeconds": 900,
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "TransitiveTagKeys": ["a", "b"],
        },
    )
    assert got == {
        "RoleArn": "arn:aws:iam::000000000000:role/r",
        "RoleSessionName": "s1",
        "DurationSeconds": 900,
        "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
        "TransitiveTagKeys": ["a", "b"],
    }


def test_autoscaling_nested_lists_and_item_location_names() -> None:
    refs = [{"InstanceFamily": "c5"}, {"InstanceFamily": "m5"}]
    got = parse_in(
        "autoscaling",
        "CreateAutoScalingGroup",
        {
            "AutoScalingGroupName": "web",
            "MinSize": 1,
            "MaxSize": 3,
            "AvailabilityZones": ["us-east-1a", "us-east-1b"],
            "MixedInstancesPolicy": {
                "LaunchTemplate": {
                    "LaunchTemplateSpecification": {"LaunchTemplateName": "web-lt"},
                    "Overrides": [
                        {"InstanceType": "m5.large", "WeightedCapacity": "2"},
                        {
                            "InstanceRequirements": {
                                "VCpuCount": {"Min": 2, "Max": 4},
                                "MemoryMiB": {"Min": 1024},
                                "BaselinePerformanceFactors": {"Cpu": {"References": refs}},
                            }
                        },
                    ],
                },
                "InstancesDistribution": {"OnDemandBaseCapacity": 1},
            },
            "Tags": [{"Key": "k", "Value": "v", "PropagateAtLaunch": True}],
            "NewInstancesProtectedFromScaleIn": False,
        },
    )
    assert got["AvailabilityZones"] == ["us-east-1a", "us-east-1b"]
    overrides = got["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert overrides[0] == {"InstanceType": "m5.large", "WeightedCapacity": "2"}
    req = overrides[1]["InstanceRequirements"]
    assert req["VCpuCount"] == {"Min": 2, "Max": 4}
    assert req["BaselinePerformanceFactors"]["Cpu"]["References"] == refs
    assert got["Tags"] == [{"Key": "k", "Value": "v", "PropagateAtLaunch": True}]
    assert got["NewInstancesProtectedFromScaleIn"] is False
    assert got["MixedInstancesPolicy"]["InstancesDistribution"] == {"OnDemandBaseCapacity": 1}


def test_empty_list_is_sent_and_read_as_empty() -> None:
    got = parse_in(
        "elbv2", "SetSecurityGroups", {"LoadBalancerArn": "arn:lb", "SecurityGroups": []}
    )
    assert got == {"LoadBalancerArn": "arn:lb", "SecurityGroups": []}


def test_cloudwatch_query_variant_put_metric_data() -> None:
    got = parse_in(
        "cloudwatch",
        "PutMetricData",
        {
            "Namespace": "App",
            "MetricData": [
                {
                    "MetricName": "Latency",
                    "Dimensions": [{"Name": "Service", "Value": "web"}],
                    "Timestamp": T0,
                    "Values": [1.5, 2.25],
                    "Counts": [3, 1],
                    "Unit": "Milliseconds",
                },
                {
                    "MetricName": "Requests",
                    "StatisticValues": {"SampleCount": 2, "Sum": 3, "Minimum": 1, "Maximum": 2},
                    "StorageResolution": 1,
                },
            ],
        },
    )
    first, second = got["MetricData"]
    assert first["Timestamp"] == T0.timestamp()
    assert first["Values"] == [1.5, 2.25] and first["Counts"] == [3.0, 1.0]
    assert first["Dimensions"] == [{"Name": "Service", "Value": "web"}]
    assert second["StatisticValues"] == {
        "SampleCount": 2.0, "Sum": 3.0, "Minimum": 1.0, "Maximum": 2.0
    }
    assert second["StorageResolution"] == 1


def test_sdb_flattened_lists_with_location_names() -> None:
    got = parse_in(
        "sdb",
        "PutAttributes",
        {
            "DomainName": "d",
            "ItemName": "i",
            "Attributes": [
                {"Name": "a", "Value": "1", "Replace": True},
                {"Name": "b", "Value": "2"},
            ],
            "Expected": {"Name": "a", "Exists": False},
        },
    )
    assert got["Attributes"] == [
        {"Name": "a", "Value": "1", "Replace": True},
        {"Name": "b", "Value": "2"},
    ]
    assert got["Expected"] == {"Name": "a", "Exists": False}


def test_parameters_in_the_query_string_are_read_too() -> None:
    op = op_model("sts", "GetCallerIdentity")
    req = HttpRequest("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15")
    assert Q.operation_name(req, op.service_model) == "GetCallerIdentity"
    assert Q.parse(req, op) == {}


def test_list_items_are_ordered_by_number_not_text() -> None:
    op = op_model("sts", "AssumeRole")
    keys = "&".join(f"TransitiveTagKeys.member.{i}=k{i}" for i in (10, 2, 1))
    body = f"Action=AssumeRole&RoleArn=arn:aws:iam::0:role/rrrrrrrrrr&RoleSessionName=s1&{keys}"
    req = HttpRequest("POST", "/", "", {"content-type": "application/x-www-form-urlencoded"},
                      body.encode())
    assert Q.parse(req, op)["TransitiveTagKeys"] == ["k1", "k2", "k10"]


# -- input errors -------------------------------------------------------------------


def _form(op_name: str, body: str) -> HttpRequest:
    return HttpRequest(
        "POST", "/", "", {"content-type": "application/x-www-form-urlencoded"},
        f"Action={op_name}&Version=x&{body}".encode(),
    )


def test_missing_required_member_is_missing_parameter() -> None:
    op = op_model("sns", "Publish")
    with pytest.raises(AwsError) as e:
        Q.parse(_form("Publish", "TopicArn=arn:t"), op)
    assert e.value.code == "MissingParameter" and e.value.status == 400
    assert "Message" in e.value.message


def test_wrong_type_is_invalid_parameter_value() -> None:
    op = op_model("sts", "AssumeRole")
    body = "RoleArn=arn:aws:iam::0:role/rrrrrrrr&RoleSessionName=s1&DurationSeconds=soon"
    with pytest.raises(AwsError) as e:
        Q.parse(_form("AssumeRole", body), op)
    assert e.value.code == "InvalidParameterValue" and e.value.status == 400


def test_constraint_failure_is_validation_error() -> None:
    op = op_model("sts", "AssumeRole")
    body = "RoleArn=arn:aws:iam::0:role/rrrrrrrr&RoleSessionName=s1&DurationSeconds=5"
    with pytest.raises(AwsError) as e:
        Q.parse(_form("AssumeRole", body), op)
    assert e.value.code == "ValidationError" and e.value.status == 400
    assert "DurationSeconds" in e.value.message


def test_bad_list_index_is_invalid_parameter_value() -> None:
    op = op_model("sts", "AssumeRole")
    body = "RoleArn=arn:aws:iam::0:role/rrrrrrrr&RoleSessionName=s1&TransitiveTagKeys.member.x=k"
    with pytest.raises(AwsError) as e:
        Q.parse(_form("AssumeRole", body), op)
    assert e.value.code == "InvalidParameterValue"


def test_map_entry_without_key_is_invalid_parameter_value() -> None:
    op = op_model("sns", "CreateTopic")
    with pytest.raises(AwsError) as e:
        Q.parse(_form("CreateTopic", "Name=t&Attributes.entry.1.value=v"), op)
    assert e.value.code == "InvalidParameterValue"


# -- output -------------------------------------------------------------------------


def test_sns_publish_result() -> None:
    got = round_out("sns", "Publish", {"MessageId": "m-1 <&>\"'", "Ignored": "x"})
    assert got == {"MessageId": "m-1 <&>\"'"}


def test_iam_create_role_result_timestamps_and_tags() -> None:
    role = {
        "Path": "/",
        "RoleName": "r",
        "RoleId": "AROA1234567890EXAMPLE",
        "Arn": "arn:aws:iam::000000000000:role/r",
        "CreateDate": T0.timestamp() + 0.25,
        "MaxSessionDuration": 3600,
        "Tags": [{"Key": "k", "Value": "v"}],
        "RoleLastUsed": {"LastUsedDate": T0, "Region": "us-east-1"},
    }
    got = round_out("iam", "CreateRole", {"Role": role})["Role"]
    assert got["CreateDate"].timestamp() == T0.timestamp() + 0.25
    assert got["RoleLastUsed"]["LastUsedDate"].timestamp() == T0.timestamp()
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert got["MaxSessionDuration"] == 3600


def test_iso8601_with_milliseconds_on_the_wire() -> None:
    op = op_model("sts", "AssumeRole")
    creds = {"AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t",
             "Expiration": T0.timestamp()}
    resp = Q.serialize(op, {"Credentials": creds}, ctx("sts", "AssumeRole", "query"))
    assert b"<Expiration>2026-11-27T12:00:00.000Z</Expiration>" in resp.body
    assert b"<AssumeRoleResult>" in resp.body
    assert b'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in resp.body


def test_sts_get_caller_identity_result() -> None:
    got = round_out("sts", "GetCallerIdentity",
                    {"UserId": "AIDA", "Account": "000000000000", "Arn": "arn:aws:iam::0:user/u"})
    assert got == {"UserId": "AIDA", "Account": "000000000000", "Arn": "arn:aws:iam::0:user/u"}


def test_autoscaling_describe_groups_nested_lists() -> None:
    group = {
        "AutoScalingGroupName": "web",
        "MinSize": 1, "MaxSize": 3, "DesiredCapacity": 2, "DefaultCooldown": 300,
        "AvailabilityZones": ["us-east-1a"],
        "HealthCheckType": "EC2",
        "CreatedTime": T0,
        "Instances": [
            {"InstanceId": "i-1", "AvailabilityZone": "us-east-1a", "LifecycleState": "InService",
             "HealthStatus": "Healthy", "ProtectedFromScaleIn": True},
        ],
        "Tags": [{"ResourceId": "web", "Key": "k", "Value": "v", "PropagateAtLaunch": False}],
        "TerminationPolicies": [],
    }
    got = round_out("autoscaling", "DescribeAutoScalingGroups",
                    {"AutoScalingGroups": [group], "NextToken": "n"})
    g = got["AutoScalingGroups"][0]
    assert got["NextToken"] == "n"
    assert g["Instances"][0]["ProtectedFromScaleIn"] is True
    assert g["Tags"][0]["PropagateAtLaunch"] is False
    assert g["CreatedTime"].timestamp() == T0.timestamp()
    assert g["AvailabilityZones"] == ["us-east-1a"] and g["TerminationPolicies"] == []


def test_sns_maps_as_entries() -> None:
    attrs = {"TopicArn": "arn:t", "DisplayName": "a<b"}
    got = round_out("sns", "GetTopicAttributes", {"Attributes": attrs})
    assert got == {"Attributes": attrs}


def test_cloudwatch_query_variant_statistics_and_blob() -> None:
    got = round_out("cloudwatch", "GetMetricStatistics", {
        "Label": "Latency",
        "Datapoints": [{"Timestamp": T0, "Average": 1.25, "SampleCount": 4.0, "Unit": "Seconds",
                        "ExtendedStatistics": {"p99": 2.5}}],
    })
    dp = got["Datapoints"][0]
    assert dp["Timestamp"].timestamp() == T0.timestamp()
    assert dp["Average"] == 1.25 and dp["ExtendedStatistics"] == {"p99": 2.5}
    image = round_out("cloudwatch", "GetMetricWidgetImage", {"MetricWidgetImage": b"\x89PNG\x00"})
    assert image == {"MetricWidgetImage": b"\x89PNG\x00"}


def test_sdb_flattened_output_lists() -> None:
    got = round_out("sdb", "Select", {"Items": [
        {"Name": "i1", "Attributes": [{"Name": "a", "Value": "1"}, {"Name": "b", "Value": "2"}]},
        {"Name": "i2", "Attributes": [{"Name": "c", "Value": "3"}]},
    ]})
    assert got == {"Items": [
        {"Name": "i1", "Attributes": [{"Name": "a", "Value": "1"}, {"Name": "b", "Value": "2"}]},
        {"Name": "i2", "Attributes": [{"Name": "c", "Value": "3"}]},
    ]}


def test_operation_without_output_shape() -> None:
    op = op_model("sns", "DeleteTopic")
    resp = Q.serialize(op, {}, ctx("sns", "DeleteTopic", "query"))
    assert b"<DeleteTopicResponse" in resp.body
    assert response("query", resp, op)["ResponseMetadata"]["RequestId"] == "req-1234"


# -- errors -------------------------------------------------------------------------


def test_modelled_error_round_trip() -> None:
    status, parsed = error_out("sns", AwsError("Topic does not exist", "NotFound", 404))
    assert status == 404
    assert parsed["Error"] == {"Type": "Sender", "Code": "NotFound",
                               "Message": "Topic does not exist"}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1234"


def test_server_fault_is_receiver_and_message_is_escaped() -> None:
    status, parsed = error_out("iam", InternalFailure("boom <&> \"x\""))
    assert status == 500
    assert parsed["Error"] == {"Type": "Receiver", "Code": "InternalFailure",
                               "Message": "boom <&> \"x\""}


# -- flattened maps and lists (no query model in botocore has a flattened map) ---------

_S = {"shape": "S"}
FLAT = ServiceModel(
    {
        "metadata": {"protocol": "query", "apiVersion": "2020-01-01", "xmlNamespace": "urn:t",
                     "serviceId": "Flat", "endpointPrefix": "flat", "signatureVersion": "v4"},
        "operations": {"Echo": {
            "name": "Echo", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Echo"}, "output": {"shape": "Echo", "resultWrapper": "EchoResult"},
        }},
        "shapes": {
            "Echo": {"type": "structure", "members": {
                "Attrs": {"shape": "FlatMap", "locationName": "Attr"},
                "Counts": {"shape": "NamedMap"},
                "Items": {"shape": "FlatList", "locationName": "Item"},
                "Names": {"shape": "NamedFlatList"},
            }},
            "FlatMap": {"type": "map", "flattened": True,
                        "key": {"shape": "S", "locationName": "Name"},
                        "value": {"shape": "S", "locationName": "Val"}},
            "NamedMap": {"type": "map", "key": {"shape": "S", "locationName": "K"},
                         "value": {"shape": "I", "locationName": "V"}},
            "FlatList": {"type": "list", "member": _S, "flattened": True},
            "NamedFlatList": {"type": "list", "flattened": True,
                              "member": {"shape": "S", "locationName": "Name"}},
            "S": {"type": "string"},
            "I": {"type": "integer"},
        },
    },
    service_name="flat",
)
ECHO = {"Attrs": {"a": "1", "b": "2"}, "Counts": {"x": 1, "y": 2}, "Items": ["p", "q"],
        "Names": ["n1", "n2"]}


def test_flattened_maps_and_lists_in() -> None:
    op = FLAT.operation_model("Echo")
    req = request("query", op, ECHO)
    assert b"Attr.1.Name=a" in req.body and b"Counts.entry.2.V=2" in req.body
    assert b"Item.2=q" in req.body and b"Name.1=n1" in req.body
    assert Q.parse(req, op) == ECHO


def test_flattened_maps_and_lists_out() -> None:
    op = FLAT.operation_model("Echo")
    resp = Q.serialize(op, ECHO, ctx("flat", "Echo", "query"))
    assert b"<Attr><Name>a</Name><Val>1</Val></Attr>" in resp.body
    assert b"<Counts><entry><K>x</K><V>1</V></entry>" in resp.body
    assert b"<Item>p</Item><Item>q</Item>" in resp.body
    got = response("query", resp, op)
    got.pop("ResponseMetadata")
    assert got == ECHO
