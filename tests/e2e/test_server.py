"""The server process: flags, env vars, health, reset, SIGTERM, and kill -9 durability."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import ServerProcess, client, free_port, post, wait_healthy


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def test_health_reports_version_and_services(server_url: str) -> None:
    status, body = _get(server_url + "/health")
    assert status == 200
    assert body["status"] == "ready"
    assert "ecs" in body["services"]
    status2, body2 = _get(server_url + "/_cargobay/health")
    assert status2 == 200 and body2 == body


def test_reset_wipes_every_region(url: str) -> None:
    for region in ("us-east-1", "eu-west-1"):
        client("ecs", url, region=region).create_cluster(clusterName="wipe-me")
    assert post(url + "/_cargobay/reset") == 200
    for region in ("us-east-1", "eu-west-1"):
        assert client("ecs", url, region=region).list_clusters()["clusterArns"] == []


def test_env_vars_and_flags_choose_port_account_and_data_dir(tmp_path: Path) -> None:
    port = free_port()
    srv = ServerProcess(
        port=None,
        env={
            "CARGOBAY_PORT": str(port),
            "CARGOBAY_ACCOUNT_ID": "123456789012",
            "CARGOBAY_DATA_DIR": str(tmp_path / "d"),
        },
    )
    srv.url = f"http://127.0.0.1:{port}"
    srv.start()
    try:
        arn = client("ecs", srv.url).create_cluster(clusterName="c1")["cluster"]["clusterArn"]
        assert arn == "arn:aws:ecs:us-east-1:123456789012:cluster/c1"
        assert (tmp_path / "d" / "state.db").exists()
    finally:
        assert srv.stop() == 0


def test_sigterm_exits_cleanly() -> None:
    srv = ServerProcess().start()
    assert srv.proc is not None
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=15) == 0


def test_unknown_service_and_operation_get_aws_errors(server_url: str) -> None:
    # a service cargobay does not serve: a 4xx AWS error, not a 500
    kinesis = client("kinesis", server_url)
    with pytest.raises(ClientError) as e:
        kinesis.list_streams()
    assert 400 <= e.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert e.value.response["Error"]["Code"] == "UnknownServiceException"
    # an operation ECS does not have
    req = urllib.request.Request(
        server_url + "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.FlyToTheMoon",
            "Content-Type": "application/x-amz-json-1.1",
        },
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(req, timeout=5)
    assert h.value.code == 400
    assert json.loads(h.value.read())["__type"] == "UnknownOperationException"


def test_malformed_json_is_a_serialization_error(server_url: str) -> None:
    req = urllib.request.Request(
        server_url + "/",
        data=b"{not json",
        headers={
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
            "Content-Type": "application/x-amz-json-1.1",
        },
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as h:
        urllib.request.urlopen(req, timeout=5)
    assert h.value.code == 400
    assert json.loads(h.value.read())["__type"] == "SerializationException"


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    """An acknowledged write survives kill -9 of the server (DESIGN principle 5)."""
    data = str(tmp_path / "state")
    srv = ServerProcess(data_dir=data).start()
    ecs = client("ecs", srv.url)
    arns = []
    for i in range(20):
        arns.append(ecs.create_cluster(clusterName=f"durable-{i}")["cluster"]["clusterArn"])
        ecs.register_task_definition(
            family="durable",
            containerDefinitions=[{"name": "app", "image": "busybox", "memory": 64}],
        )
    ecs.tag_resource(resourceArn=arns[0], tags=[{"key": "k", "value": "v"}])
    srv.kill9()  # no chance to flush or close anything

    again = ServerProcess(data_dir=data, port=srv.port).start()
    try:
        ecs = client("ecs", again.url)
        listed = ecs.list_clusters()["clusterArns"]
        assert sorted(listed) == sorted(arns)
        td = ecs.describe_task_definition(taskDefinition="durable")["taskDefinition"]
        assert td["revision"] == 20
        assert ecs.list_tags_for_resource(resourceArn=arns[0])["tags"] == [
            {"key": "k", "value": "v"}
        ]
        # numbering continues where it stopped
        nxt = ecs.register_task_definition(
            family="durable",
            containerDefinitions=[{"name": "app", "image": "busybox", "memory": 64}],
        )["taskDefinition"]
        assert nxt["revision"] == 21
    finally:
        again.stop()


def test_server_refuses_to_start_on_a_busy_port() -> None:
    srv = ServerProcess().start()
    try:
        other = ServerProcess(port=srv.port)
        p = subprocess.run(other.cmd, capture_output=True, timeout=30, env=other.env)
        assert p.returncode != 0
        wait_healthy(srv.url)  # the first one is unharmed
    finally:
        srv.stop()


def test_cli_version() -> None:
    out = subprocess.run([sys.executable, "-m", "cargobay", "--version"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("cargobay ")
