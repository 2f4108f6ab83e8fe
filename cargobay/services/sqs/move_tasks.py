"""Message move tasks: redrive a dead-letter queue back to its sources (or elsewhere).

StartMessageMoveTask reference: the source must be a queue some other queue uses as its
dead-letter queue; without DestinationArn each message goes back to the queue it came
from (its DeadLetterQueueSourceArn); MaxNumberOfMessagesPerSecond is at most 500; one
running task per source queue.  Tasks move messages a second at a time on the app clock
(driven by the service's background loop) until the messages counted at the start are
moved or the source has none left.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.sqs import queue_store as qs
from cargobay.services.sqs.errors import (
    InvalidParameterValue,
    ResourceNotFoundException,
    invalid_value,
)
from cargobay.services.sqs.message import Msg
from cargobay.services.sqs.names import QueueRef, ref_from_arn
from cargobay.services.sqs.queue_state import QueueState
from cargobay.services.sqs.redrive import RedriveOps

MAX_RATE = 500
RUNNING, COMPLETED, CANCELLED, FAILED = "RUNNING", "COMPLETED", "CANCELLED", "FAILED"


def _handle(task_id: str, source_arn: str) -> str:
    raw = orjson.dumps({"taskId": task_id, "sourceArn": source_arn})
    return base64.b64encode(raw).decode("ascii")


class MoveTaskOps(RedriveOps):
    def wake_loop(self) -> None:
        """Tell the background loop a task needs running (set by the service)."""

    def _source(self, arn: str, member: str) -> QueueState:
        ref = ref_from_arn(arn)
        st = self.load(ref) if ref is not None else None
        if st is None:
            raise ResourceNotFoundException(
                f"The resource that you specified for the {member} parameter doesn't exist."
            )
        return st

    def _is_dead_letter_queue(self, st: QueueState) -> bool:
        prefix = f"{st.ref.account}/{st.ref.region}/"
        for _key, doc in self.store.scan(qs.QUEUES, prefix):
            policy = (doc.get("attrs") or {}).get("RedrivePolicy")
            if policy and orjson.loads(policy).get("deadLetterTargetArn") == st.ref.arn:
                return True
        return False

    def _tasks(self, st: QueueState) -> list[tuple[str, dict[str, Any]]]:
        return list(self.store.scan(qs.MOVE_TASKS, st.ref.key + "/"))

    def start_message_move_task(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        src = self._source(req["SourceArn"], "SourceArn")
        if not self._is_dead_letter_queue(src):
            raise InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
        dest_arn = req.get("DestinationArn")
        if dest_arn:
            self._source(dest_arn, "DestinationArn")
        rate = req.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= MAX_RATE:
            raise invalid_value(
                "MaxNumberOfMessagesPerSecond", rate,
                f"MaxNumberOfMessagesPerSecond must be between 1 and {MAX_RATE}.",
            )
        if any(doc["status"] == RUNNING for _, doc in self._tasks(src)):
            raise InvalidParameterValue(
                "There is already a task running. Only one active task is allowed for a "
                "source queue arn at a given time."
            )
        now = self.clock.now()
        task_id = uuid.uuid4().hex
        doc = {
            "handle": _handle(task_id, src.ref.arn), "source": src.ref.arn, "dest": dest_arn,
            "rate": rate, "status": RUNNING, "moved": 0, "to_move": len(src.msgs),
            "started": int(now * 1000), "stepped": now,
        }
        self.store.put(qs.MOVE_TASKS, f"{src.ref.key}/{doc['started']:016d}-{task_id}", doc)
        self.wake_loop()
        return {"TaskHandle": doc["handle"]}

    def cancel_message_move_task(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        handle: str = req["TaskHandle"]
        try:
            info = orjson.loads(base64.b64decode(handle.encode("ascii"), validate=True))
            src = self._source(str(info["sourceArn"]), "SourceArn")
        except (ValueError, KeyError, TypeError, UnicodeError, orjson.JSONDecodeError,
                ResourceNotFoundException):
            raise ResourceNotFoundException("Task does not exist.") from None
        for key, doc in self._tasks(src):
            if doc["handle"] == handle:
                if doc["status"] != RUNNING:
                    raise InvalidParameterValue("Only a running task can be cancelled.")
                doc["status"] = CANCELLED
                self.store.put(qs.MOVE_TASKS, key, doc)
                return {"ApproximateNumberOfMessagesMoved": doc["moved"]}
        raise ResourceNotFoundException("Task does not exist.")

    def list_message_move_tasks(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        src = self._source(req["SourceArn"], "SourceArn")
        limit = req.get("MaxResults")
        if limit is None:
            limit = 1
        elif not 1 <= limit <= 10:
            raise invalid_value("MaxResults", limit, "MaxResults must be between 1 and 10.")
        tasks = [doc for _, doc in self._tasks(src)][::-1][:limit]
        results = []
        for doc in tasks:
            results.append({
                "TaskHandle": doc["handle"] if doc["status"] == RUNNING else None,
                "Status": doc["status"], "SourceArn": doc["source"],
                "DestinationArn": doc.get("dest"),
                "MaxNumberOfMessagesPerSecond": doc.get("rate"),
                "ApproximateNumberOfMessagesMoved": doc["moved"],
                "ApproximateNumberOfMessagesToMove": doc["to_move"],
                "FailureReason": doc.get("failure"), "StartedTimestamp": doc["started"],
            })
        return {"Results": results}

    # -- running -----------------------------------------------------------------------
    def running_tasks(self) -> list[tuple[str, dict[str, Any]]]:
        return [(k, d) for k, d in self.store.scan(qs.MOVE_TASKS) if d["status"] == RUNNING]

    def step_move_tasks(self) -> None:
        """Move what each running task may have moved since its last step."""
        for key, doc in self.running_tasks():
            self._step(key, doc)

    def _step(self, key: str, doc: dict[str, Any]) -> None:
        ref = ref_from_arn(doc["source"])
        src = self.load(ref) if ref is not None else None
        if src is None:
            doc.update(status=FAILED, failure="The source queue no longer exists.")
            self.store.put(qs.MOVE_TASKS, key, doc)
            return
        now = self.clock.now()
        rate = doc.get("rate") or MAX_RATE
        budget = int(rate * (now - doc["stepped"]) + 1e-9)
        doc["stepped"] += budget / rate
        budget = min(budget, doc["to_move"] - doc["moved"])
        moved = 0
        picked = src.pop_visible(budget) if budget > 0 else []
        if budget <= 0 and doc["moved"] < doc["to_move"]:
            self.store.put(qs.MOVE_TASKS, key, doc)
            return
        for i, m in enumerate(picked):
            dest = self._destination(doc.get("dest") or m.dlq_source, src.ref)
            if dest is None:
                for back in picked[i:]:
                    src.add(back)
                doc.update(status=FAILED, failure=(
                    "The destination queue of a message does not exist or is not a "
                    "queue of this account and region."
                ))
                break
            self._move_one(src, dest, m, now)
            moved += 1
        doc["moved"] += moved
        finished = doc["moved"] >= doc["to_move"] or (src.n_visible == 0 and not picked)
        if doc["status"] == RUNNING and finished:
            doc["status"] = COMPLETED
        self.store.put(qs.MOVE_TASKS, key, doc)

    def _destination(self, arn: str | None, source: QueueRef) -> QueueState | None:
        ref = ref_from_arn(arn) if arn else None
        if ref is None or ref.account != source.account or ref.region != source.region:
            return None
        return self.load(ref)

    def _move_one(self, src: QueueState, dest: QueueState, m: Msg, now: float) -> None:
        copies = self.move_in(dest, [m], now, source_arn=None, keep_receives=False)
        with self.store.batch():
            self.persist(src, [m])
            self.persist(dest, copies, new=True)
        dest.wake()
