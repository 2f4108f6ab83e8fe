"""What RegisterContainerInstance carries (docs/agent-protocol.md §1)."""

from __future__ import annotations

import json

import pytest

from cargobay.agent.registration import HostInfo, capabilities, instance_type, parse_attribute


def names(host: HostInfo) -> dict[str, str | None]:
    return {a["name"]: a.get("value") for a in host.attributes()}


def test_attributes_and_capabilities() -> None:
    host = HostInfo(runtime="docker", cpu=2048, memory=4000)
    attrs = names(host)
    assert attrs["ecs.os-type"] == "linux" and attrs["ecs.os-family"] == "LINUX"
    assert attrs["ecs.availability-zone"] == "us-east-1a"
    assert attrs["ecs.instance-type"] == "cargobay.large"
    assert attrs["ecs.cpu-architecture"] in ("x86_64", "arm64")
    for cap in (
        "com.amazonaws.ecs.capability.docker-remote-api.1.17",
        "com.amazonaws.ecs.capability.docker-remote-api.1.44",
        "com.amazonaws.ecs.capability.logging-driver.awslogs",
        "com.amazonaws.ecs.capability.task-iam-role",
        "ecs.capability.container-health-check",
        "ecs.capability.container-ordering",
        "ecs.capability.execution-role-awslogs",
        "ecs.capability.env-files.s3",
        "com.amazonaws.ecs.capability.privileged-container",
    ):
        assert cap in attrs, cap
    assert "com.amazonaws.ecs.capability.privileged-container" not in capabilities("process")


def test_given_attributes_replace_the_defaults() -> None:
    host = HostInfo(
        runtime="process", extra_attributes={"ecs.availability-zone": "us-east-1b", "stack": "blue"}
    )
    attrs = [a for a in host.attributes() if a["name"] == "ecs.availability-zone"]
    assert attrs == [{"name": "ecs.availability-zone", "value": "us-east-1b"}]
    assert names(host)["stack"] == "blue"
    assert json.loads(host.identity_document())["availabilityZone"] == "us-east-1b"


def test_resources_version_and_request() -> None:
    host = HostInfo(runtime="docker", cpu=4096, memory=8000, docker_version="28.2.2")
    req = host.register_request("prod", "arn:x")
    res = {r["name"]: r for r in req["totalResources"]}
    assert res["CPU"]["integerValue"] == 4096 and res["MEMORY"]["integerValue"] == 8000
    assert set(res["PORTS"]["stringSetValue"]) == {"22", "2375", "2376", "51678", "51679"}
    assert req["versionInfo"]["dockerVersion"] == "DockerVersion: 28.2.2"
    assert req["cluster"] == "prod" and req["containerInstanceArn"] == "arn:x"
    doc = json.loads(req["instanceIdentityDocument"])
    assert doc["instanceId"] == host.instance_id and len(doc["instanceId"]) == 19
    assert "containerInstanceArn" not in host.register_request("prod", None)


def test_instance_type_from_size_and_attribute_flags() -> None:
    assert instance_type(1024, 2000) == "cargobay.medium"
    assert instance_type(8192, 32000) == "cargobay.2xlarge"
    assert parse_attribute("k=v=w") == ("k", "v=w")
    assert parse_attribute("flag") == ("flag", "")
    with pytest.raises(ValueError):
        parse_attribute("=v")
