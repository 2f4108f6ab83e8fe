"""What the agent tells ECS about its host in RegisterContainerInstance.

- **totalResources**: CPU = 1024 units per core, MEMORY in MiB (the host's less a
  reserve for the host itself, as ECS_RESERVED_MEMORY does), PORTS = the host ports the
  ECS agent reserves (22, 2375, 2376, 51678, 51679), PORTS_UDP none.
- **attributes**: ``ecs.os-type``, ``ecs.os-family``, ``ecs.cpu-architecture``,
  ``ecs.instance-type``, ``ecs.availability-zone``, ``ecs.ami-id`` and the capability
  set the runtime supports, plus ``--attribute`` ones (which may replace any of these).
- **versionInfo**: agentVersion (cargobay's), agentHash, dockerVersion.
- **instanceIdentityDocument**: a JSON document with a made-up ``instanceId`` (kept in
  the agent's state file, so a restarted agent is the same instance).
"""

from __future__ import annotations

import json
import os
import platform
import secrets
from dataclasses import dataclass, field
from typing import Any

from cargobay import __version__

LEGACY = "com.amazonaws.ecs.capability."
CAP = "ecs.capability."

#: Host ports the ECS agent reserves on every instance.
RESERVED_PORTS = ("22", "2375", "2376", "51678", "51679")

#: MiB kept back for the host when no --memory is given.
MEMORY_RESERVE_MIB = 256

DEFAULT_ZONE = "us-east-1a"

_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def default_cpu() -> int:
    return 1024 * (os.cpu_count() or 1)


def default_memory() -> int:
    total = int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE")) >> 20
    return max(total - MEMORY_RESERVE_MIB, 128)


def cpu_architecture() -> str:
    machine = platform.machine().lower()
    return _ARCH.get(machine, machine or "x86_64")


def instance_type(cpu: int, memory: int) -> str:
    """``cargobay.<size>`` after EC2's size names, from vCPUs and memory."""
    vcpus = max(1, cpu // 1024)
    sizes = {1: "medium", 2: "large", 4: "xlarge", 8: "2xlarge", 16: "4xlarge"}
    size = sizes.get(vcpus) or (f"{vcpus // 4}xlarge" if vcpus > 16 else "large")
    return f"cargobay.{size}"


def capabilities(runtime: str) -> list[str]:
    """The capability attributes of an instance whose containers run on ``runtime``."""
    caps = [f"{LEGACY}docker-remote-api.1.{v}" for v in range(17, 45)]
    caps += [f"{LEGACY}logging-driver.{d}" for d in ("json-file", "awslogs", "none")]
    caps += [LEGACY + "task-iam-role", LEGACY + "task-iam-role-network-host"]
    caps += [
        CAP + name
        for name in (
            "container-health-check",
            "container-ordering",
            "execution-role-awslogs",
            "env-files.s3",
            "secrets.asm.environment-variables",
            "secrets.ssm.environment-variables",
            "efs",  # EFS volumes (cargobay/agent/volumes.py)
            "efsAuth",
        )
    ]
    if runtime == "docker":
        caps.append(LEGACY + "privileged-container")
    return caps


#: the instance id a new agent takes (``cargobay agent --instance-id``; an Auto Scaling
#: group's instance is started with the id the group gave it), else a random one
INSTANCE_ID_ENV = "CARGOBAY_AGENT_INSTANCE_ID"


def new_instance_id() -> str:
    return os.environ.get(INSTANCE_ID_ENV) or "i-" + secrets.token_hex(9)[:17]


@dataclass
class HostInfo:
    """The facts of this host that registration reports."""

    runtime: str
    cpu: int = field(default_factory=default_cpu)
    memory: int = field(default_factory=default_memory)
    region: str = "us-east-1"
    instance_id: str = field(default_factory=new_instance_id)
    docker_version: str | None = None
    extra_attributes: dict[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> str:
        return self.extra_attributes.get("ecs.availability-zone", DEFAULT_ZONE)

    def attributes(self) -> list[dict[str, str]]:
        base = {
            "ecs.os-type": "linux",
            "ecs.os-family": "LINUX",
            "ecs.cpu-architecture": cpu_architecture(),
            "ecs.instance-type": instance_type(self.cpu, self.memory),
            "ecs.availability-zone": DEFAULT_ZONE,
            "ecs.ami-id": "ami-cargobay0000000",
        }
        out = [{"name": k, "value": v} for k, v in base.items() if k not in self.extra_attributes]
        out += [{"name": c} for c in capabilities(self.runtime) if c not in self.extra_attributes]
        out += [
            {"name": k, "value": v} if v else {"name": k} for k, v in self.extra_attributes.items()
        ]
        return out

    def total_resources(self) -> list[dict[str, Any]]:
        return [
            {"name": "CPU", "type": "INTEGER", "integerValue": self.cpu},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": self.memory},
            {"name": "PORTS", "type": "STRINGSET", "stringSetValue": list(RESERVED_PORTS)},
            {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
        ]

    def version_info(self) -> dict[str, str]:
        info = {"agentVersion": __version__, "agentHash": "cargobay"}
        info["dockerVersion"] = (
            f"DockerVersion: {self.docker_version}"
            if self.docker_version
            else "DockerVersion: none"
        )
        return info

    def identity_document(self) -> str:
        return json.dumps(
            {
                "instanceId": self.instance_id,
                "region": self.region,
                "availabilityZone": self.zone,
                "instanceType": self.extra_attributes.get("ecs.instance-type")
                or instance_type(self.cpu, self.memory),
                "architecture": cpu_architecture(),
                "imageId": "ami-cargobay0000000",
                "accountId": "000000000000",
            }
        )

    def register_request(self, cluster: str, instance_arn: str | None) -> dict[str, Any]:
        req: dict[str, Any] = {
            "cluster": cluster,
            "totalResources": self.total_resources(),
            "versionInfo": self.version_info(),
            "attributes": self.attributes(),
            "instanceIdentityDocument": self.identity_document(),
        }
        if instance_arn:
            req["containerInstanceArn"] = instance_arn
        return req


def parse_attribute(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (or ``KEY``) → (key, value); ValueError for an empty key."""
    key, _, value = text.partition("=")
    if not key.strip():
        raise ValueError(f"attribute {text!r}: expected KEY=VALUE")
    return key.strip(), value.strip()
