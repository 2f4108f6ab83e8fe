"""The runtime interface's data: specs from ECS shapes, labels, errors, exit codes."""

from __future__ import annotations

import pytest

from cargobay.agent.runtime import (
    CannotPullContainerError,
    ContainerSpec,
    HealthCheck,
    ecs_labels,
)
from cargobay.agent.runtime.base import signal_exit_code


def test_health_check_from_ecs_uses_ecs_defaults() -> None:
    check = HealthCheck.from_ecs({"command": ["CMD-SHELL", "curl -f http://127.0.0.1/"]})
    assert (check.interval, check.timeout, check.retries, check.start_period) == (30, 5, 3, 0)
    assert check.argv() == ["/bin/sh", "-c", "curl -f http://127.0.0.1/"]
    full = HealthCheck.from_ecs(
        {"command": ["CMD", "true"], "interval": 5, "timeout": 2, "retries": 1, "startPeriod": 9}
    )
    assert full == HealthCheck(("CMD", "true"), 5, 2, 1, 9)
    assert full.argv() == ["true"]


def test_none_disables_a_health_check_and_other_forms_are_refused() -> None:
    assert not HealthCheck(("NONE",)).enabled
    assert HealthCheck(("CMD", "true")).enabled
    with pytest.raises(ValueError):
        HealthCheck(("SHELL", "true")).argv()


def test_ecs_labels_add_the_com_amazonaws_ecs_set_to_docker_labels() -> None:
    labels = ecs_labels(
        cluster="arn:aws:ecs:us-east-1:000000000000:cluster/default",
        container_name="web",
        task_arn="arn:aws:ecs:us-east-1:000000000000:task/default/abc",
        family="web",
        revision=7,
        docker_labels={"team": "a"},
    )
    assert labels == {
        "team": "a",
        "com.amazonaws.ecs.cluster": "arn:aws:ecs:us-east-1:000000000000:cluster/default",
        "com.amazonaws.ecs.container-name": "web",
        "com.amazonaws.ecs.task-arn": "arn:aws:ecs:us-east-1:000000000000:task/default/abc",
        "com.amazonaws.ecs.task-definition-family": "web",
        "com.amazonaws.ecs.task-definition-version": "7",
    }


def test_spec_argv_is_entry_point_then_command_and_defaults_are_ecs_ones() -> None:
    spec = ContainerSpec(task_id="t", name="c", image="i", entry_point=["a"], command=["b"])
    assert spec.argv == ["a", "b"]
    assert (spec.stop_timeout, spec.network_mode, spec.cpu, spec.memory) == (30, "host", 0, None)


def test_errors_read_as_ecs_reasons() -> None:
    err = CannotPullContainerError("pull image manifest has been retried 1 time(s): x")
    assert str(err) == err.reason
    assert err.reason == (
        "CannotPullContainerError: pull image manifest has been retried 1 time(s): x"
    )


@pytest.mark.parametrize(("rc", "code"), [(0, 0), (3, 3), (-9, 137), (-15, 143), (-6, 134)])
def test_exit_codes_follow_docker_128_plus_signal(rc: int, code: int) -> None:
    assert signal_exit_code(rc) == code
