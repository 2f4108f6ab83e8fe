"""What RunTask and CreateService check before a task runs on Fargate.

With ECS's errors (API reference, Fargate developer guide):

- the task definition must be Fargate-compatible (its ``compatibilities`` hold
  FARGATE: networkMode ``awsvpc``, task-level cpu and memory a valid Fargate pair, …):
  otherwise "Task definition does not support launch_type FARGATE.";
- ``networkConfiguration.awsvpcConfiguration`` is required ("Network Configuration must
  be provided when networkMode 'awsvpc' is specified."), with at least one subnet
  ("subnets can not be empty."), at most 16 subnets and 5 security groups;
  ``assignPublicIp`` is accepted (there is nothing public here);
- ``platformVersion``: ``LATEST`` (today 1.4.0) or ``1.4.0``; an older real version
  (1.0.0 – 1.3.0) is UnsupportedFeatureException, anything else PlatformUnknownException;
- the task's cpu/memory after overrides must still be a Fargate pair ("No Fargate
  configuration exists for given values: …");
- ``overrides.ephemeralStorage.sizeInGiB``: 21 – 200;
- ``runtimePlatform``: operatingSystemFamily LINUX (Windows cannot run here) and a
  cpuArchitecture this host runs (X86_64 on x86_64, ARM64 on aarch64);
- no placement constraints or strategies ("… are not supported with FARGATE launch
  type.").  Tasks from the FARGATE / FARGATE_SPOT capacity providers (capacity_run.py)
  are checked the same way.
"""

from __future__ import annotations

import platform
from typing import Any

from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import placement
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.fargate_sizes import fargate_size_ok
from cargobay.services.ecs.task_errors import UnsupportedFeatureException

Doc = dict[str, Any]

PLATFORM_VERSION = "1.4.0"
PLATFORM_FAMILY = "Linux"
KNOWN_OLDER = ("1.0.0", "1.1.0", "1.2.0", "1.3.0")
MAX_SUBNETS = 16
MAX_SECURITY_GROUPS = 5
EPHEMERAL_MIN = 21
EPHEMERAL_MAX = 200
#: what a Fargate task on platform 1.4.0 gets when it asks for nothing more
DEFAULT_EPHEMERAL_GIB = 20
NO_CONSTRAINTS = "Placement constraints are not supported with FARGATE launch type."
NO_STRATEGIES = "Placement strategies are not supported with FARGATE launch type."


class PlatformUnknownException(AwsError):
    code = "PlatformUnknownException"


def host_architecture() -> str:
    """ECS's cpuArchitecture of this machine."""
    machine = platform.machine().lower()
    return "ARM64" if machine in ("aarch64", "arm64") else "X86_64"


def check_definition(td: Doc) -> None:
    required = td.get("requiresCompatibilities") or []
    if "FARGATE" not in td.get("compatibilities", []) or (required and "FARGATE" not in required):
        raise InvalidParameterException("Task definition does not support launch_type FARGATE.")


def check_network(config: Doc | None) -> Doc:
    """The awsvpcConfiguration of a Fargate task or service."""
    vpc = (config or {}).get("awsvpcConfiguration")
    if not vpc:
        raise InvalidParameterException(
            "Network Configuration must be provided when networkMode 'awsvpc' is specified."
        )
    subnets = vpc.get("subnets") or []
    if not subnets:
        raise InvalidParameterException("subnets can not be empty.")
    if len(subnets) > MAX_SUBNETS:
        raise InvalidParameterException(f"subnets can have at most {MAX_SUBNETS} items.")
    if len(vpc.get("securityGroups") or []) > MAX_SECURITY_GROUPS:
        raise InvalidParameterException(
            f"securityGroups can have at most {MAX_SECURITY_GROUPS} items."
        )
    out: Doc = dict(vpc)
    return out


def check_platform_version(version: str | None) -> str:
    """The platform version the task runs on (LATEST → 1.4.0)."""
    if version in (None, "", "LATEST", PLATFORM_VERSION):
        return PLATFORM_VERSION
    if version in KNOWN_OLDER:
        raise UnsupportedFeatureException(
            f"cargobay runs Fargate platform version {PLATFORM_VERSION} (LATEST) only, "
            f"not {version}."
        )
    raise PlatformUnknownException("The specified platform version doesn't exist.")


def check_placement(constraints: list[Doc] | None, strategies: list[Doc] | None) -> None:
    if constraints:
        raise InvalidParameterException(NO_CONSTRAINTS)
    if strategies:
        raise InvalidParameterException(NO_STRATEGIES)


def check_runtime_platform(td: Doc) -> str:
    """The task's cpuArchitecture, if this host can run it."""
    rp = td.get("runtimePlatform") or {}
    family = rp.get("operatingSystemFamily")
    if family not in (None, "LINUX"):
        raise UnsupportedFeatureException(
            f"cargobay runs Linux tasks on Fargate: operatingSystemFamily {family} cannot "
            "run on this host."
        )
    host = host_architecture()
    arch = rp.get("cpuArchitecture") or host
    if arch != host:
        raise UnsupportedFeatureException(
            f"This host runs {host} tasks: cpuArchitecture {arch} cannot run on it."
        )
    return str(arch)


def check_size(td: Doc, overrides: Doc) -> tuple[int, int]:
    cpu, memory = placement.task_size(td, overrides)
    if not fargate_size_ok(cpu, memory):
        raise InvalidParameterException(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values."
        )
    return cpu, memory


def ephemeral_storage(td: Doc, overrides: Doc) -> int:
    given = (overrides.get("ephemeralStorage") or {}).get("sizeInGiB")
    if given is not None and not EPHEMERAL_MIN <= int(given) <= EPHEMERAL_MAX:
        raise InvalidParameterException(
            f"The ephemeral storage size must be between {EPHEMERAL_MIN} GiB and "
            f"{EPHEMERAL_MAX} GiB."
        )
    if given is None:
        given = (td.get("ephemeralStorage") or {}).get("sizeInGiB")
    return int(given) if given is not None else DEFAULT_EPHEMERAL_GIB


def check_task(td: Doc, overrides: Doc, req: Doc) -> Doc:
    """Everything a Fargate RunTask checks; what the new task needs to know."""
    check_definition(td)
    check_placement(req.get("placementConstraints"), req.get("placementStrategy"))
    vpc = check_network(req.get("networkConfiguration"))
    version = check_platform_version(req.get("platformVersion"))
    cpu, memory = check_size(td, overrides)
    return {
        "vpc": vpc,
        "platformVersion": version,
        "cpuArchitecture": check_runtime_platform(td),
        "ephemeralGiB": ephemeral_storage(td, overrides),
        "cpu": cpu,
        "memory": memory,
    }


def check_service(req: Doc, td: Doc) -> None:
    """What CreateService / UpdateService check for a FARGATE service (``req``: the
    service as it will be)."""
    check_definition(td)
    check_placement(req.get("placementConstraints"), req.get("placementStrategy"))
    check_network(req.get("networkConfiguration"))
    check_platform_version(req.get("platformVersion"))
    check_size(td, {})
    check_runtime_platform(td)
