"""The query, rest-json and smithy-rpc-v2-cbor protocols end to end: real boto3 clients
against a real server whose services are tiny stubs defined here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import cbor2
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from cargobay.app import App
from cargobay.config import Config
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.store.memory import MemoryStore
from tests.support import CREDS, REGION, client, threaded_server

T0 = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
FS = "fs-0123456789abcdef0"

Req = dict[str, Any]


class CloudWatchStub:
    def __init__(self) -> None:
        self.puts: list[Req] = []

    def put_metric_data(self, ctx: RequestContext, req: Req) -> Req:
        self.puts.append(req)
        return {}

    def get_metric_statistics(self, ctx: RequestContext, req: Req) -> Req:
        start = req["StartTime"]
        return {"Label": req["MetricName"], "Datapoints": [
            {"Timestamp": start, "Average": 1.5, "SampleCount": 2.0, "Unit": "Seconds"},
            {"Timestamp": start + 60.25, "Maximum": 9.0, "ExtendedStatistics": {"p99": 8.5}},
        ]}

    def get_dashboard(self, ctx: RequestContext, req: Req) -> Req:
        raise AwsError(f"Dashboard {req['DashboardName']} does not exist", "ResourceNotFound", 404)


class SnsStub:
    def __init__(self) -> None:
        self.published: list[Req] = []

    def create_topic(self, ctx: RequestContext, req: Req) -> Req:
        return {"TopicArn": f"arn:aws:sns:{ctx.region}:{ctx.account_id}:{req['Name']}"}

    def publish(self, ctx: RequestContext, req: Req) -> Req:
        self.published.append(req)
        return {"MessageId": f"m-{len(self.published)}"}

    def get_topic_attributes(self, ctx: RequestContext, req: Req) -> Req:
        raise AwsError("Topic does not exist", "NotFound", 404)


class StsStub:
    def get_caller_identity(self, ctx: RequestContext, req: Req) -> Req:
        return {"UserId": ctx.access_key_id, "Account": ctx.account_id,
                "Arn": f"arn:aws:iam::{ctx.account_id}:user/tester"}

    def assume_role(self, ctx: RequestContext, req: Req) -> Req:
        return {"Credentials": {"AccessKeyId": "ASIATEST", "SecretAccessKey": "s",
                                "SessionToken": "t", "Expiration": T0.timestamp()},
                "AssumedRoleUser": {"AssumedRoleId": "AROA:s", "Arn": req["RoleArn"]}}


class EfsStub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Req]] = []

    def _fs(self, ctx: RequestContext, token: str) -> Req:
        return {"OwnerId": ctx.account_id, "CreationToken": token, "FileSystemId": FS,
                "CreationTime": T0.timestamp(), "LifeCycleState": "available",
                "NumberOfMountTargets": 0, "SizeInBytes": {"Value": 6144},
                "PerformanceMode": "generalPurpose", "Tags": []}

    def create_file_system(self, ctx: RequestContext, req: Req) -> Req:
        self.calls.append(("create", req))
        return self._fs(ctx, req["CreationToken"])

    def describe_file_systems(self, ctx: RequestContext, req: Req) -> Req:
        self.calls.append(("describe", req))
        return {"FileSystems": [self._fs(ctx, "tok")], "Marker": req.get("Marker")}

    def delete_file_system(self, ctx: RequestContext, req: Req) -> Req:
        raise AwsError(f"File system '{req['FileSystemId']}' does not exist.",
                       "FileSystemNotFound", 404)

    def put_lifecycle_configuration(self, ctx: RequestContext, req: Req) -> Req:
        return {"LifecyclePolicies": req["LifecyclePolicies"]}


class SchedulerStub:
    def list_tags_for_resource(self, ctx: RequestContext, req: Req) -> Req:
        return {"Tags": [{"Key": "arn", "Value": req["ResourceArn"]}]}


class Stubs:
    def __init__(self) -> None:
        self.cloudwatch = CloudWatchStub()
        self.sns = SnsStub()
        self.efs = EfsStub()

    def services(self, app: App) -> dict[str, object]:
        return {"cloudwatch": self.cloudwatch, "sns": self.sns, "sts": StsStub(),
                "efs": self.efs, "scheduler": SchedulerStub()}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Stubs]]:
    stubs = Stubs()
    app = App(Config(data_dir=None), store=MemoryStore(), services=stubs.services)
    with threaded_server(app) as url:
        yield url, stubs


@pytest.fixture
def url(served: tuple[str, Stubs]) -> str:
    return served[0]


@pytest.fixture
def stubs(served: tuple[str, Stubs]) -> Stubs:
    return served[1]


def pinned_client(service: str, url: str, protocol: str, models: Path, **config: Any) -> Any:
    """A boto3 client whose model lists only ``protocol``.

    botocore 1.43 picks the first of json, rest-json, rest-xml, smithy-rpc-v2-cbor, query
    that a model lists, so CloudWatch clients speak JSON 1.0 unless told otherwise; SDKs
    that prefer CBOR (and older ones that speak query) send what these clients send."""
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    raw = loader.load_service_model(service, "service-2")
    raw["metadata"]["protocols"] = [protocol]
    raw["metadata"]["protocol"] = protocol
    folder = models / protocol / service / raw["metadata"]["apiVersion"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service-2.json").write_text(json.dumps(raw))
    loader.search_paths.insert(0, str(models / protocol))
    return boto3.Session(botocore_session=session).client(
        service, endpoint_url=url, region_name=REGION,
        config=BotoConfig(retries={"max_attempts": 1}, **config), **CREDS,
    )


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def cw(url: str, models: Path) -> Any:
    """CloudWatch over smithy-rpc-v2-cbor."""
    return pinned_client("cloudwatch", url, "smithy-rpc-v2-cbor", models)


def unchecked(service: str, url: str) -> Any:
    """A client that sends whatever it is given (no client-side parameter validation)."""
    return client(service, url, parameter_validation=False)


def before_sign(cli: Any, event: str, change: Callable[[Any], None]) -> None:
    """Tamper with the request botocore built, just before it is signed and sent."""
    def handler(request: Any, **_: Any) -> None:
        change(request)
    cli.meta.events.register(f"before-sign.{event}", handler)


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    resp = exc.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"]


# -- smithy-rpc-v2-cbor: CloudWatch -------------------------------------------------


def test_cloudwatch_put_metric_data_over_cbor_reaches_the_handler(cw: Any, stubs: Stubs) -> None:
    seen: list[dict[str, str]] = []

    def record(request: Any, **_: Any) -> None:
        seen.append({k.lower(): v.decode() if isinstance(v, bytes) else v
                     for k, v in request.headers.items()})
    cw.meta.events.register("before-send.monitoring.PutMetricData", record)
    cw.put_metric_data(Namespace="App/Web", MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "web"}],
         "Timestamp": T0, "Values": [1.5, 2.25], "Counts": [3, 1], "Unit": "Milliseconds"},
        {"MetricName": "Requests", "Timestamp": T0,
         "StatisticValues": {"SampleCount": 2, "Sum": 3.5, "Minimum": 1, "Maximum": 2.5}},
    ])
    assert seen[0]["smithy-protocol"] == "rpc-v2-cbor"
    assert seen[0]["content-type"] == "application/cbor"
    got = stubs.cloudwatch.puts[-1]
    assert got["Namespace"] == "App/Web"
    first, second = got["MetricData"]
    assert first == {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "web"}],
                     "Timestamp": T0.timestamp(), "Values": [1.5, 2.25], "Counts": [3.0, 1.0],
                     "Unit": "Milliseconds"}
    assert second["StatisticValues"] == {"SampleCount": 2.0, "Sum": 3.5, "Minimum": 1.0,
                                         "Maximum": 2.5}


def test_cloudwatch_get_metric_statistics_timestamps(cw: Any) -> None:
    resp = cw.get_metric_statistics(Namespace="App", MetricName="Latency", StartTime=T0,
                                    EndTime=datetime(2026, 11, 27, 13, tzinfo=UTC), Period=60,
                                    Statistics=["Average"])
    assert resp["ResponseMetadata"]["HTTPHeaders"]["smithy-protocol"] == "rpc-v2-cbor"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/cbor"
    a, b = resp["Datapoints"]
    assert resp["Label"] == "Latency"
    assert a["Timestamp"] == T0 and a["Average"] == 1.5 and a["Unit"] == "Seconds"
    assert b["Timestamp"].timestamp() == T0.timestamp() + 60.25
    assert b["ExtendedStatistics"] == {"p99": 8.5}


def test_cloudwatch_error_over_cbor(cw: Any) -> None:
    with pytest.raises(ClientError) as e:
        cw.get_dashboard(DashboardName="nope")
    assert error_of(e) == ("ResourceNotFound", 404)
    assert "nope" in e.value.response["Error"]["Message"]


def test_cloudwatch_missing_required_member_is_missing_parameter(url: str, models: Path) -> None:
    cw = pinned_client("cloudwatch", url, "smithy-rpc-v2-cbor", models,
                       parameter_validation=False)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_of(e) == ("MissingParameter", 400)
    assert "Namespace" in e.value.response["Error"]["Message"]


def test_cloudwatch_wrong_type_is_invalid_parameter_value(cw: Any, stubs: Stubs) -> None:
    before = len(stubs.cloudwatch.puts)

    def wrong_type(request: Any) -> None:  # botocore's CBOR writer cannot send a bad type
        request.data = cbor2.dumps({"Namespace": "A", "MetricData": [
            {"MetricName": "m", "Value": "high"}]})
    before_sign(cw, "monitoring.PutMetricData", wrong_type)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="A", MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert error_of(e) == ("InvalidParameterValue", 400)
    assert len(stubs.cloudwatch.puts) == before


def test_cloudwatch_unimplemented_operation(cw: Any) -> None:
    with pytest.raises(ClientError) as e:
        cw.list_dashboards()
    code, status = error_of(e)
    assert status == 400 and code == "UnknownOperationException"


def test_cloudwatch_query_variant(url: str, models: Path, stubs: Stubs) -> None:
    cwq = pinned_client("cloudwatch", url, "query", models)
    cwq.put_metric_data(Namespace="Q", MetricData=[
        {"MetricName": "m", "Timestamp": T0, "Values": [1.0, 2.0], "Counts": [1, 2],
         "Dimensions": [{"Name": "a", "Value": "b"}]}])
    assert stubs.cloudwatch.puts[-1] == {"Namespace": "Q", "MetricData": [
        {"MetricName": "m", "Timestamp": T0.timestamp(), "Values": [1.0, 2.0],
         "Counts": [1.0, 2.0], "Dimensions": [{"Name": "a", "Value": "b"}]}]}
    resp = cwq.get_metric_statistics(Namespace="Q", MetricName="m", StartTime=T0, EndTime=T0,
                                     Period=60, Statistics=["Maximum"])
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"
    assert resp["Datapoints"][0]["Timestamp"] == T0
    with pytest.raises(ClientError) as e:
        cwq.get_dashboard(DashboardName="nope")
    assert error_of(e) == ("ResourceNotFound", 404)


def test_cloudwatch_default_client_speaks_json(url: str, stubs: Stubs) -> None:
    """boto3 1.43's own choice for CloudWatch is JSON 1.0 (served by json_protocol)."""
    cwj = client("cloudwatch", url)
    resp = cwj.get_metric_statistics(Namespace="J", MetricName="m", StartTime=T0, EndTime=T0,
                                     Period=60, Statistics=["Maximum"])
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.0"
    assert resp["Datapoints"][0]["Timestamp"] == T0


# -- query: SNS, STS ----------------------------------------------------------------


def test_sns_create_topic_and_publish_over_query(url: str, stubs: Stubs) -> None:
    sns = client("sns", url)
    arn = sns.create_topic(Name="orders", Attributes={"DisplayName": "O"})["TopicArn"]
    assert arn == "arn:aws:sns:us-east-1:000000000000:orders"
    resp = sns.publish(TopicArn=arn, Message="hello & <goodbye>", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "greeting"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    })
    assert resp["MessageId"].startswith("m-")
    assert resp["ResponseMetadata"]["RequestId"]
    got = stubs.sns.published[-1]
    assert got["Message"] == "hello & <goodbye>"
    assert got["MessageAttributes"] == {
        "kind": {"DataType": "String", "StringValue": "greeting"},
        "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }


def test_sts_over_query(url: str) -> None:
    sts = client("sts", url)
    me = sts.get_caller_identity()
    assert me["Account"] == "000000000000" and me["UserId"] == "test"
    creds = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/task",
                            RoleSessionName="s1")
    assert creds["Credentials"]["Expiration"] == T0
    assert creds["AssumedRoleUser"]["Arn"] == "arn:aws:iam::000000000000:role/task"


def test_sns_error_over_query(url: str) -> None:
    sns = client("sns", url)
    with pytest.raises(sns.exceptions.NotFoundException) as e:
        sns.get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:000000000000:nope")
    assert error_of(e) == ("NotFound", 404)
    assert e.value.response["Error"]["Type"] == "Sender"


def test_query_missing_required_member_is_missing_parameter(url: str, stubs: Stubs) -> None:
    before = len(stubs.sns.published)
    with pytest.raises(ClientError) as e:
        unchecked("sns", url).publish(TopicArn="arn:aws:sns:us-east-1:000000000000:t")
    assert error_of(e) == ("MissingParameter", 400)
    assert "Message" in e.value.response["Error"]["Message"]
    assert len(stubs.sns.published) == before


def test_query_wrong_type_is_invalid_parameter_value(url: str) -> None:
    with pytest.raises(ClientError) as e:
        unchecked("sts", url).assume_role(RoleArn="arn:aws:iam::000000000000:role/task",
                                          RoleSessionName="s1", DurationSeconds="soon")
    assert error_of(e) == ("InvalidParameterValue", 400)


def test_query_constraint_is_validation_error(url: str) -> None:
    with pytest.raises(ClientError) as e:
        unchecked("sts", url).assume_role(RoleArn="arn:aws:iam::000000000000:role/task",
                                          RoleSessionName="s1", DurationSeconds=5)
    assert error_of(e) == ("ValidationError", 400)


def test_query_unknown_action(url: str) -> None:
    sts = client("sts", url)

    def rename(request: Any) -> None:
        request.data["Action"] = "GetEverything"
    before_sign(sts, "sts.GetCallerIdentity", rename)
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert error_of(e) == ("InvalidAction", 400)


# -- rest-json: EFS, EventBridge Scheduler --------------------------------------------


def test_efs_over_rest_json(url: str, stubs: Stubs) -> None:
    efs = client("efs", url)
    created = efs.create_file_system(CreationToken="tok-1", Encrypted=True,
                                     Tags=[{"Key": "Name", "Value": "data"}])
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FileSystemId"] == FS and created["CreationTime"] == T0
    assert stubs.efs.calls[-1] == ("create", {"CreationToken": "tok-1", "Encrypted": True,
                                              "Tags": [{"Key": "Name", "Value": "data"}]})
    listed = efs.describe_file_systems(FileSystemId=FS, MaxItems=5, Marker="m 1/2")
    assert listed["FileSystems"][0]["SizeInBytes"] == {"Value": 6144}
    assert listed["Marker"] == "m 1/2"
    assert stubs.efs.calls[-1] == ("describe", {"FileSystemId": FS, "MaxItems": 5,
                                                "Marker": "m 1/2"})
    put = efs.put_lifecycle_configuration(
        FileSystemId=FS, LifecyclePolicies=[{"TransitionToIA": "AFTER_30_DAYS"}])
    assert put["LifecyclePolicies"] == [{"TransitionToIA": "AFTER_30_DAYS"}]


def test_scheduler_arn_label_over_rest_json(url: str) -> None:
    arn = "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default"
    tags = client("scheduler", url).list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "arn", "Value": arn}]


def test_efs_error_over_rest_json(url: str) -> None:
    efs = client("efs", url)
    with pytest.raises(efs.exceptions.FileSystemNotFound) as e:
        efs.delete_file_system(FileSystemId=FS)
    assert error_of(e) == ("FileSystemNotFound", 404)
    assert e.value.response["ErrorCode"] == "FileSystemNotFound"


def test_rest_json_wrong_type_is_serialization_exception(url: str) -> None:
    with pytest.raises(ClientError) as e:
        unchecked("efs", url).describe_file_systems(MaxItems="lots")
    assert error_of(e) == ("SerializationException", 400)


def test_rest_json_missing_required_member_is_validation_exception(url: str) -> None:
    with pytest.raises(ClientError) as e:
        unchecked("efs", url).put_lifecycle_configuration(FileSystemId=FS)
    assert error_of(e) == ("ValidationException", 400)
    assert "LifecyclePolicies" in e.value.response["Error"]["Message"]


def test_rest_json_unknown_path(url: str) -> None:
    efs = client("efs", url)

    def elsewhere(request: Any) -> None:
        request.url = request.url.replace("/file-systems", "/file-cabinets")
    before_sign(efs, "efs.DescribeFileSystems", elsewhere)
    with pytest.raises(ClientError) as e:
        efs.describe_file_systems()
    assert error_of(e) == ("UnknownOperationException", 404)


def test_cloudwatch_json_missing_member_is_query_coded(url: str) -> None:
    """CloudWatch is awsQueryCompatible: over JSON too, a missing member reads as the
    query code MissingParameter (x-amzn-query-error), as botocore maps it."""
    cwj = client("cloudwatch", url, parameter_validation=False)
    with pytest.raises(ClientError) as e:
        cwj.put_metric_data(MetricData=[{"MetricName": "m", "Value": 1.0}])
    assert e.value.response["Error"]["Code"] == "MissingParameter"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
