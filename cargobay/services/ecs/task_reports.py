"""What agents report: SubmitTaskStateChange, SubmitContainerStateChange,
SubmitAttachmentStateChanges (docs/agent-protocol.md §3).

A report moves the task forward (task_lifecycle.on_agent_status), records the
containers' runtimeId, status, exitCode, reason and networkBindings and the pull and
execution times.  A report that changes nothing (a resend after a restart, a status
that would move the task backwards) is acknowledged and ignored.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import fargate_network
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.task_lifecycle import category, on_agent_status
from cargobay.services.ecs.task_writes import commit

Doc = dict[str, Any]

ACK = "ACK"
_STATUSES = ("PENDING", "RUNNING", "STOPPED")
_CONTAINER_STATUSES = ("PENDING", "RUNNING", "STOPPED")


def _set(doc: Doc, name: str, value: Any) -> bool:
    if value is None or doc.get(name) == value:
        return False
    doc[name] = value
    return True


def update_container(c: Doc, change: Doc) -> bool:
    """Apply one container's reported change; True if anything changed."""
    changed = False
    status = change.get("status")
    if status in _CONTAINER_STATUSES and c.get("lastStatus") != "STOPPED":
        changed = _set(c, "lastStatus", status) or changed
    for name in ("runtimeId", "exitCode", "reason", "imageDigest"):
        changed = _set(c, name, change.get(name)) or changed
    if change.get("networkBindings") is not None:
        changed = _set(c, "networkBindings", list(change["networkBindings"])) or changed
    return changed


class TaskReportOps(EcsBase):
    def _reported_task(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        text = req.get("task")
        if not text:
            raise InvalidParameterException("Task cannot be empty.")
        _, task = self._task(ctx, cluster, text)  # type: ignore[attr-defined]
        doc: Doc = task
        return doc

    def submit_task_state_change(self, ctx: RequestContext, req: Doc) -> Doc:
        task = self._reported_task(ctx, req)
        status = req.get("status")
        if status is not None and status not in _STATUSES:
            raise InvalidParameterException(
                f"Invalid task status {status}: expected one of {', '.join(_STATUSES)}."
            )
        by_name = {c["name"]: c for c in task.get("containers", [])}
        for change in req.get("containers") or []:
            if change.get("containerName") not in by_name:
                raise InvalidParameterException(
                    f"Container {change.get('containerName')} is not part of task "
                    f"{task['taskArn']}."
                )
        if task["lastStatus"] == "STOPPED":
            return {"acknowledgment": ACK}  # nothing moves a stopped task
        before = category(task)
        now = self.clock.now()
        changed = False
        for name in ("pullStartedAt", "pullStoppedAt"):
            if name in req and name not in task:
                task[name] = req[name]
                changed = True
        for change in req.get("containers") or []:
            changed = update_container(by_name[change["containerName"]], change) or changed
        for change in req.get("attachments") or []:
            # the task's ENI attachment (Fargate: fargate_network), by id or ARN
            changed = fargate_network.attachment_changed(task, change) or changed
        if status is not None:
            changed = on_agent_status(
                task, status, req.get("reason"), now, req.get("executionStoppedAt")
            ) or changed
        if changed:
            ikey = commit(self.store, task, before)
            if ikey is not None:
                self.app.agent_channel.notify(ikey)
            task_state_change(self.app, task)
        return {"acknowledgment": ACK}

    def submit_container_state_change(self, ctx: RequestContext, req: Doc) -> Doc:
        task = self._reported_task(ctx, req)
        name = req.get("containerName")
        container = next((c for c in task.get("containers", []) if c["name"] == name), None)
        if container is None:
            raise InvalidParameterException(
                f"Container {name} is not part of task {task['taskArn']}."
            )
        status = req.get("status")
        if status is not None and status not in _CONTAINER_STATUSES:
            raise InvalidParameterException(
                f"Invalid container status {status}: expected one of "
                f"{', '.join(_CONTAINER_STATUSES)}."
            )
        if task["lastStatus"] != "STOPPED" and update_container(container, req):
            commit(self.store, task, category(task))
            task_state_change(self.app, task)
        return {"acknowledgment": ACK}

    def submit_attachment_state_changes(self, ctx: RequestContext, req: Doc) -> Doc:
        clusters.active_cluster(self.store, ctx, req.get("cluster"))
        if not req.get("attachments"):
            raise InvalidParameterException("Attachments cannot be empty.")
        return {"acknowledgment": ACK}

