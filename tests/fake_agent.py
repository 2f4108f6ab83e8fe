"""A small scripted container-instance agent for the control plane's tests.

It does what the real agent does on the wire (docs/agent-protocol.md), one step at a
time and only when a test says so: registers through boto3 (RegisterContainerInstance),
long-polls ``POST /_cargobay/agent/poll`` (SigV4-signed, like the real one) and reports
through SubmitTaskStateChange / SubmitContainerStateChange.  It runs nothing.
"""

from __future__ import annotations

import http.client
import json
import secrets
import threading
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support import REGION, client

POLL_PATH = "/_cargobay/agent/poll"
RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]
CAPABILITIES = [
    *(f"com.amazonaws.ecs.capability.docker-remote-api.1.{v}" for v in range(17, 45)),
    "com.amazonaws.ecs.capability.logging-driver.json-file",
    "com.amazonaws.ecs.capability.logging-driver.awslogs",
    "com.amazonaws.ecs.capability.task-iam-role",
    "ecs.capability.container-ordering",
    "ecs.capability.execution-role-awslogs",
]


class PollRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.code = str(body.get("__type", ""))
        self.body = body


class FakeAgent:
    def __init__(
        self,
        url: str,
        cluster: str = "default",
        *,
        cpu: int = 2048,
        memory: int = 4096,
        ports: list[str] | None = None,
        attributes: dict[str, str | None] | None = None,
        capabilities: list[str] | None = None,
        zone: str = "us-east-1a",
        instance_type: str = "t3.medium",
        agent_version: str = "1.80.0",
    ) -> None:
        self.url = url
        self.cluster = cluster
        self.ecs = client("ecs", url)
        self.cpu = cpu
        self.memory = memory
        self.ports = list(RESERVED_PORTS if ports is None else ports)
        self.attributes = dict(attributes or {})
        self.capabilities = list(CAPABILITIES if capabilities is None else capabilities)
        self.zone = zone
        self.instance_type = instance_type
        self.agent_version = agent_version
        self.ec2_instance_id = "i-" + secrets.token_hex(9)[:17]
        self._arn: str | None = None
        #: the assignment version last applied, and the desired set it came with
        self.version = 0
        self.tasks: dict[str, dict[str, Any]] = {}

    # -- registration -------------------------------------------------------------------

    def register_request(self, arn: str | None = None) -> dict[str, Any]:
        attrs: list[dict[str, str]] = [
            {"name": "ecs.os-type", "value": "linux"},
            {"name": "ecs.cpu-architecture", "value": "x86_64"},
            *({"name": c} for c in self.capabilities),
        ]
        for k, v in self.attributes.items():
            attrs.append({"name": k, "value": v} if v is not None else {"name": k})
        req: dict[str, Any] = {
            "cluster": self.cluster,
            "totalResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": self.cpu},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": self.memory},
                {"name": "PORTS", "type": "STRINGSET", "stringSetValue": self.ports},
                {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
            ],
            "versionInfo": {
                "agentVersion": self.agent_version,
                "agentHash": "fake",
                "dockerVersion": "DockerVersion: 25.0.0",
            },
            "attributes": attrs,
            "instanceIdentityDocument": json.dumps(
                {
                    "instanceId": self.ec2_instance_id,
                    "region": REGION,
                    "availabilityZone": self.zone,
                    "instanceType": self.instance_type,
                    "imageId": "ami-0fake0000000000",
                }
            ),
        }
        if arn:
            req["containerInstanceArn"] = arn
        return req

    def register(self, *, again: bool = False, **extra: Any) -> dict[str, Any]:
        req = self.register_request(self._arn if again else None)
        req.update(extra)
        ci: dict[str, Any] = self.ecs.register_container_instance(**req)["containerInstance"]
        self._arn = ci["containerInstanceArn"]
        return ci

    @property
    def arn(self) -> str:
        """The container instance ARN (once registered)."""
        assert self._arn is not None, "not registered"
        return self._arn

    @property
    def instance_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def describe(self, *include: str) -> dict[str, Any]:
        out = self.ecs.describe_container_instances(
            cluster=self.cluster, containerInstances=[self.arn], include=list(include)
        )
        assert out["failures"] == [], out["failures"]
        ci: dict[str, Any] = out["containerInstances"][0]
        return ci

    # -- the channel --------------------------------------------------------------------

    def poll(
        self,
        wait: float = 0,
        *,
        version: int | None = None,
        health: dict[str, dict[str, str]] | None = None,
        instance_health: list[dict[str, str]] | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """One poll; applies the answer (version, desired set) and returns it."""
        body: dict[str, Any] = {
            "cluster": self.cluster,
            "containerInstanceArn": self.arn,
            "version": self.version if version is None else version,
            "wait": wait,
        }
        if health is not None:
            body["health"] = health
        if instance_health is not None:
            body["instanceHealth"] = instance_health
        status, answer = raw_poll(self.url, body, timeout=timeout)
        if status != 200:
            raise PollRefused(status, answer)
        self.version = int(answer["version"])
        self.tasks = {t["taskArn"]: t for t in answer["tasks"]}
        return answer

    def poll_in_background(self, wait: float) -> tuple[threading.Thread, dict[str, Any]]:
        """Start a held poll in a thread; the dict gets ``answer`` (or ``error``)."""
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["answer"] = self.poll(wait)
            except Exception as e:  # the test inspects it
                box["error"] = e

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, box

    # -- reports ------------------------------------------------------------------------

    def report(self, task_arn: str, status: str, **extra: Any) -> dict[str, Any]:
        task = self.tasks.get(task_arn) or {}
        containers = extra.pop("containers", None)
        if containers is None:
            names = [c["name"] for c in task.get("containers", [])]
            containers = [
                {"containerName": n, "runtimeId": f"rt-{n}", "status": status} for n in names
            ]
        out: dict[str, Any] = self.ecs.submit_task_state_change(
            cluster=self.cluster, task=task_arn, status=status, containers=containers, **extra
        )
        return out

    def start_all(self) -> list[str]:
        """Report RUNNING for every desired-RUNNING task of the last answer."""
        started = [a for a, t in self.tasks.items() if t["desiredStatus"] == "RUNNING"]
        for arn in started:
            self.report(arn, "RUNNING")
        return started

    def stop_all(self) -> list[str]:
        """Report STOPPED for every desired-STOPPED task of the last answer."""
        stopped = [a for a, t in self.tasks.items() if t["desiredStatus"] == "STOPPED"]
        for arn in stopped:
            self.report(arn, "STOPPED", reason=self.tasks[arn].get("stopReason"))
        return stopped


def raw_poll(url: str, body: Any, *, timeout: float = 30.0) -> tuple[int, dict[str, Any]]:
    """POST ``body`` (JSON, or bytes as they are) to the poll path, SigV4-signed."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = AWSRequest(
        method="POST",
        url=url + POLL_PATH,
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(Credentials("test", "test"), "ecs", REGION).add_auth(req)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("POST", POLL_PATH, body=payload, headers=dict(req.headers.items()))
        r = conn.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else {}
    finally:
        conn.close()
