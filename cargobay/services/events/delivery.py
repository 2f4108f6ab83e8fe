"""The outbox: deliveries waiting to be sent, retried, or dead-lettered.

Each (event, rule, target) is a job; the jobs of one PutEvents (or one published
event, or one scheduled firing) share a document in table ``events.outbox``, written
in the batch that accepted them, and deleted once all are sent (at least once: a job sent just
before a kill -9 may be sent again).  One loop on the app clock sends due jobs in the
order they became due (jobs for one SQS queue together, with SendMessageBatch).

Retries ("Event retry policy and using dead-letter queues"): a failure worth retrying
waits ``min(2^(n-1), 300)`` seconds before attempt n+1, until the target's RetryPolicy
gives up — more than MaximumRetryAttempts retries (default 185) or an event older than
MaximumEventAgeInSeconds (default 86,400).  Then, or at once for a failure not worth
retrying, the event goes to the target's DeadLetterConfig queue (if any) with the
message attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, RETRY_ATTEMPTS and,
when the retry policy ran out, EXHAUSTED_RETRY_CONDITION; else it is dropped.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any

from cargobay.protocol.errors import AwsError
from cargobay.services.deadlines import DeadlineLoop
from cargobay.services.events import names
from cargobay.services.events.input_transform import dumps
from cargobay.services.events.targets import (
    DeliveryError,
    deliver,
    deliver_sqs_batch,
    sqs_target,
)

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
        self._jobs: dict[str, Doc] = {}  # "<outbox key>#<index>" → job
        self._docs: dict[str, Doc] = {}  # outbox key → {"jobs": [job or None, ...]}
        self._seq = itertools.count()
        #: job key → when it is due
        self.loop = DeadlineLoop(svc.clock, "events-delivery", self._send_due, batch=BATCH)
        #: jobs sent and dead-lettered since start (for tests and benchmarks)
        self.sent = 0
        self.dead_lettered = 0
        self.dropped = 0

    # -- adding and loading -----------------------------------------------------------

    def add(self, jobs: list[Doc]) -> None:
        """Make ``jobs`` durable (in the caller's batch, if any) and due now.

        The jobs of one call share one outbox document (``{"jobs": [...]}``; a job done
        becomes null), so a PutEvents costs one write however many targets it reaches."""
        if not jobs:
            return
        first = jobs[0]
        seq = next(self._seq)
        doc_key = (f"{first['account']}/{first['region']}/"
                   f"{int(first['nextAt'] * 1000):015d}-{seq:09d}")
        doc: Doc = {"jobs": jobs}
        self.svc.store.put(names.OUTBOX, doc_key, doc)
        self._load(doc_key, doc)
        self.loop.wake()

    def _load(self, doc_key: str, doc: Doc) -> None:
        self._docs[doc_key] = doc
        for i, job in enumerate(doc["jobs"]):
            if job is None:
                continue
            key = f"{doc_key}#{i}"
            self._jobs[key] = job
            self.loop.queue.set(key, job["nextAt"])

    def pending(self) -> int:
        return len(self._jobs)

    def reset(self) -> None:
        self._jobs.clear()
        self._docs.clear()
        self.loop.reset()

    async def start(self) -> None:
        self.reset()
        for doc_key, doc in self.svc.store.scan(names.OUTBOX):
            self._load(doc_key, doc)
        await self.loop.start()

    async def stop(self) -> None:
        await self.loop.stop()

    # -- the loop ---------------------------------------------------------------------

    async def _send_due(self, due: list[tuple[float, str]]) -> None:
        try:
            await self._send([key for _, key in due])
        except Exception:  # keep the loop alive; the jobs stay in the outbox
            log.exception("delivery batch failed")

    async def _send(self, keys: list[str]) -> None:
        done: list[str] = []
        retry: list[tuple[str, Doc]] = []
        jobs = [(k, self._jobs[k]) for k in keys if k in self._jobs]
        # SQS targets go out in batches per queue; the others one by one, in order
        by_queue: dict[str, list[tuple[str, Doc]]] = {}
        others: list[tuple[str, Doc]] = []
        for key, job in jobs:
            if sqs_target(job):
                by_queue.setdefault(job["target"]["Arn"], []).append((key, job))
            else:
                others.append((key, job))
        outcomes: list[tuple[str, Doc, DeliveryError | None]] = []
        for group in by_queue.values():
            results = await deliver_sqs_batch(self.svc, [j for _, j in group])
            outcomes += [(k, j, r) for (k, j), r in zip(group, results, strict=True)]
        for key, job in others:
            try:
                await deliver(self.svc, job)
            except DeliveryError as e:
                outcomes.append((key, job, e))
            except Exception as e:  # a bug in a target handler: retried like a 500
                log.exception("delivery to %s failed", job["target"].get("Arn"))
                outcomes.append((key, job, DeliveryError(
                    "INTERNAL_ERROR", str(e) or type(e).__name__, True)))
            else:
                outcomes.append((key, job, None))
        for key, job, err in outcomes:
            if err is None:
                self.sent += 1
            elif self._again(job, err):
                retry.append((key, job))
                continue
            else:
                await self._dead_letter(job, err)
            done.append(key)
        touched: set[str] = set()
        for key in done:
            doc_key, _, index = key.rpartition("#")
            doc = self._docs.get(doc_key)
            if doc is not None:
                doc["jobs"][int(index)] = None
                touched.add(doc_key)
            self._jobs.pop(key, None)
        touched.update(key.rpartition("#")[0] for key, _ in retry)
        store = self.svc.store
        with store.batch():
            for doc_key in touched:
                doc = self._docs.get(doc_key)
                if doc is None:
                    continue
                if all(j is None for j in doc["jobs"]):
                    store.delete(names.OUTBOX, doc_key)
                    del self._docs[doc_key]
                else:
                    store.put(names.OUTBOX, doc_key, doc)
        for key, job in retry:
            self.loop.queue.set(key, job["nextAt"])

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
