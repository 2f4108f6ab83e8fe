"""The outbox of HTTP/S deliveries: sent by one loop on the app clock, retried by the
subscription's delivery policy (:mod:`delivery_policy`), durable across restarts.

Each delivery (a Notification, or a Subscription/UnsubscribeConfirmation) is a job in
table ``sns.outbox``, written before the Publish or Subscribe that caused it answers,
and deleted once the endpoint answered 2xx/3xx (at least once: a job sent just before a
kill -9 may be sent again).  A 1xx or 5xx answer, a timeout or a connection error is
retried; a 4xx is a permanent failure.  A notification that fails for good goes to the
subscription's RedrivePolicy dead-letter queue when it has one, else it is dropped (and
logged).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from cargobay.services.deadlines import DeadlineLoop
from cargobay.services.sns import delivery_policy, http_client
from cargobay.services.sns.names import OUTBOX

if TYPE_CHECKING:
    from cargobay.services.sns.service import SnsService

log = logging.getLogger("cargobay.sns.delivery")

Doc = dict[str, Any]
BATCH = 64


class Deliveries:
    def __init__(self, svc: SnsService) -> None:
        self.svc = svc
        self._jobs: dict[str, Doc] = {}
        self._seq = itertools.count()
        #: job key → when it is due
        self.loop = DeadlineLoop(svc.clock, "sns-delivery", self._send_due, batch=BATCH)
        #: bumped by reset: a send under way when the state was wiped leaves no trace
        self._generation = 0
        #: counters (for tests): delivered, dead-lettered, dropped
        self.sent = 0
        self.dead_lettered = 0
        self.dropped = 0

    def add(self, job: Doc) -> None:
        """Make ``job`` durable (in the caller's batch, if any) and due at ``nextAt``."""
        key = (f"{job['account']}/{job['region']}/{int(job['nextAt'] * 1000):015d}-"
               f"{next(self._seq):09d}-{job['messageId']}")
        self.svc.store.put(OUTBOX, key, job)
        self._push(key, job)

    def _push(self, key: str, job: Doc) -> None:
        self._jobs[key] = job
        self.loop.schedule(key, float(job["nextAt"]))

    def pending(self) -> int:
        return len(self._jobs)

    def reset(self) -> None:
        self._jobs.clear()
        self.loop.reset()
        self._generation += 1

    async def start(self) -> None:
        self.reset()
        for key, job in self.svc.store.scan(OUTBOX):
            self._push(key, job)
        await self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()

    async def _send_due(self, due: list[tuple[float, str]]) -> None:
        try:
            await asyncio.gather(*(self._send(key) for _, key in due))
        except Exception:  # keep the loop alive; the jobs stay in the outbox
            log.exception("sns delivery batch failed")

    async def _send(self, key: str) -> None:
        job = self._jobs.get(key)
        if job is None:
            return
        if job["kind"] == "Notification" and not self.svc.subscription_exists(job):
            self._finish(key)  # unsubscribed since: nothing to deliver
            return
        headers = [(str(k), str(v)) for k, v in job["headers"]]
        generation = self._generation
        try:
            status = await http_client.post(job["url"], headers, job["body"].encode("utf-8"))
        except http_client.DeliveryFailed as e:
            if generation == self._generation:
                await self._failed(key, job, "ConnectionError", str(e), retriable=True)
            return
        if generation != self._generation:
            return
        if 200 <= status < 400:
            self.sent += 1
            self._finish(key)
            return
        permanent = 400 <= status < 500
        await self._failed(key, job, f"HTTP{status}",
                           f"The endpoint answered HTTP {status}.", retriable=not permanent)

    def _finish(self, key: str) -> None:
        self._jobs.pop(key, None)
        self.svc.store.delete(OUTBOX, key)

    async def _failed(self, key: str, job: Doc, code: str, message: str, *,
                      retriable: bool) -> None:
        now = self.svc.clock.now()
        delay = delivery_policy.retry_delay(job["policy"], job["attempts"] + 1) if retriable \
            else None
        if delay is not None and now + delay - job["created"] <= delivery_policy.MAX_LIFETIME:
            job["attempts"] += 1
            job["nextAt"] = now + delay
            job["lastError"] = {"code": code, "message": message}
            self.svc.store.put(OUTBOX, key, job)
            self._jobs.pop(key, None)
            self._push(key, job)
            return
        self._finish(key)
        dlq = job.get("dlq") if job["kind"] == "Notification" else None
        if dlq and await self.svc.dead_letter(dlq, job["body"], code, message, job):
            self.dead_lettered += 1
            return
        self.dropped += 1
        log.warning("sns %s %s to %s dropped after %d retries: %s %s", job["kind"],
                    job["messageId"], job["url"], job["attempts"], code, message)
