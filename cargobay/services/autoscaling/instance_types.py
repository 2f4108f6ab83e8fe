"""The EC2 instance types a launch configuration may name, and the size each declares.

An instance offers ECS its type's vCPUs × 1024 CPU units and its memory in MiB (the
EC2 figures: t3.small is 2 vCPUs, 2 GiB).  The real ECS agent reserves nothing by
default either (ECS_RESERVED_MEMORY is 0), so the whole size is registered.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int

    @property
    def cpu_units(self) -> int:
        return self.vcpus * 1024


_GIB = 1024

_TABLE: tuple[tuple[str, int, int], ...] = (
    # burstable (T3)
    ("t3.nano", 2, _GIB // 2),
    ("t3.micro", 2, 1 * _GIB),
    ("t3.small", 2, 2 * _GIB),
    ("t3.medium", 2, 4 * _GIB),
    ("t3.large", 2, 8 * _GIB),
    ("t3.xlarge", 4, 16 * _GIB),
    ("t3.2xlarge", 8, 32 * _GIB),
    # general purpose (M5)
    ("m5.large", 2, 8 * _GIB),
    ("m5.xlarge", 4, 16 * _GIB),
    ("m5.2xlarge", 8, 32 * _GIB),
    ("m5.4xlarge", 16, 64 * _GIB),
    # compute optimized (C5)
    ("c5.large", 2, 4 * _GIB),
    ("c5.xlarge", 4, 8 * _GIB),
    ("c5.2xlarge", 8, 16 * _GIB),
    ("c5.4xlarge", 16, 32 * _GIB),
    # memory optimized (R5)
    ("r5.large", 2, 16 * _GIB),
    ("r5.xlarge", 4, 32 * _GIB),
    ("r5.2xlarge", 8, 64 * _GIB),
    ("r5.4xlarge", 16, 128 * _GIB),
)

TYPES: dict[str, InstanceType] = {n: InstanceType(n, c, m) for n, c, m in _TABLE}

#: what a launch configuration without InstanceType gets (AWS requires one for a new
#: launch configuration; it is optional in the model only for InstanceId-based ones)
DEFAULT_TYPE = "t3.micro"


def lookup(name: str) -> InstanceType | None:
    return TYPES.get(name)
