"""The outbox: deliveries waiting to be sent, retried, or dead-lettered.

Each (event, rule, target) is a job document in table ``events.outbox``, written in
the batch that accepted the event, and deleted once sent (at least once: a job sent just
before a kill -9 may be sent again).  One loop on the app clock sends due jobs in the
order they became due.

Retries ("Event retry policy and using dead-letter queues"): a failure worth retrying
waits ``min(2^(n-1), 300)`` seconds before attempt n+1, until the target's RetryPolicy
gives up — more than MaximumRetryAttempts retries (default 185) or an event older than
MaximumEventAgeInSeconds (default 86,400).  Then, or at once for a failure not worth
retrying, the event goes to the target's DeadLetterConfig queue (if any) with the
message attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and,
when the retry policy ran out, EXHAUSTED_RETRY_CONDITION; else it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from typing import TYPE_CHECKING, Any

from cargobay.protocol.errors import AwsError
from cargobay.services.events import names
from cargobay.services.events.input_transform import dumps
from cargobay.services.events.targets import DeliveryError, deliver

if TYPE_CHECKING:
    from cargobay.services.events.service import EventsService

log = logging.getLogger("cargobay.events.delivery")

Doc = dict[str, Any]

DEFAULT_ATTEMPTS = 185
DEFAULT_AGE = 86_400
MAX_BACKOFF = 300.0
BATCH = 256


def backoff(attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1-based)."""
    return float(min(2 ** min(attempt - 1, 20), MAX_BACKOFF))


class Deliveries:
    def __init__(self, svc: EventsService) -> None:
        self.svc = svc
        self._jobs: dict[str, Doc] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        #: jobs sent and dead-lettered since start (for tests and benchmarks)
        self.sent = 0
        self.dead_lettered = 0
        self.dropped = 0

    # -- adding and loading -----------------------------------------------------------

    def add(self, jobs: list[Doc]) -> None:
        """Make ``jobs`` durable (in the caller's batch, if any) and due now."""
        store = self.svc.store
        keyed = []
        for job in jobs:
            seq = next(self._seq)
            key = f"{job['account']}/{job['region']}/{int(job['nextAt'] * 1000):015d}-{seq:09d}"
            keyed.append((key, job))
        with store.batch():
            for key, job in keyed:
                store.put(names.OUTBOX, key, job)
        for key, job in keyed:
            self._jobs[key] = job
            heapq.heappush(self._heap, (job["nextAt"], next(self._seq), key))
        if self._wake is not None:
            self._wake.set()

    def pending(self) -> int:
        return len(self._jobs)

    def reset(self) -> None:
        self._jobs.clear()
        self._heap.clear()

    async def start(self) -> None:
        self.reset()
        for key, job in self.svc.store.scan(names.OUTBOX):
            self._jobs[key] = job
            heapq.heappush(self._heap, (job["nextAt"], next(self._seq), key))
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="events-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._wake = None

    # -- the loop ---------------------------------------------------------------------

    async def _run(self) -> None:
        clock = self.svc.clock
        while True:
            assert self._wake is not None
            self._wake.clear()
            now = clock.now()
            due: list[str] = []
            while self._heap and self._heap[0][0] <= now and len(due) < BATCH:
                _, _, key = heapq.heappop(self._heap)
                if key in self._jobs:
                    due.append(key)
            if due:
                try:
                    await self._send(due)
                except Exception:  # keep the loop alive; the jobs stay in the outbox
                    log.exception("delivery batch failed")
                continue
            wait = self._heap[0][0] - now if self._heap else None
            await self._sleep(wait)

    async def _sleep(self, seconds: float | None) -> None:
        assert self._wake is not None
        waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._wake.wait())]
        if seconds is not None:
            waits.append(asyncio.ensure_future(self.svc.clock.sleep(seconds)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def _send(self, keys: list[str]) -> None:
        done: list[str] = []
        retry: list[tuple[str, Doc]] = []
        for key in keys:
            job = self._jobs.get(key)
            if job is None:
                continue
            try:
                await deliver(self.svc, job)
            except DeliveryError as e:
                if self._again(job, e):
                    retry.append((key, job))
                    continue
                await self._dead_letter(job, e)
            except Exception as e:  # a bug in a target handler: retried like a 500
                log.exception("delivery to %s failed", job["target"].get("Arn"))
                err = DeliveryError("INTERNAL_ERROR", str(e) or type(e).__name__, True)
                if self._again(job, err):
                    retry.append((key, job))
                    continue
                await self._dead_letter(job, err)
            else:
                self.sent += 1
            done.append(key)
        store = self.svc.store
        with store.batch():
            for key in done:
                store.delete(names.OUTBOX, key)
            for key, job in retry:
                store.put(names.OUTBOX, key, job)
        for key in done:
            self._jobs.pop(key, None)
        for key, job in retry:
            heapq.heappush(self._heap, (job["nextAt"], next(self._seq), key))

    def _again(self, job: Doc, err: DeliveryError) -> bool:
        """Whether to retry ``job`` (then its attempt count and next time are set)."""
        job["lastError"] = {"code": err.code, "message": err.message}
        if not err.retriable:
            return False
        policy = job["target"].get("RetryPolicy") or {}
        max_attempts = int(policy.get("MaximumRetryAttempts", DEFAULT_ATTEMPTS))
        max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_AGE))
        now = self.svc.clock.now()
        if job["attempts"] >= max_attempts:
            job["exhausted"] = "MaximumRetryAttempts"
            return False
        delay = backoff(job["attempts"] + 1)
        if now + delay - job["ingested"] > max_age:
            job["exhausted"] = "MaximumEventAgeInSeconds"
            return False
        job["attempts"] += 1
        job["nextAt"] = now + delay
        return True

    async def _dead_letter(self, job: Doc, err: DeliveryError) -> None:
        dlq = (job["target"].get("DeadLetterConfig") or {}).get("Arn")
        if not dlq:
            self.dropped += 1
            log.warning("event %s to %s dropped: %s %s", job["event"].get("id"),
                        job["target"].get("Arn"), err.code, err.message)
            return
        attrs: Doc = {
            "RULE_ARN": _attr(job["ruleArn"]),
            "TARGET_ARN": _attr(job["target"]["Arn"]),
            "ERROR_CODE": _attr(err.code),
            "ERROR_MESSAGE": _attr(err.message[:1024] or err.code),
            "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(job["attempts"])},
        }
        if job.get("exhausted"):
            attrs["EXHAUSTED_RETRY_CONDITION"] = _attr(job["exhausted"])
        arn = names.parse_arn(dlq)
        try:
            if arn is None:
                raise DeliveryError("INVALID_PARAMETER", f"{dlq} is not an ARN.", False)
            url = await self.svc.queue_url(dlq)
            await self.svc.app.dispatcher.call(
                "sqs", "SendMessage",
                {"QueueUrl": url, "MessageBody": dumps(job["event"]), "MessageAttributes": attrs},
                region=arn.region, account_id=arn.account,
            )
            self.dead_lettered += 1
        except (AwsError, DeliveryError) as e:
            self.dropped += 1
            log.warning("event %s could not be dead-lettered to %s: %s", job["event"].get("id"),
                        dlq, e)


def _attr(value: str) -> Doc:
    return {"DataType": "String", "StringValue": value}
