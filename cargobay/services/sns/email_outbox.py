"""Email and email-json deliveries: cargobay sends no mail, it records what it would
have sent.

Each message is one JSON line in ``<data dir>/sns-email-outbox.jsonl`` (kept in memory
when the server has no data directory), written before the Subscribe or Publish that
caused it answers: ``{"timestamp", "type", "to", "from", "subject", "body",
"topicArn", "subscriptionArn", "messageId"}`` where type is SubscriptionConfirmation
(the body holds the SubscribeURL), Notification or UnsubscribeConfirmation.  The
records are also served as a JSON array at ``GET /_cargobay/sns/email-outbox``.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

Record = dict[str, Any]

FILE_NAME = "sns-email-outbox.jsonl"


class EmailOutbox:
    def __init__(self, data_dir: str | None) -> None:
        self.path = os.path.join(data_dir, FILE_NAME) if data_dir else None
        self._memory: list[Record] = []

    def add(self, record: Record) -> None:
        if self.path is None:
            self._memory.append(record)
            return
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def records(self) -> list[Record]:
        if self.path is None:
            return list(self._memory)
        try:
            with open(self.path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out: list[Record] = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:  # a line cut short by a crash mid-write
                continue
        return out

    def reset(self) -> None:
        self._memory.clear()
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)


def confirmation_body(topic_arn: str, display: str, subscribe_url: str) -> str:
    name = display or topic_arn.rsplit(":", 1)[-1]
    return (
        f"You have chosen to subscribe to the topic: \n{topic_arn}\n\n"
        "To confirm this subscription, click or visit the link below (If this was in "
        f"error no action is necessary): \n{subscribe_url}\n\n"
        f"Please do not reply directly to this email. ({name})\n"
    )


def notification_body(message: str, unsubscribe_url: str) -> str:
    return (
        f"{message}\n\n--\nIf you wish to stop receiving notifications from this topic, "
        f"please click or visit the link below to unsubscribe:\n{unsubscribe_url}\n\n"
        "Please do not reply directly to this email.\n"
    )
