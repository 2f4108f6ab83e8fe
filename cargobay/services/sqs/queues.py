"""Queue operations: create, find, list, delete, attributes, purge."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.sqs import attributes as qa
from cargobay.services.sqs import queue_store as qs
from cargobay.services.sqs.errors import (
    InvalidParameterValue,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    QueueNameExists,
)
from cargobay.services.sqs.names import QueueRef, check_name
from cargobay.services.sqs.queue_state import QueueState
from cargobay.services.sqs.redrive import RedriveOps

PURGE_INTERVAL = 60.0
LIST_LIMIT = 1000


class QueueOps(RedriveOps):
    def create_queue(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name: str = req["QueueName"]
        given: dict[str, str] = req.get("Attributes") or {}
        fifo = False
        if "FifoQueue" in given:
            fifo = qa.normalize("FifoQueue", given["FifoQueue"], True, creating=True) == "true"
        check_name(name, fifo)
        norm = qa.normalize_all(given, fifo, creating=True)
        norm.pop("FifoQueue", None)
        ref = QueueRef(ctx.account_id, ctx.region, name)
        existing = self.load(ref)
        if existing is not None:
            self._same_attributes(existing, fifo, norm)
            return {"QueueUrl": self.url(ctx, ref)}
        attrs = qa.merged({}, norm)
        config = qa.QueueConfig.of(attrs, fifo)
        self.check_redrive(ref, fifo, config, attrs.get("RedrivePolicy", ""))
        now = self.clock.now()
        st = QueueState(
            ref=ref, qid=uuid.uuid4().hex[:16], fifo=fifo, attrs=attrs, config=config,
            created=now, modified=now, tags=dict(req.get("tags") or {}),
        )
        self.save_queue(st)
        self.queues[ref.key] = st
        return {"QueueUrl": self.url(ctx, ref)}

    @staticmethod
    def _same_attributes(st: QueueState, fifo: bool, norm: dict[str, str]) -> None:
        """CreateQueue on an existing name: the URL if every given attribute matches."""
        if st.fifo != fifo:
            raise QueueNameExists(
                "A queue already exists with the same name and a different value for "
                "attribute FifoQueue"
            )
        current = qa.effective(st.attrs, st.fifo)
        for attr, value in norm.items():
            if current.get(attr, "") != value:
                raise QueueNameExists(
                    "A queue already exists with the same name and a different value for "
                    f"attribute {attr}"
                )

    def get_queue_url(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        account = req.get("QueueOwnerAWSAccountId") or ctx.account_id
        ref = QueueRef(account, ctx.region, req["QueueName"])
        if self.load(ref) is None:
            raise QueueDoesNotExist()
        return {"QueueUrl": self.url(ctx, ref)}

    def list_queues(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        prefix = f"{ctx.account_id}/{ctx.region}/"
        names = self._page_names(
            prefix + req.get("QueueNamePrefix", ""), prefix, req, lambda _doc: True
        )
        return self._page_result(ctx, names, "QueueUrls", req)

    def list_dead_letter_source_queues(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        prefix = f"{st.ref.account}/{st.ref.region}/"

        def targets_me(doc: dict[str, Any]) -> bool:
            policy = (doc.get("attrs") or {}).get("RedrivePolicy")
            if not policy:
                return False
            target: str = orjson.loads(policy).get("deadLetterTargetArn", "")
            return target == st.ref.arn

        names = self._page_names(prefix, prefix, req, targets_me)
        return self._page_result(ctx, names, "queueUrls", req)

    def _page_names(
        self, scan_prefix: str, scope: str, req: dict[str, Any], keep: Any
    ) -> tuple[list[str], str | None]:
        max_results = req.get("MaxResults")
        if max_results is not None and not 1 <= max_results <= LIST_LIMIT:
            raise InvalidParameterValue(
                f"Value {max_results} for parameter MaxResults is invalid. "
                "Reason: MaxResults must be an integer between 1 and 1000."
            )
        after = _read_token(req.get("NextToken"))
        limit = max_results or LIST_LIMIT
        out: list[str] = []
        more = None
        start = scope + after if after is not None else None
        for key, doc in self.store.scan(qs.QUEUES, scan_prefix, start_after=start):
            name = key[len(scope):]
            if not keep(doc):
                continue
            if len(out) == limit:
                more = out[-1]
                break
            out.append(name)
        return out, more if max_results is not None else None

    def _page_result(
        self, ctx: RequestContext, page: tuple[list[str], str | None], member: str,
        req: dict[str, Any],
    ) -> dict[str, Any]:
        names, more = page
        out: dict[str, Any] = {}
        if names:
            out[member] = [
                self.url(ctx, QueueRef(ctx.account_id, ctx.region, n)) for n in names
            ]
        if more is not None:
            out["NextToken"] = base64.urlsafe_b64encode(
                orjson.dumps({"after": more})
            ).decode("ascii")
        return out

    def delete_queue(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        prefix = st.ref.key + "/"
        with self.store.batch():
            self.drop_all(st)
            for key in [k for k, _ in self.store.scan(qs.DEDUP, prefix)]:
                self.store.delete(qs.DEDUP, key)
            self.store.delete(qs.QUEUES, st.ref.key)
        st.clear()
        st.deleted = True
        self.queues.pop(st.ref.key, None)
        st.wake()
        return {}

    def get_queue_attributes(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        names: list[str] = req.get("AttributeNames") or []
        qa.check_names(names)
        if not names:
            return {}
        everything = self.all_attributes(st)
        if "All" in names:
            return {"Attributes": everything}
        picked = {n: everything[n] for n in names if n in everything}
        return {"Attributes": picked} if picked else {}

    @staticmethod
    def all_attributes(st: QueueState) -> dict[str, str]:
        out = qa.effective(st.attrs, st.fifo)
        out.update({k: str(v) for k, v in st.depths().items()})
        out["CreatedTimestamp"] = str(int(st.created))
        out["LastModifiedTimestamp"] = str(int(st.modified))
        out["QueueArn"] = st.ref.arn
        return out

    def set_queue_attributes(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        given: dict[str, str] = req.get("Attributes") or {}
        norm = qa.normalize_all(given, st.fifo, creating=False)
        attrs = qa.merged(st.attrs, norm)
        config = qa.QueueConfig.of(attrs, st.fifo)
        if "RedrivePolicy" in norm:
            self.check_redrive(st.ref, st.fifo, config, norm["RedrivePolicy"])
        old = (st.attrs, st.config, st.modified)
        st.attrs, st.config, st.modified = attrs, config, self.clock.now()
        try:
            self.save_queue(st)
        except BaseException:
            st.attrs, st.config, st.modified = old
            raise
        self.tick(st)  # a shorter retention period applies at once
        return {}

    def purge_queue(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        now = self.clock.now()
        if st.purged_at is not None and now - st.purged_at < PURGE_INTERVAL:
            raise PurgeQueueInProgress(
                f"Only one PurgeQueue operation on {st.ref.name} is allowed every 60 seconds."
            )
        with self.store.batch():
            self.drop_all(st)
            st.purged_at = now
            self.save_queue(st)
        st.clear()
        return {}


def _read_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        doc = orjson.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError, orjson.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("after"), str):
        raise InvalidParameterValue("Invalid NextToken value.")
    after: str = doc["after"]
    return after
