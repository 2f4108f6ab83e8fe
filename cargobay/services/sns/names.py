"""Topic and subscription names, ARNs, store tables and keys.

A topic is ``arn:aws:sns:<region>:<account>:<name>``, stored under
``<account>/<region>/<name>``; its subscriptions are ``<topic arn>:<uuid>``, stored
under ``<account>/<region>/<name>/<uuid>`` so that a topic's subscriptions are one
prefix scan (topic names cannot hold ``/``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cargobay.protocol.base import RequestContext
from cargobay.services.sns.errors import invalid

TOPICS = "sns.topics"
SUBSCRIPTIONS = "sns.subscriptions"
TOKENS = "sns.tokens"
DEDUP = "sns.dedup"
OUTBOX = "sns.outbox"
KEYS = "sns.keys"

_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
_ACCOUNT = re.compile(r"[0-9]{12}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class TopicRef:
    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.name}"

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def subs_prefix(self) -> str:
        return f"{self.key}/"

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


@dataclass(frozen=True)
class SubRef:
    topic: TopicRef
    uuid: str

    @property
    def arn(self) -> str:
        return f"{self.topic.arn}:{self.uuid}"

    @property
    def key(self) -> str:
        return f"{self.topic.key}/{self.uuid}"


def check_topic_name(name: str, fifo: bool) -> None:
    """A name CreateTopic accepts (InvalidParameter otherwise)."""
    if fifo:
        if not _FIFO_NAME.fullmatch(name):
            raise invalid(
                "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                "between 1 and 256 characters long."
            )
    elif not _NAME.fullmatch(name):
        raise invalid("Topic Name")


def _arn_parts(arn: str) -> list[str] | None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sns":
        return None
    return parts


def topic_ref(arn: str, what: str = "TopicArn") -> TopicRef:
    """The topic an ARN names (InvalidParameter for one that cannot name a topic)."""
    parts = _arn_parts(arn or "")
    if parts is None or len(parts) != 6:
        count = len((arn or "").split(":"))
        if parts is None and count < 6:
            raise invalid(what, f"An ARN must have at least 6 elements, not {count}")
        raise invalid(what)
    _, _, _, region, account, name = parts
    if not region or not _ACCOUNT.fullmatch(account) or not (
        _NAME.fullmatch(name) or _FIFO_NAME.fullmatch(name)
    ):
        raise invalid(what)
    return TopicRef(account, region, name)


def local_topic(ctx: RequestContext, arn: str, what: str = "TopicArn") -> TopicRef:
    """A topic ARN of the caller's region (SNS refuses other regions' topics)."""
    ref = topic_ref(arn, what)
    if ref.region != ctx.region:
        raise invalid(what)
    return ref


def sub_ref(arn: str) -> SubRef | None:
    """The subscription a subscription ARN names, or None if it is not one."""
    parts = _arn_parts(arn or "")
    if parts is None or len(parts) != 7:
        return None
    _, _, _, region, account, name, uid = parts
    if not region or not _ACCOUNT.fullmatch(account) or not _UUID.fullmatch(uid):
        return None
    if not (_NAME.fullmatch(name) or _FIFO_NAME.fullmatch(name)):
        return None
    return SubRef(TopicRef(account, region, name), uid)


def scope_prefix(account: str, region: str) -> str:
    return f"{account}/{region}/"


def encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode(last_key.encode()).decode()


def decode_token(token: str | None, prefix: str) -> str | None:
    """The key a NextToken continues after (InvalidParameter for a foreign token)."""
    if not token:
        return None
    try:
        key = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid("NextToken") from None
    if not key.startswith(prefix):
        raise invalid("NextToken")
    return key
