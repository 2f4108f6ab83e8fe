"""Fargate tasks end to end (issue 4): each task its own sandbox and its own address.

On the process runtime and on Docker: two Fargate tasks run at once, each with its own
127.1.x.y address shown as an ElasticNetworkInterface attachment and as its
containers' networkInterfaces; a program of the task binds that address and serves its
own metadata (Networks[0].IPv4Addresses is the address); a task whose container uses
more than the task's memory is killed (exit 137, OutOfMemoryError); the stopped
tasks' attachments are DETACHED.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.e2e.fargate.conftest import TEST_IMAGE, until

NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d"], "securityGroups": ["sg-1"],
                                   "assignPublicIp": "DISABLED"}}
#: serves the container's own metadata document on the task's address, port 8080
SERVE_METADATA = (
    'd=/tmp/fargate-$CARGOBAY_TASK_IPV4; mkdir -p $d && '
    'busybox wget -q -O $d/meta "$ECS_CONTAINER_METADATA_URI_V4" && '
    'exec busybox httpd -f -h $d -p $CARGOBAY_TASK_IPV4:8080'
)
HOG = {
    "process": ["python3", "-c", "import time; x = b'a' * (700 << 20); time.sleep(60)"],
    "docker": ["tail", "/dev/zero"],
}


def register(ecs: Any, family: str, command: list[str], **extra: Any) -> str:
    td = ecs.register_task_definition(
        family=family,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "main", "image": TEST_IMAGE, "command": command,
                               "essential": True, "stopTimeout": 2}],
        **extra,
    )["taskDefinition"]
    return str(td["taskDefinitionArn"])


def details(task: dict[str, Any]) -> dict[str, str]:
    (eni,) = [a for a in task["attachments"] if a["type"] == "ElasticNetworkInterface"]
    return {d["name"]: d["value"] for d in eni["details"]}


def eni_status(task: dict[str, Any]) -> str:
    (eni,) = [a for a in task["attachments"] if a["type"] == "ElasticNetworkInterface"]
    return str(eni["status"])


def describe(ecs: Any, arns: list[str]) -> list[dict[str, Any]]:
    return list(ecs.describe_tasks(cluster=ecs.cluster, tasks=arns)["tasks"])


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=2) as r:
        return bytes(r.read())


def test_two_fargate_tasks_each_with_its_own_address_and_memory(
    fecs: Any, runtime_kind: str
) -> None:
    ecs = fecs
    web = register(ecs, "fg-web", ["sh", "-c", SERVE_METADATA])
    hog = register(ecs, "fg-hog", HOG[runtime_kind])
    started = [
        ecs.run_task(cluster=ecs.cluster, taskDefinition=td, launchType="FARGATE",
                     networkConfiguration=NETWORK)["tasks"][0]
        for td in (web, hog)
    ]
    arns = [t["taskArn"] for t in started]
    for t in started:
        assert t["launchType"] == "FARGATE" and "containerInstanceArn" not in t
        assert t["lastStatus"] == "PENDING" and eni_status(t) == "PRECREATED"
    ips = [details(t)["privateIPv4Address"] for t in started]
    assert ips[0] != ips[1] and all(ip.startswith("127.1.") for ip in ips)

    # the web task binds its own address and serves what its metadata endpoint says
    running = until(lambda: (d := describe(ecs, [arns[0]])[0])["lastStatus"] == "RUNNING" and d)
    assert eni_status(running) == "ATTACHED"
    assert running["platformVersion"] == "1.4.0" and running["platformFamily"] == "Linux"
    assert running["capacityProviderName"] == "FARGATE"
    assert running["ephemeralStorage"] == {"sizeInGiB": 20}
    assert (running["cpu"], running["memory"]) == ("256", "512")
    d = details(running)
    assert d["subnetId"] == "subnet-0a1b2c3d" and d["networkInterfaceId"].startswith("eni-")
    assert d["privateDnsName"] == "ip-" + ips[0].replace(".", "-") + ".ec2.internal"
    (container,) = running["containers"]
    assert container["networkInterfaces"][0]["privateIpv4Address"] == ips[0]
    if runtime_kind == "docker":  # the sandbox: the task's size as the engine's limits
        import docker  # type: ignore[import-untyped,unused-ignore]

        engine = docker.from_env()
        try:
            (box,) = engine.containers.list(
                filters={"label": f"com.amazonaws.ecs.task-arn={arns[0]}"})
            host = box.attrs["HostConfig"]
            assert (host["NanoCpus"], host["Memory"]) == (250_000_000, 512 << 20)
            assert host["NetworkMode"] == "host"
        finally:
            engine.close()
    meta = json.loads(until(lambda: _try_fetch(f"http://{ips[0]}:8080/meta")))
    assert meta["Networks"][0]["IPv4Addresses"] == [ips[0]]
    assert meta["Networks"][0]["NetworkMode"] == "awsvpc"

    # the hog goes over the task's 512 MiB and is killed
    stopped = until(lambda: (d := describe(ecs, [arns[1]])[0])["lastStatus"] == "STOPPED" and d,
                    timeout=60)
    (c,) = stopped["containers"]
    assert c["exitCode"] == 137
    assert c["reason"].startswith("OutOfMemoryError")
    assert stopped["stopCode"] == "EssentialContainerExited"
    assert eni_status(stopped) == "DETACHED"

    ecs.stop_task(cluster=ecs.cluster, task=arns[0], reason="done")
    gone = until(lambda: (d := describe(ecs, [arns[0]])[0])["lastStatus"] == "STOPPED" and d)
    assert gone["stopCode"] == "UserInitiated" and gone["stoppedReason"] == "done"
    assert eni_status(gone) == "DETACHED"
    assert [t["launchType"] for t in describe(ecs, arns)] == ["FARGATE", "FARGATE"]


def _try_fetch(url: str) -> bytes | None:
    try:
        return fetch(url)
    except OSError:
        return None


@pytest.mark.parametrize("runtime_kind", ["process"])
def test_a_fargate_tasks_health_check_sets_its_health(fecs: Any) -> None:
    """Health travels in the fleet as in an agent's poll: the container's and the task's
    healthStatus become HEALTHY once the check passes."""
    ecs = fecs
    td = ecs.register_task_definition(
        family="fg-health", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
        cpu="256", memory="512",
        containerDefinitions=[{"name": "main", "image": TEST_IMAGE, "command": ["sleep", "60"],
                               "stopTimeout": 2,
                               "healthCheck": {"command": ["CMD-SHELL", "true"],
                                               "interval": 5, "retries": 1}}],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster=ecs.cluster, taskDefinition=td, launchType="FARGATE",
                       networkConfiguration=NETWORK)["tasks"][0]["taskArn"]
    task = until(lambda: (d := describe(ecs, [arn])[0])["healthStatus"] == "HEALTHY" and d,
                 timeout=20)
    assert task["containers"][0]["healthStatus"] == "HEALTHY"
