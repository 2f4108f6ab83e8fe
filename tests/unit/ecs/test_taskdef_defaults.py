"""The defaults ECS fills into a registered task definition."""

from __future__ import annotations

from cargobay.services.ecs.taskdef_defaults import (
    fill_container,
    fill_port_mapping,
    ordered,
    registered_definition,
)


def test_container_defaults() -> None:
    """As in the AWS CLI reference's register-task-definition answer."""
    assert fill_container({"name": "a", "image": "busybox"}, "bridge") == {
        "name": "a",
        "image": "busybox",
        "cpu": 0,
        "essential": True,
        "portMappings": [],
        "environment": [],
        "mountPoints": [],
        "volumesFrom": [],
        "systemControls": [],
    }


def test_sent_values_win_over_defaults() -> None:
    c = {
        "name": "a",
        "image": "b",
        "cpu": 10,
        "essential": False,
        "environment": [{"name": "X", "value": "1"}],
    }
    out = fill_container(c, "bridge")
    assert out["cpu"] == 10 and out["essential"] is False
    assert out["environment"] == [{"name": "X", "value": "1"}]
    assert c == {
        "name": "a",
        "image": "b",
        "cpu": 10,
        "essential": False,
        "environment": [{"name": "X", "value": "1"}],
    }  # the input is left alone


def test_port_mapping_defaults_per_network_mode() -> None:
    assert fill_port_mapping({"containerPort": 80}, "awsvpc") == {
        "containerPort": 80,
        "hostPort": 80,
        "protocol": "tcp",
    }
    assert fill_port_mapping({"containerPort": 80}, "host") == {
        "containerPort": 80,
        "hostPort": 80,
        "protocol": "tcp",
    }
    assert fill_port_mapping({"containerPort": 80}, "bridge") == {
        "containerPort": 80,
        "hostPort": 0,
        "protocol": "tcp",
    }
    assert fill_port_mapping(
        {"containerPort": 53, "hostPort": 5353, "protocol": "udp"}, "bridge"
    ) == {"containerPort": 53, "hostPort": 5353, "protocol": "udp"}
    assert fill_port_mapping({"containerPortRange": "1-2"}, "awsvpc") == {
        "containerPortRange": "1-2",
        "protocol": "tcp",
    }


def test_health_check_defaults() -> None:
    out = fill_container(
        {"name": "a", "image": "b", "healthCheck": {"command": ["CMD", "true"], "retries": 7}},
        "bridge",
    )
    assert out["healthCheck"] == {
        "command": ["CMD", "true"],
        "interval": 30,
        "timeout": 5,
        "retries": 7,
    }


def test_task_defaults_and_sizes_as_strings() -> None:
    td = registered_definition(
        {
            "family": "f",
            "containerDefinitions": [{"name": "a", "image": "b"}],
            "cpu": "1 vCPU",
            "memory": "2 GB",
            "tags": [{"key": "k", "value": "v"}],
        },
        cpu=1024,
        memory=2048,
    )
    assert td["cpu"] == "1024" and td["memory"] == "2048"
    assert td["volumes"] == [] and td["placementConstraints"] == []
    assert "tags" not in td and "networkMode" not in td and "requiresCompatibilities" not in td


def test_ordered_follows_the_model() -> None:
    out = ordered({"status": "ACTIVE", "family": "f", "taskDefinitionArn": "a", "zzz": 1})
    assert list(out) == ["taskDefinitionArn", "family", "status", "zzz"]
