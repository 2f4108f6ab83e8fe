"""Agent liveness (docs/agent-protocol.md §4) and the hourly forgetting of what ECS no
longer shows.

- An instance whose agent has not polled for ``agent_timeout`` seconds becomes
  ``agentConnected=false``; once silent for ``agent_task_timeout`` its tasks are set
  STOPPED at once with the text ECS writes for a terminated host and stopCode
  TerminationNotice (TaskFailedToStart for a task that never ran), resources freed.
  Silence counts from the loop's start at the earliest, so a restarted control plane
  gives every agent the full timeouts to come back; a held poll counts as presence.
- Every minute: STOPPED tasks and INACTIVE instances past their hour, and RunTask
  client tokens past theirs, are deleted.

The loop looks on a fixed grid (every ``min(agent_timeout / 4, 5)`` seconds from its
start) but only at the grid points where something can be due: the first one past an
instance's timeout (its last poll + agent_timeout, or + agent_task_timeout once
disconnected with tasks), the minute when a purge has something to delete, and at
least every ``min(agent_timeout, IDLE_WAKE)`` seconds (a poll or a registration only
sets new timeouts later than that).  So a simulated day with quiet agents costs a few
thousand wake-ups, not 17,280, and each state change lands on the same grid point as
when the loop looked every period.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import placement, placement_index, tag_store
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.events_out import container_instance_state_change, task_state_change
from cargobay.services.ecs.task_lifecycle import (
    TASK_FAILED_TO_START,
    TERMINATION_NOTICE,
    category,
    desire_stop,
    finish,
    started,
)
from cargobay.services.ecs.task_writes import commit

log = logging.getLogger("cargobay.ecs.liveness")

Doc = dict[str, Any]

#: seconds between sweeps for expired STOPPED tasks, INACTIVE instances and tokens
PURGE_EVERY = 60.0
#: the longest the loop sleeps (see the module doc)
IDLE_WAKE = 30.0
#: the shortest any record is kept once it can expire (a purge need not come sooner
#: for a record that appears after it)
MIN_RETENTION = min(tasks.STOPPED_RETENTION, instances.INACTIVE_RETENTION,
                    tasks.TOKEN_RETENTION)


def purgeable(doc: Doc, now: float) -> bool:
    """An INACTIVE instance past its hour: gone for every API."""
    return doc["status"] == instances.INACTIVE and now - float(
        doc.get("_deregisteredAt", now)
    ) > instances.INACTIVE_RETENTION


class LivenessOps(EcsBase):
    def _end_task(
        self, inst: Doc, inst_key: str, task_id: str, code: str, reason: str, now: float
    ) -> None:
        """STOPPED at once (forced deregistration, lost host), resources freed."""
        prefix = inst_key.rsplit("/", 1)[0]
        task = self.store.get(tasks.TABLE, f"{prefix}/{task_id}")
        if task is None:
            placement.free(inst, task_id)
            return
        before = category(task)
        desire_stop(task, code, reason, now)
        finish(task, now)
        commit(self.store, task, before, instance=inst)
        task_state_change(self.app, task)

    async def liveness_loop(self) -> None:
        """Mark silent agents disconnected; stop their tasks after the task timeout."""
        cfg = self.app.config
        period = max(0.05, min(cfg.agent_timeout / 4, 5.0))
        # silence is counted from the start of this loop at the earliest: while the
        # control plane itself was down, no agent could reach it
        up_since = last_purge = self.clock.now()
        purge_at = up_since + PURGE_EVERY
        start = self.clock.monotonic()
        tick = 0  # the grid point this pass is at: start + tick * period
        while True:
            now = self.clock.now()
            due = now  # on a failure: look again at the next grid point
            try:
                due = self.liveness_tick(now, up_since=up_since)
                if now >= purge_at - 1e-6:
                    expires = self.purge(now)
                    last_purge = now
                    # the next minute past the earliest expiry (a record stored after
                    # now expires MIN_RETENTION from now at the soonest)
                    minutes = math.floor(
                        (min(expires, now + MIN_RETENTION) - last_purge) / PURGE_EVERY) + 1
                    purge_at = last_purge + PURGE_EVERY * max(1, minutes)
            except Exception:  # keep the loop alive; the next tick tries again
                log.exception("liveness tick failed")
            due = min(due, now + min(cfg.agent_timeout, IDLE_WAKE))
            # the first grid point strictly past ``due`` (timeouts are "more than"),
            # at or before the purge's, and after this one
            offset = self.clock.monotonic() - now - start
            after_due = math.floor((due + offset) / period) + 1
            at_purge = math.ceil((purge_at + offset) / period - 1e-9)
            tick = max(tick + 1, min(after_due, at_purge))
            await self.clock.sleep(start + tick * period - self.clock.monotonic())

    def liveness_tick(self, now: float, *, up_since: float = 0.0) -> float:
        """One look at every instance; returns the earliest time (wall clock) at which
        one of them can time out as things stand (inf: none can)."""
        cfg = self.app.config
        channel = self.app.agent_channel
        due = math.inf
        for key, doc in self.store.scan(instances.TABLE):
            if doc["status"] == instances.INACTIVE:
                continue
            if channel.is_polling(key):
                due = min(due, now + cfg.agent_timeout)  # silent from the poll's end on
                continue
            seen = max(float(doc.get("_lastSeen", now)), up_since)
            silent = now - seen
            dirty = False
            if doc.get("agentConnected") and silent > cfg.agent_timeout:
                doc["agentConnected"] = False
                doc["version"] = int(doc.get("version", 0)) + 1
                dirty = True
            if not doc.get("agentConnected") and silent > cfg.agent_task_timeout and doc.get(
                "_tasks"
            ):
                reason = f"Host EC2 (instance {doc.get('ec2InstanceId')}) terminated."
                with self.store.batch():
                    for task_id in list(doc["_tasks"]):
                        self._lost(doc, key, task_id, reason, now)
                dirty = True
            if doc.get("agentConnected"):
                due = min(due, seen + cfg.agent_timeout)
            elif doc.get("_tasks"):
                due = min(due, seen + cfg.agent_task_timeout)
            if dirty:
                self.store.put(instances.TABLE, key, doc)
                placement_index.observe(self.store, key, doc)
                channel.notify(key)
                container_instance_state_change(self.app, doc)
        return due

    def _lost(self, inst: Doc, key: str, task_id: str, reason: str, now: float) -> None:
        prefix = key.rsplit("/", 1)[0]
        task = self.store.get(tasks.TABLE, f"{prefix}/{task_id}")
        code = TERMINATION_NOTICE if task is not None and started(task) else TASK_FAILED_TO_START
        self._end_task(inst, key, task_id, code, reason, now)

    def purge(self, now: float) -> float:
        """Forget what ECS no longer shows: STOPPED tasks and INACTIVE instances past
        their hour, RunTask client tokens past theirs.  Returns when the next of those
        still kept expires (inf: none)."""
        soonest = math.inf
        for key, doc in self.store.scan(tasks.TABLE):
            if tasks.expired(doc, now):
                with self.store.batch():
                    self.store.delete(tasks.TABLE, key)
                    tag_store.drop_tags(self.store, doc["taskArn"])
            elif doc["lastStatus"] == "STOPPED":
                soonest = min(soonest, float(doc.get("stoppedAt", now)) + tasks.STOPPED_RETENTION)
        for key, doc in self.store.scan(instances.TABLE):
            if purgeable(doc, now):
                with self.store.batch():
                    self.store.delete(instances.TABLE, key)
                    tag_store.drop_tags(self.store, doc["containerInstanceArn"])
            elif doc["status"] == instances.INACTIVE:
                soonest = min(soonest, float(doc.get("_deregisteredAt", now))
                              + instances.INACTIVE_RETENTION)
        for key, doc in self.store.scan(tasks.TOKENS):
            if now - float(doc.get("createdAt", now)) > tasks.TOKEN_RETENTION:
                self.store.delete(tasks.TOKENS, key)
            else:
                soonest = min(soonest, float(doc.get("createdAt", now)) + tasks.TOKEN_RETENTION)
        return soonest
