"""RunTask on Fargate: every refusal with ECS's error, and nothing changes (table-driven).

Checked before anything runs, so the shared server (whatever its runtime) serves.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.fargate.test_fargate_tasks import NETWORK, register
from tests.support import expect_error

NO_CONFIG = (
    "No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon "
    "ECS documentation for the valid values."
)


def test_run_task_fargate_refusals_change_nothing(ecs: Any) -> None:
    ecs.create_cluster(clusterName="default")
    td = register(ecs, "fg", ["sleep", "60"])
    arm = register(ecs, "fg-arm", ["sleep", "60"],
                   runtimePlatform={"cpuArchitecture": "ARM64",
                                    "operatingSystemFamily": "LINUX"})
    amd = register(ecs, "fg-amd", ["sleep", "60"],
                   runtimePlatform={"cpuArchitecture": "X86_64",
                                    "operatingSystemFamily": "LINUX"})
    ecs.register_task_definition(family="bridge", containerDefinitions=[
        {"name": "a", "image": "x", "memory": 64}])
    import platform

    foreign = arm if platform.machine() in ("x86_64", "AMD64") else amd
    base: dict[str, Any] = {"taskDefinition": td, "launchType": "FARGATE",
                            "networkConfiguration": NETWORK}
    vpc = NETWORK["awsvpcConfiguration"]
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        ({"taskDefinition": "bridge"}, "InvalidParameterException",
         "Task definition does not support launch_type FARGATE."),
        ({"networkConfiguration": None}, "InvalidParameterException",
         "Network Configuration must be provided when networkMode 'awsvpc' is specified."),
        ({"networkConfiguration": {"awsvpcConfiguration": {"subnets": []}}},
         "InvalidParameterException", "subnets can not be empty."),
        ({"networkConfiguration": {"awsvpcConfiguration": {
            "subnets": [f"subnet-{i}" for i in range(17)]}}}, "InvalidParameterException",
         None),
        ({"networkConfiguration": {"awsvpcConfiguration": {
            **vpc, "securityGroups": [f"sg-{i}" for i in range(6)]}}},
         "InvalidParameterException", None),
        ({"platformVersion": "9.9.9"}, "PlatformUnknownException",
         "The specified platform version doesn't exist."),
        ({"platformVersion": "1.3.0"}, "UnsupportedFeatureException", None),
        ({"placementConstraints": [{"type": "distinctInstance"}]}, "InvalidParameterException",
         "Placement constraints are not supported with FARGATE launch type."),
        ({"placementStrategy": [{"type": "binpack", "field": "memory"}]},
         "InvalidParameterException",
         "Placement strategies are not supported with FARGATE launch type."),
        ({"overrides": {"memory": "4096"}}, "InvalidParameterException", NO_CONFIG),
        ({"overrides": {"ephemeralStorage": {"sizeInGiB": 201}}}, "InvalidParameterException",
         "The ephemeral storage size must be between 21 GiB and 200 GiB."),
        ({"overrides": {"ephemeralStorage": {"sizeInGiB": 20}}}, "InvalidParameterException",
         "The ephemeral storage size must be between 21 GiB and 200 GiB."),
        ({"taskDefinition": foreign}, "UnsupportedFeatureException", None),
        # a strategy needs a provider of weight > 0 (capacity_strategy.check)
        ({"launchType": None, "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]},
         "InvalidParameterException", None),
        ({"launchType": "EC2"}, "InvalidParameterException", None),
    ]
    ecs.put_cluster_capacity_providers(cluster="default", capacityProviders=["FARGATE"],
                                       defaultCapacityProviderStrategy=[])
    for change, code, message in cases:
        req = {k: v for k, v in {**base, **change}.items() if v is not None}
        got = expect_error(lambda r=req: ecs.run_task(**r), code)  # type: ignore[misc]
        if message is not None:
            assert got == message, change
    assert ecs.list_tasks()["taskArns"] == []
    assert ecs.list_tasks(desiredStatus="STOPPED")["taskArns"] == []
    cluster = ecs.describe_clusters(clusters=["default"])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (0, 0)
