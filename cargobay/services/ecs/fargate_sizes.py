"""Task sizes as ECS reads them, and the cpu/memory pairs Fargate offers.

Sources (Amazon ECS Developer Guide, "Troubleshoot Amazon ECS task definition invalid CPU
or memory errors" and the RegisterTaskDefinition API reference):

- Task ``cpu`` may be written in CPU units (``"1024"``) or vCPUs (``"1 vCPU"``,
  ``".25 vCPU"``); ``memory`` in MiB (``"2048"``) or GB (``"2 GB"``, ``"2GB"``).  Both are
  converted to integers (CPU units, MiB) when the task definition is registered.
- Fargate sizes::

      256 (.25 vCPU)  512 MiB, 1 GB, 2 GB                      Linux
      512 (.5 vCPU)   1-4 GB                                   Linux
      1024 (1 vCPU)   2-8 GB in 1 GB steps                     Linux, Windows
      2048 (2 vCPU)   4-16 GB in 1 GB steps                    Linux, Windows
      4096 (4 vCPU)   8-30 GB in 1 GB steps                    Linux, Windows
      8192 (8 vCPU)   16-60 GB in 4 GB steps                   Linux (platform 1.4.0+)
      16384 (16 vCPU) 32-120 GB in 8 GB steps                  Linux (platform 1.4.0+)

- On EC2, task cpu may be 128 units (0.125 vCPU) to 196608 units (192 vCPUs).
"""

from __future__ import annotations

import re

UNITS_PER_VCPU = 1024
MIB_PER_GB = 1024

EC2_MIN_CPU = 128
EC2_MAX_CPU = 196608

FARGATE_MEMORY: dict[int, frozenset[int]] = {
    256: frozenset((512, 1024, 2048)),
    512: frozenset(range(1024, 4096 + 1, 1024)),
    1024: frozenset(range(2048, 8192 + 1, 1024)),
    2048: frozenset(range(4096, 16384 + 1, 1024)),
    4096: frozenset(range(8192, 30720 + 1, 1024)),
    8192: frozenset(range(16384, 61440 + 1, 4096)),
    16384: frozenset(range(32768, 122880 + 1, 8192)),
}

#: Windows containers on Fargate: at least 1 vCPU, at most 4 vCPUs
FARGATE_WINDOWS_CPU = frozenset((1024, 2048, 4096))

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_CPU = re.compile(rf"^\s*{_NUMBER}\s*(vcpu)?\s*$", re.IGNORECASE)
_MEMORY = re.compile(rf"^\s*{_NUMBER}\s*(gb)?\s*$", re.IGNORECASE)


def _scaled(match: re.Match[str] | None, factor: int) -> int | None:
    if match is None:
        return None
    number, unit = match.group(1), match.group(2)
    if unit is None:
        # plain units must be whole numbers: "256", not "256.5"
        return int(number) if number.isdigit() else None
    value = float(number) * factor
    return int(value) if value.is_integer() else None


def parse_cpu(text: str) -> int | None:
    """CPU units from ``"1024"`` or ``"1 vCPU"``; None when ECS would refuse the text."""
    return _scaled(_CPU.match(text), UNITS_PER_VCPU)


def parse_memory(text: str) -> int | None:
    """MiB from ``"2048"`` or ``"2 GB"``; None when ECS would refuse the text."""
    return _scaled(_MEMORY.match(text), MIB_PER_GB)


def fargate_size_ok(cpu: int, memory: int, *, windows: bool = False) -> bool:
    """Whether Fargate offers a task of ``cpu`` units and ``memory`` MiB."""
    if windows and cpu not in FARGATE_WINDOWS_CPU:
        return False
    allowed = FARGATE_MEMORY.get(cpu)
    return allowed is not None and memory in allowed


def ec2_cpu_ok(cpu: int) -> bool:
    return EC2_MIN_CPU <= cpu <= EC2_MAX_CPU
