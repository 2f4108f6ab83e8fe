"""PLACEHOLDER (being written): container instances and agent liveness.

RegisterContainerInstance, DeregisterContainerInstance, DescribeContainerInstances,
ListContainerInstances, UpdateContainerInstancesState; ``liveness_loop``.
See docs/agent-protocol.md.
"""

from __future__ import annotations

from cargobay.services.ecs.base import EcsBase


class InstanceOps(EcsBase):
    async def liveness_loop(self) -> None:
        """Mark silent agents disconnected; stop their tasks after the task timeout."""
        return None
