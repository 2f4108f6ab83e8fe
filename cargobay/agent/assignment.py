"""A task as the control plane assigns it to this agent (one entry of a poll answer).

See docs/agent-protocol.md, section 2: each entry carries the task's ARN, its desired
status, the full task definition at launch and the RunTask overrides.  This module
only reads that document; it decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RUNNING = "RUNNING"
STOPPED = "STOPPED"

#: ECS's stoppedReason when StopTask gave none.
DEFAULT_STOP_REASON = "Task stopped by user"


@dataclass
class Assignment:
    task_arn: str
    desired_status: str
    task_definition: dict[str, Any]
    overrides: dict[str, Any] = field(default_factory=dict)
    stop_reason: str | None = None
    started_by: str | None = None
    group: str | None = None
    launch_type: str = "EC2"
    created_at: float | None = None
    availability_zone: str | None = None
    container_arns: dict[str, str] = field(default_factory=dict)
    #: the EFS volumes as the control plane resolved them (services/efs/mounts.py)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    #: the task's own network (Fargate: ``ip``, ``mac``, ``dns``, ``cidr``), else empty
    network: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Assignment:
        """Parse one ``tasks[]`` entry; ValueError when a required member is missing."""
        try:
            arn = str(doc["taskArn"])
            desired = str(doc.get("desiredStatus") or RUNNING)
            taskdef = doc.get("taskDefinition") or {}
        except (KeyError, TypeError) as e:
            raise ValueError(f"bad task assignment: {e}") from e
        if not isinstance(taskdef, dict):
            raise ValueError(f"bad task assignment for {arn}: taskDefinition is not an object")
        created = doc.get("createdAt")
        return cls(
            task_arn=arn,
            desired_status=desired,
            task_definition=taskdef,
            overrides=dict(doc.get("overrides") or {}),
            stop_reason=doc.get("stopReason"),
            started_by=doc.get("startedBy"),
            group=doc.get("group"),
            launch_type=str(doc.get("launchType") or "EC2"),
            created_at=float(created) if isinstance(created, int | float) else None,
            availability_zone=doc.get("availabilityZone"),
            container_arns={
                str(c["name"]): str(c["containerArn"])
                for c in doc.get("containers") or []
                if isinstance(c, dict) and c.get("name") and c.get("containerArn")
            },
            volumes=[v for v in doc.get("volumes") or [] if isinstance(v, dict)],
            network={
                str(k): str(v) for k, v in (doc.get("network") or {}).items()
            } if isinstance(doc.get("network"), dict) else {},
        )

    def to_doc(self) -> dict[str, Any]:
        """The poll-answer form again (for the agent's state file)."""
        doc: dict[str, Any] = {
            "taskArn": self.task_arn,
            "desiredStatus": self.desired_status,
            "taskDefinition": self.task_definition,
            "overrides": self.overrides,
            "launchType": self.launch_type,
        }
        for key, value in (
            ("stopReason", self.stop_reason),
            ("startedBy", self.started_by),
            ("group", self.group),
            ("createdAt", self.created_at),
            ("availabilityZone", self.availability_zone),
        ):
            if value is not None:
                doc[key] = value
        if self.network:
            doc["network"] = dict(self.network)
        if self.volumes:
            doc["volumes"] = self.volumes
        if self.container_arns:
            doc["containers"] = [
                {"name": n, "containerArn": a} for n, a in self.container_arns.items()
            ]
        return doc

    # -- derived ---------------------------------------------------------------------

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    @property
    def cluster_arn(self) -> str:
        """``arn:aws:ecs:R:A:task/CLUSTER/ID`` → ``arn:aws:ecs:R:A:cluster/CLUSTER``."""
        prefix, _, resource = self.task_arn.partition(":task/")
        cluster = resource.split("/", 1)[0] if "/" in resource else "default"
        return f"{prefix}:cluster/{cluster}"

    @property
    def cluster_name(self) -> str:
        return self.cluster_arn.rsplit("/", 1)[-1]

    @property
    def family(self) -> str:
        return str(self.task_definition.get("family", ""))

    @property
    def revision(self) -> int:
        return int(self.task_definition.get("revision", 0) or 0)

    @property
    def container_definitions(self) -> list[dict[str, Any]]:
        return list(self.task_definition.get("containerDefinitions") or [])

    def container_override(self, name: str) -> dict[str, Any]:
        for o in self.overrides.get("containerOverrides") or []:
            if o.get("name") == name:
                return dict(o)
        return {}

    @property
    def wants_stop(self) -> bool:
        return self.desired_status == STOPPED
