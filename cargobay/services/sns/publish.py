"""Publish and PublishBatch.

A message is checked ("Publish", SNS API Reference): a non-empty Message, a Subject of
1–99 printable ASCII characters without line breaks, MessageAttributes
(:mod:`message_attributes`), at most 256 KiB in all, MessageStructure ``json`` with a
``default`` entry; FIFO topics need a MessageGroupId and a MessageDeduplicationId (or
ContentBasedDeduplication: the SHA-256 of the message); standard topics take no
MessageDeduplicationId.  A FIFO topic answers a deduplication ID it saw in the last five
minutes with the first message's MessageId and SequenceNumber and delivers nothing
(per message group when FifoThroughputScope is MessageGroup).

Then it goes to every subscription of the topic (:mod:`fanout`) before Publish answers
(SQS and email deliveries are done by then; HTTP/S ones are in the durable outbox).

PublishBatch takes 1–10 entries with distinct Ids (1–80 of ``[A-Za-z0-9_-]``) and 256
KiB in all; an entry that fails its checks is reported in Failed, the others are
published.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.sns import message_attributes as ma
from cargobay.services.sns import names
from cargobay.services.sns.errors import (
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    TooManyEntriesInBatchRequest,
    invalid,
)
from cargobay.services.sns.fanout import Fanout, Outgoing

Doc = dict[str, Any]

DEDUP_WINDOW = 300.0
MAX_BATCH = 10
_SUBJECT = re.compile(r"[\x20-\x7e]{1,99}")
_TOKEN = re.compile(r"[!-~]{1,128}")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


class PublishOps(Fanout):
    async def publish(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        if req.get("PhoneNumber"):
            raise invalid("PhoneNumber", "cargobay does not send SMS messages")
        topic_arn, what = _target(req)
        topic = self.topic(ctx, topic_arn, what)
        msg = self.prepare(topic, req)
        return await self.send(topic, msg)

    async def publish_batch(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        topic = self.topic(ctx, req["TopicArn"])
        entries: list[Doc] = req.get("PublishBatchRequestEntries") or []
        if not entries:
            raise EmptyBatchRequest("The batch request doesn't contain any entries.")
        if len(entries) > MAX_BATCH:
            raise TooManyEntriesInBatchRequest(
                "The batch request contains more entries than permissible.")
        ids = [e["Id"] for e in entries]
        if len(set(ids)) != len(ids):
            raise BatchEntryIdsNotDistinct(
                "Two or more batch entries in the request have the same Id.")
        for entry_id in ids:
            if len(entry_id) > 80:
                raise InvalidBatchEntryId(
                    f"The Id of a batch entry in the batch request is too long: {entry_id}")
            if not _BATCH_ID.fullmatch(entry_id):
                raise InvalidBatchEntryId(
                    "The Id of a batch entry in the batch request contains an impermissible "
                    f"character: {entry_id}")
        total = sum(ma.publish_size(e.get("Message") or "", _raw_attrs(e)) for e in entries)
        if total > ma.MAX_PUBLISH_BYTES:
            raise BatchRequestTooLong(
                "The length of all the messages put together is more than the limit.")
        ok: list[Doc] = []
        failed: list[Doc] = []
        for entry in entries:
            try:
                msg = self.prepare(topic, entry)
            except AwsError as err:
                failed.append({"Id": entry["Id"], "Code": err.code, "Message": err.message,
                               "SenderFault": err.sender_fault})
                continue
            ok.append({"Id": entry["Id"], **await self.send(topic, msg)})
        return {"Successful": ok, "Failed": failed}

    # -- one message ---------------------------------------------------------------------
    def prepare(self, topic: Doc, entry: Doc) -> Outgoing:
        """The message ``entry`` describes, checked (AwsError if it is refused)."""
        message = entry.get("Message")
        if not message:
            raise invalid("Empty message")
        subject = entry.get("Subject")
        if subject is not None and not _SUBJECT.fullmatch(subject):
            raise invalid("Subject")
        attrs = ma.check_attributes(entry.get("MessageAttributes") or {})
        ma.check_size(message, attrs)
        body: str | dict[str, str] = message
        structure = entry.get("MessageStructure")
        if structure is not None:
            if structure != "json":
                raise invalid("MessageStructure")
            body = _structured(message)
        group: str | None = entry.get("MessageGroupId")
        dedup: str | None = entry.get("MessageDeduplicationId")
        if topic.get("fifo"):
            if not group:
                raise invalid("The MessageGroupId parameter is required for FIFO topics")
            if dedup is None:
                if topic["attributes"].get("ContentBasedDeduplication") != "true":
                    raise invalid(
                        "The topic should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly")
                dedup = hashlib.sha256(message.encode("utf-8")).hexdigest()
            elif not _TOKEN.fullmatch(dedup):
                raise invalid("MessageDeduplicationId")
        elif dedup is not None:
            raise invalid(
                "MessageDeduplicationId",
                "The request includes MessageDeduplicationId parameter that is not valid for "
                "this topic type")
        if group is not None and not _TOKEN.fullmatch(group):
            raise invalid("MessageGroupId")
        return Outgoing(message_id=str(uuid.uuid4()), message=body, subject=subject,
                        attributes=attrs, timestamp=self.clock.now(), group=group,
                        dedup=dedup)

    async def send(self, topic: Doc, msg: Outgoing) -> dict[str, Any]:
        """Number (FIFO), deduplicate (FIFO) and deliver ``msg``; Publish's answer."""
        if topic.get("fifo"):
            dup = self._sequence(topic, msg)
            if dup is not None:
                return {"MessageId": dup[0], "SequenceNumber": dup[1]}
        ref = names.topic_ref(topic["arn"])
        for _, sub in self.topic_subs(ref):
            await self.deliver(topic, sub, msg)
        out: dict[str, Any] = {"MessageId": msg.message_id}
        if msg.sequence is not None:
            out["SequenceNumber"] = msg.sequence
        return out

    def _sequence(self, topic: Doc, msg: Outgoing) -> tuple[str, str] | None:
        """Give a FIFO message its sequence number; the earlier message's (MessageId,
        SequenceNumber) if its deduplication ID was seen in the last five minutes."""
        ref = names.topic_ref(topic["arn"])
        scope = topic["attributes"].get("FifoThroughputScope", "Topic")
        dedup_key = f"{ref.key}/{msg.group if scope == 'MessageGroup' else ''}/{msg.dedup}"
        now = self.clock.now()
        seen = self.store.get(names.DEDUP, dedup_key)
        if seen is not None and seen["at"] + DEDUP_WINDOW > now:
            return str(seen["mid"]), str(seen["seq"])
        fresh = self.topic_doc(ref) or topic
        fresh["seq"] = int(fresh.get("seq", 0)) + 1
        topic["seq"] = fresh["seq"]
        msg.sequence = str(10**19 + fresh["seq"])
        with self.store.batch():
            self.store.put(names.TOPICS, ref.key, fresh)
            self.store.put(names.DEDUP, dedup_key,
                           {"mid": msg.message_id, "seq": msg.sequence, "at": now})
        return None

    def sweep_dedup(self) -> int:
        """Forget deduplication IDs older than the window; how many were dropped."""
        now = self.clock.now()
        old = [k for k, d in self.store.scan(names.DEDUP) if d["at"] + DEDUP_WINDOW <= now]
        with self.store.batch():
            for k in old:
                self.store.delete(names.DEDUP, k)
        return len(old)


def _target(req: Doc) -> tuple[str, str]:
    topic = req.get("TopicArn")
    target = req.get("TargetArn")
    if topic and target and topic != target:
        raise invalid("TopicArn or TargetArn",
                      "Only one of TopicArn or TargetArn may be specified")
    if topic:
        return str(topic), "TopicArn"
    if target:
        if ":endpoint/" in target:
            raise invalid("TargetArn", "cargobay does not deliver to platform endpoints")
        return str(target), "TargetArn"
    raise invalid("TopicArn or TargetArn", "no value for required parameter")


def _structured(message: str) -> dict[str, str]:
    try:
        doc = json.loads(message)
    except ValueError:
        raise invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(doc, dict):
        raise invalid("Message Structure - JSON message body failed to parse")
    # keys whose values are not strings are ignored (Publish, MessageStructure)
    out = {k: v for k, v in doc.items() if isinstance(v, str)}
    if "default" not in out:
        raise invalid("Message Structure - No default entry in JSON message body")
    return out


def _raw_attrs(entry: Doc) -> ma.Attrs:
    out: ma.Attrs = {}
    for name, attr in (entry.get("MessageAttributes") or {}).items():
        if isinstance(attr, dict) and attr.get("DataType"):
            out[name] = attr
    return out
