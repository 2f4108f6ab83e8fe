"""Task sizes (ECS Developer Guide, "Troubleshoot Amazon ECS task definition invalid CPU
or memory errors"): cpu in units or vCPUs, memory in MiB or GB, and Fargate's table."""

from __future__ import annotations

import pytest

from cargobay.services.ecs.fargate_sizes import (
    FARGATE_MEMORY,
    ec2_cpu_ok,
    fargate_size_ok,
    parse_cpu,
    parse_memory,
)


@pytest.mark.parametrize(
    ("text", "units"),
    [
        ("1024", 1024),
        ("1 vCPU", 1024),
        ("1vcpu", 1024),
        (".25 vCPU", 256),
        ("0.5 VCPU", 512),
        ("16 vCPU", 16384),
        (" 256 ", 256),
        ("2.5 vCPU", 2560),
    ],
)
def test_cpu_in_units_or_vcpus(text: str, units: int) -> None:
    assert parse_cpu(text) == units


@pytest.mark.parametrize("text", ["", "abc", "1 GB", "-256", "256.5", "1 vCPUs", "0.0001 vCPU"])
def test_cpu_texts_ecs_refuses(text: str) -> None:
    assert parse_cpu(text) is None


@pytest.mark.parametrize(
    ("text", "mib"),
    [
        ("2048", 2048),
        ("2 GB", 2048),
        ("2GB", 2048),
        ("0.5GB", 512),
        ("1 gb", 1024),
        ("120 GB", 122880),
    ],
)
def test_memory_in_mib_or_gb(text: str, mib: int) -> None:
    assert parse_memory(text) == mib


@pytest.mark.parametrize("text", ["", "2 MB", "1 vCPU", "1.5", "GB", "0.0001GB"])
def test_memory_texts_ecs_refuses(text: str) -> None:
    assert parse_memory(text) is None


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        (256, 512),
        (256, 2048),
        (512, 1024),
        (512, 4096),
        (1024, 2048),
        (1024, 8192),
        (2048, 4096),
        (2048, 16384),
        (4096, 8192),
        (4096, 30720),
        (8192, 16384),
        (8192, 61440),
        (16384, 32768),
        (16384, 122880),
    ],
)
def test_fargate_pairs_in_the_table(cpu: int, memory: int) -> None:
    assert fargate_size_ok(cpu, memory)


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        (256, 256),
        (256, 3072),
        (512, 512),
        (512, 5120),
        (1024, 1024),
        (1024, 9216),
        (2048, 17408),
        (4096, 31744),
        (8192, 18432),
        (16384, 36864),
        (128, 512),
        (3072, 8192),
    ],
)
def test_fargate_pairs_not_in_the_table(cpu: int, memory: int) -> None:
    assert not fargate_size_ok(cpu, memory)


def test_fargate_table_sizes() -> None:
    """1 GB steps up to 4 vCPUs; 4 GB steps at 8 vCPUs; 8 GB steps at 16 vCPUs."""
    assert len(FARGATE_MEMORY[2048]) == 13
    assert len(FARGATE_MEMORY[4096]) == 23
    assert len(FARGATE_MEMORY[8192]) == 12
    assert len(FARGATE_MEMORY[16384]) == 12


def test_windows_on_fargate_needs_at_least_one_vcpu_and_at_most_four() -> None:
    assert fargate_size_ok(1024, 2048, windows=True)
    assert not fargate_size_ok(256, 512, windows=True)
    assert not fargate_size_ok(8192, 16384, windows=True)


def test_ec2_task_cpu_range() -> None:
    assert ec2_cpu_ok(128) and ec2_cpu_ok(196608)
    assert not ec2_cpu_ok(127) and not ec2_cpu_ok(196609)
