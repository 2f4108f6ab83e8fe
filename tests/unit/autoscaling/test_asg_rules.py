"""The pure rules of EC2 Auto Scaling: termination choice, zones, user data, sizes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from cargobay.services.autoscaling import instance_types, termination, user_data, zones
from cargobay.services.autoscaling.errors import AsgValidationError


def inst(iid: str, zone: str, launched: float = 0.0, lc: str = "lc",
         protected: bool = False) -> dict[str, Any]:
    return {"InstanceId": iid, "AvailabilityZone": zone, "launchedAt": launched,
            "LaunchConfigurationName": lc, "ProtectedFromScaleIn": protected}


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["InstanceId"] for d in docs]


def test_scale_in_takes_from_the_zone_with_most_instances_first() -> None:
    group = [inst("i-1", "a"), inst("i-2", "b"), inst("i-3", "b")]
    assert ids(termination.choose(group, 1, "lc", 100.0))[0] in ("i-2", "i-3")
    assert sorted(ids(termination.choose(group, 2, "lc", 100.0))) in (
        ["i-1", "i-2"], ["i-1", "i-3"])


def test_then_an_old_launch_configuration_then_closest_to_the_billing_hour() -> None:
    now = 10_000.0
    group = [inst("i-1", "a", launched=now - 100), inst("i-2", "a", launched=now - 3000),
             inst("i-3", "a", launched=now - 50, lc="old")]
    order = ids(termination.choose(group, 3, "lc", now))
    assert order == ["i-3", "i-2", "i-1"]


def test_protected_instances_are_never_chosen() -> None:
    group = [inst("i-1", "a", protected=True), inst("i-2", "a")]
    assert ids(termination.choose(group, 2, "lc", 0.0)) == ["i-2"]
    assert termination.choose([inst("i-1", "a", protected=True)], 1, "lc", 0.0) == []


def test_new_instances_go_to_the_emptiest_zone() -> None:
    live = [inst("i-1", "us-east-1a"), inst("i-2", "us-east-1a"), inst("i-3", "us-east-1b")]
    assert zones.pick_zone(["us-east-1a", "us-east-1b", "us-east-1c"], live) == "us-east-1c"
    assert zones.pick_zone(["us-east-1a", "us-east-1b"], live) == "us-east-1b"


def test_subnets_map_to_zones_in_order() -> None:
    azs, mapping = zones.zones_for("us-east-1", None, "subnet-1, subnet-2,subnet-x-us-east-1d")
    assert mapping == {"subnet-1": "us-east-1a", "subnet-2": "us-east-1b",
                       "subnet-x-us-east-1d": "us-east-1d"}
    assert azs == ["us-east-1a", "us-east-1b", "us-east-1d"]
    with pytest.raises(AsgValidationError):
        zones.zones_for("us-east-1", [], "")
    with pytest.raises(AsgValidationError):
        zones.zones_for("us-east-1", ["eu-west-1a"], None)


@pytest.mark.parametrize(("text", "cluster"), [
    ("ECS_CLUSTER=prod\n", "prod"),
    ("#!/bin/bash\necho ECS_CLUSTER=my-cluster >> /etc/ecs/ecs.config\n", "my-cluster"),
    ("#!/bin/bash\necho 'ECS_CLUSTER=quoted' >> /etc/ecs/ecs.config", "quoted"),
    ("#!/bin/bash\necho hello\n", "default"),
    ("", "default"),
])
def test_user_data_names_the_cluster(text: str, cluster: str) -> None:
    encoded = base64.b64encode(text.encode()).decode()
    assert user_data.cluster_of(encoded) == cluster


def test_instance_types_declare_ec2_sizes() -> None:
    small = instance_types.lookup("t3.small")
    assert small is not None and (small.cpu_units, small.memory_mib) == (2048, 2048)
    big = instance_types.lookup("r5.4xlarge")
    assert big is not None and (big.cpu_units, big.memory_mib) == (16 * 1024, 128 * 1024)
    for family in ("t3", "m5", "c5", "r5"):
        assert any(n.startswith(family + ".") for n in instance_types.TYPES)
    assert instance_types.lookup("x1.32xlarge") is None
