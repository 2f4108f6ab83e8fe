"""Reports to the control plane: SubmitTaskStateChange / SubmitContainerStateChange.

One ordered queue per task, drained by its own sender, so a slow or absent control
plane never blocks a task's supervisor.  Rules (docs/agent-protocol.md, section 3):

- only the latest known status matters: a PENDING report waits ``pending_delay``
  seconds (0.5) and is dropped when a later one arrives meanwhile (a fast start sends
  RUNNING only, with the pull times), and a queued report of the same status is
  replaced by the newer one; a RUNNING report is always sent before STOPPED, so a task
  that ran has a startedAt;
- a call that gets no answer is retried with bounded exponential backoff (0.05 s
  doubling to 1 s), for as long as the agent runs; a refusal (4xx) is logged and
  dropped (the control plane no longer knows the task);
- ``on_sent(task_arn, status)`` is called after each acknowledged task report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cargobay.agent.ecs_client import ApiError, EcsApi, Unreachable
from cargobay.agent.runtime.clocked import wait_for
from cargobay.clock import Clock

log = logging.getLogger("cargobay.agent.reporter")

BACKOFF_FIRST = 0.05
BACKOFF_MAX = 1.0
#: ECS keeps reasons to 255 characters.
REASON_MAX = 255

ORDER = {"NONE": 0, "PENDING": 1, "RUNNING": 2, "STOPPED": 3}


def clip(reason: str | None) -> str | None:
    return None if reason is None else reason[:REASON_MAX]


@dataclass
class _Report:
    kind: str  # "task" or "container"
    params: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.params.get("status", ""))


@dataclass
class _Queue:
    items: list[_Report] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sender: asyncio.Task[None] | None = None
    idle: asyncio.Event = field(default_factory=asyncio.Event)


class Reporter:
    def __init__(
        self,
        api: EcsApi,
        clock: Clock,
        cluster: Callable[[], str],
        on_sent: Callable[[str, str], None] | None = None,
        *,
        pending_delay: float = 0.5,
    ) -> None:
        self.pending_delay = pending_delay
        self.api = api
        self.clock = clock
        self.cluster = cluster
        self.on_sent = on_sent
        self._queues: dict[str, _Queue] = {}
        self.sent = 0  # acknowledged calls (for benchmarks and tests)

    def task_changed(self, task_arn: str, params: dict[str, Any]) -> None:
        """Queue a SubmitTaskStateChange for ``task_arn`` (``params`` without cluster/task)."""
        q = self._queue(task_arn)
        new = _Report("task", params)
        rank = ORDER.get(new.status, 0)
        kept: list[_Report] = []
        for r in q.items:
            if r.kind == "task" and (
                r.status == new.status or (r.status == "PENDING" and rank > ORDER["PENDING"])
            ):
                continue
            kept.append(r)
        kept.append(new)
        q.items = kept
        self._kick(task_arn, q)

    def container_changed(self, task_arn: str, params: dict[str, Any]) -> None:
        """Queue a SubmitContainerStateChange (``params`` without cluster/task)."""
        q = self._queue(task_arn)
        q.items.append(_Report("container", params))
        self._kick(task_arn, q)

    async def drained(self, task_arn: str) -> None:
        """Return once nothing is queued for ``task_arn``."""
        q = self._queues.get(task_arn)
        if q is not None and q.items:
            await q.idle.wait()

    def pending(self, task_arn: str) -> bool:
        q = self._queues.get(task_arn)
        return q is not None and bool(q.items)

    def forget(self, task_arn: str) -> None:
        q = self._queues.pop(task_arn, None)
        if q is not None and q.sender is not None:
            q.sender.cancel()

    async def close(self) -> None:
        senders = [q.sender for q in self._queues.values() if q.sender is not None]
        for s in senders:
            s.cancel()
        for s in senders:
            with contextlib.suppress(asyncio.CancelledError):
                await s

    # -- internals ---------------------------------------------------------------------

    def _queue(self, task_arn: str) -> _Queue:
        q = self._queues.get(task_arn)
        if q is None:
            q = self._queues[task_arn] = _Queue()
        return q

    def _kick(self, task_arn: str, q: _Queue) -> None:
        q.idle.clear()
        q.wake.set()
        if q.sender is None or q.sender.done():
            q.sender = asyncio.create_task(self._drain(task_arn, q), name=f"report-{task_arn}")

    async def _drain(self, task_arn: str, q: _Queue) -> None:
        while q.items:
            report = q.items[0]
            if report.kind == "task" and report.status == "PENDING" and len(q.items) == 1:
                q.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await wait_for(self.clock, q.wake.wait(), self.pending_delay)
                if not q.items or q.items[0] is not report:
                    continue  # superseded by a later status
            ok = await self._deliver(task_arn, report)
            if q.items and q.items[0] is report:
                q.items.pop(0)
            if ok and report.kind == "task" and self.on_sent is not None:
                self.on_sent(task_arn, report.status)
        q.idle.set()

    async def _deliver(self, task_arn: str, report: _Report) -> bool:
        delay = BACKOFF_FIRST
        op = (
            "submit_task_state_change" if report.kind == "task" else "submit_container_state_change"
        )
        for _ in range(1_000_000):  # bounded: each pass waits up to BACKOFF_MAX
            try:
                await self.api.call(op, cluster=self.cluster(), task=task_arn, **report.params)
                self.sent += 1
                return True
            except ApiError as e:
                log.warning("%s %s refused: %s", op, task_arn, e)
                return False
            except Unreachable as e:
                log.info("%s %s: no answer (%s); retrying in %.2fs", op, task_arn, e, delay)
            await self.clock.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
        return False
