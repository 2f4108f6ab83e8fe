"""Queue tags (TagQueue, UntagQueue, ListQueueTags) and the AddPermission /
RemovePermission shorthand for statements in the queue's Policy."""

from __future__ import annotations

import re
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.sqs import attributes as qa
from cargobay.services.sqs.base import SqsBase
from cargobay.services.sqs.errors import InvalidParameterValue, OverLimit, invalid_value
from cargobay.services.sqs.queue_state import QueueState

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_ACTIONS = 7


class TagOps(SqsBase):
    def tag_queue(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        tags: dict[str, str] = req["Tags"]
        self._save_tags(st, {**st.tags, **tags})
        return {}

    def untag_queue(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        gone = set(req["TagKeys"])
        self._save_tags(st, {k: v for k, v in st.tags.items() if k not in gone})
        return {}

    def list_queue_tags(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        return {"Tags": dict(st.tags)} if st.tags else {}

    def _save_tags(self, st: QueueState, tags: dict[str, str]) -> None:
        old, st.tags = st.tags, tags
        try:
            self.save_queue(st)
        except BaseException:
            st.tags = old
            raise

    # -- permissions -------------------------------------------------------------------
    def add_permission(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        label: str = req["Label"]
        if not _LABEL.fullmatch(label):
            raise invalid_value(
                "Label", label,
                "Can only include alphanumeric characters, hyphens, or underscores. "
                "1 to 80 in length",
            )
        actions: list[str] = req["Actions"]
        accounts: list[str] = req["AWSAccountIds"]
        if not actions or not accounts:
            raise InvalidParameterValue("AWSAccountIds and Actions must not be empty.")
        if len(actions) > MAX_ACTIONS:
            raise OverLimit(
                f"{len(actions)} Actions were found, maximum allowed is {MAX_ACTIONS}."
            )
        policy = self._policy(st)
        statements: list[dict[str, Any]] = policy["Statement"]
        if any(s.get("Sid") == label for s in statements):
            raise invalid_value("Label", label, "Already exists.")
        statements.append({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
            "Action": [f"SQS:{a}" for a in actions],
            "Resource": st.ref.arn,
        })
        self._save_policy(st, policy)
        return {}

    def remove_permission(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        st = self.queue(ctx, req["QueueUrl"])
        label: str = req["Label"]
        policy = self._policy(st)
        kept = [s for s in policy["Statement"] if s.get("Sid") != label]
        if len(kept) == len(policy["Statement"]):
            raise invalid_value("Label", label, "can't find label on existing policy.")
        policy["Statement"] = kept
        self._save_policy(st, policy if kept else None)
        return {}

    @staticmethod
    def _policy(st: QueueState) -> dict[str, Any]:
        raw = st.attrs.get("Policy")
        doc: dict[str, Any] = orjson.loads(raw) if raw else {}
        doc.setdefault("Version", "2012-10-17")
        doc.setdefault("Id", f"{st.ref.arn}/SQSDefaultPolicy")
        statements = doc.get("Statement")
        if isinstance(statements, dict):
            statements = [statements]
        doc["Statement"] = list(statements or [])
        return doc

    def _save_policy(self, st: QueueState, policy: dict[str, Any] | None) -> None:
        attrs = dict(st.attrs)
        if policy is None:
            attrs.pop("Policy", None)
        else:
            attrs["Policy"] = orjson.dumps(policy).decode()
        old = (st.attrs, st.config, st.modified)
        st.attrs = attrs
        st.config = qa.QueueConfig.of(attrs, st.fifo)
        st.modified = self.clock.now()
        try:
            self.save_queue(st)
        except BaseException:
            st.attrs, st.config, st.modified = old
            raise
