"""Application Auto Scaling state survives a kill -9: targets, policies, scheduled
actions and activities are in the store, and the scheduler plans again at start, so a
scheduled action put before the kill still fires after the restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from tests.support import ServerProcess, client

T = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
     "ResourceId": "service/default/web"}


def test_targets_policies_and_schedules_survive_kill_9(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    srv = ServerProcess(data_dir=data).start()
    try:
        ecs, aas = client("ecs", srv.url), client("application-autoscaling", srv.url)
        ecs.create_cluster(clusterName="default")
        ecs.register_task_definition(family="web", containerDefinitions=[
            {"name": "app", "image": "busybox", "memory": 128, "cpu": 128}])
        ecs.create_service(cluster="default", serviceName="web", taskDefinition="web",
                           desiredCount=0)
        arn = aas.register_scalable_target(**T, MinCapacity=0, MaxCapacity=5,
                                           Tags={"k": "v"})["ScalableTargetARN"]
        policy = aas.put_scaling_policy(
            **T, PolicyName="step", PolicyType="StepScaling",
            StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity",
                                            "StepAdjustments": [{"MetricIntervalLowerBound": 0,
                                                                 "ScalingAdjustment": 1}]})
        when = datetime.fromtimestamp(int(time.time()) + 6, tz=UTC)
        aas.put_scheduled_action(**T, ScheduledActionName="soon",
                                 Schedule=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
                                 ScalableTargetAction={"MinCapacity": 2})
        srv.kill9()

        srv = ServerProcess(data_dir=data).start()
        ecs, aas = client("ecs", srv.url), client("application-autoscaling", srv.url)
        [t] = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        assert t["ScalableTargetARN"] == arn
        assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"k": "v"}
        [p] = aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
        assert p["PolicyARN"] == policy["PolicyARN"]
        deadline = time.monotonic() + 30
        desired = 0
        while time.monotonic() < deadline:
            desired = ecs.describe_services(cluster="default", services=["web"])[
                "services"][0]["desiredCount"]
            if desired == 2:
                break
            time.sleep(0.2)
        assert desired == 2
        [t] = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        assert t["MinCapacity"] == 2
    finally:
        srv.stop()
