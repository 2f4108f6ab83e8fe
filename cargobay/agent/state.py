"""The agent's own small state file, ``<data-dir>/agent-state.json``.

It keeps what a restarted agent needs to be the same instance and not to run a task
twice: the cluster, the container instance ARN and the made-up EC2 instance id, and for
each task it still holds: the assignment, the containers' runtime handles, the known
status and the last status the control plane acknowledged, and for a task with a role
the credentials id and token its containers were given (``credentials``: the id in their
``AWS_CONTAINER_CREDENTIALS_FULL_URI``, their ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` and the
role ARN), so that a restarted agent serves the same endpoint to the containers it
adopts.  The keys themselves are never written: the control plane issues fresh ones.
Written whole to a temporary file (mode 0600, as the ECS agent keeps its state file)
and renamed over the old one, so a crash leaves either the old or the new file.
Without a data dir the state lives in memory only.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import orjson

FILE_NAME = "agent-state.json"
FORMAT = 1
#: the state file holds the tasks' credentials tokens: owner only
FILE_MODE = 0o600


@dataclass
class ContainerRecord:
    name: str
    runtime_id: str | None = None
    engine_name: str | None = None
    status: str = "PENDING"  # PENDING, RUNNING, STOPPED
    exit_code: int | None = None
    reason: str | None = None
    token: str | None = None  # its metadata endpoint id (in its environment)


@dataclass
class TaskRecord:
    task_arn: str
    assignment: dict[str, Any]
    known_status: str = "NONE"
    sent_status: str = "NONE"
    containers: dict[str, ContainerRecord] = field(default_factory=dict)
    final: dict[str, Any] | None = None  # the STOPPED report, once known
    #: the task-role endpoint its containers were given: {"id", "token", "roleArn"}
    credentials: dict[str, str] | None = None

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "taskArn": self.task_arn,
            "assignment": self.assignment,
            "knownStatus": self.known_status,
            "sentStatus": self.sent_status,
            "containers": {n: vars(c) for n, c in self.containers.items()},
            "final": self.final,
        }
        if self.credentials:
            doc["credentials"] = dict(self.credentials)
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TaskRecord:
        return cls(
            task_arn=str(doc["taskArn"]),
            assignment=dict(doc.get("assignment") or {}),
            known_status=str(doc.get("knownStatus", "NONE")),
            sent_status=str(doc.get("sentStatus", "NONE")),
            containers={
                str(n): ContainerRecord(**c) for n, c in (doc.get("containers") or {}).items()
            },
            final=doc.get("final"),
            credentials=_credentials(doc.get("credentials")),
        )


def _credentials(value: Any) -> dict[str, str] | None:
    """A saved credentials id and token, if well formed."""
    if not isinstance(value, dict):
        return None
    out = {k: str(value[k]) for k in ("id", "token", "roleArn") if value.get(k)}
    return out if "id" in out and "token" in out else None


@dataclass
class AgentState:
    cluster: str | None = None
    instance_arn: str | None = None
    instance_id: str | None = None
    runtime: str | None = None
    metadata_port: int | None = None  # containers' ECS_CONTAINER_METADATA_URI name it
    tasks: dict[str, TaskRecord] = field(default_factory=dict)


class StateFile:
    """Load and save :class:`AgentState` under ``data_dir`` (None: memory only)."""

    def __init__(self, data_dir: str | None) -> None:
        self.path = os.path.join(data_dir, FILE_NAME) if data_dir else None

    def load(self) -> AgentState:
        if self.path is None or not os.path.exists(self.path):
            return AgentState()
        try:
            with open(self.path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return AgentState()
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            return AgentState()
        return AgentState(
            cluster=doc.get("cluster"),
            instance_arn=doc.get("instanceArn"),
            instance_id=doc.get("instanceId"),
            runtime=doc.get("runtime"),
            metadata_port=doc.get("metadataPort"),
            tasks={
                str(t["taskArn"]): TaskRecord.from_doc(t)
                for t in doc.get("tasks") or []
                if isinstance(t, dict) and "taskArn" in t
            },
        )

    def save(self, state: AgentState) -> None:
        if self.path is None:
            return
        doc = {
            "format": FORMAT,
            "cluster": state.cluster,
            "instanceArn": state.instance_arn,
            "instanceId": state.instance_id,
            "runtime": state.runtime,
            "metadataPort": state.metadata_port,
            "tasks": [t.to_doc() for t in state.tasks.values()],
        }
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        tmp = f"{self.path}.tmp"
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)  # a leftover may have a wider mode: O_CREAT would keep it
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(doc))
        os.replace(tmp, self.path)

    def remove(self) -> None:
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)
