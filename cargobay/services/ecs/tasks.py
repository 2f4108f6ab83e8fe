"""PLACEHOLDER (being written): RunTask, StartTask, StopTask, DescribeTasks, ListTasks,
SubmitTaskStateChange, SubmitContainerStateChange.  See docs/agent-protocol.md.
"""

from __future__ import annotations

from cargobay.services.ecs.base import EcsBase


class TaskOps(EcsBase):
    pass
