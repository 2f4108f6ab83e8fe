"""EventBridge ARNs, store tables and keys.

Keys start with ``<account>/<region>/``.  A bus's rules and targets are keyed
``<bus>|<rule>`` and ``<bus>|<rule>|<target id>``: ``|`` can appear in no bus, rule or
target name, while ``/`` can appear in bus names (partner buses).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from cargobay.protocol.base import RequestContext
from cargobay.services import page_tokens
from cargobay.services.events.errors import ValidationException

BUSES = "events.buses"
RULES = "events.rules"
TARGETS = "events.targets"
TAGS = "events.tags"
OUTBOX = "events.outbox"

DEFAULT_BUS = "default"

T = TypeVar("T")


@dataclass(frozen=True)
class BusRef:
    account: str
    region: str
    name: str

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def rules_prefix(self) -> str:
        return f"{self.key}|"

    def rule_key(self, rule: str) -> str:
        return f"{self.key}|{rule}"

    def rule_arn(self, rule: str) -> str:
        middle = "" if self.name == DEFAULT_BUS else f"{self.name}/"
        return f"arn:aws:events:{self.region}:{self.account}:rule/{middle}{rule}"

    def target_key(self, rule: str, target_id: str) -> str:
        return f"{self.key}|{rule}|{target_id}"

    def targets_prefix(self, rule: str) -> str:
        return f"{self.key}|{rule}|"


def bus_ref(ctx: RequestContext, text: str | None) -> BusRef:
    """The bus a request names (a name or an ARN; the default bus when absent)."""
    if not text:
        return BusRef(ctx.account_id, ctx.region, DEFAULT_BUS)
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) == 6 and parts[2] == "events" and parts[5].startswith("event-bus/"):
            return BusRef(parts[4], parts[3], parts[5][len("event-bus/"):])
        raise ValidationException(f"Parameter {text} is not valid. Reason: "
                                  "Provided Arn is not in correct format.")
    return BusRef(ctx.account_id, ctx.region, text)


def bus_from_arn(arn: str) -> BusRef | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "events" and parts[5].startswith("event-bus/"):
        return BusRef(parts[4], parts[3], parts[5][len("event-bus/"):])
    return None


def split_rule_key(key: str) -> tuple[BusRef, str]:
    scope, _, rule = key.rpartition("|")
    account, region, bus = scope.split("/", 2)
    return BusRef(account, region, bus), rule


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        return None
    return Arn(*parts[1:])


encode_token = page_tokens.encode


def decode_token(token: str | None, prefix: str) -> str | None:
    """The key a NextToken continues after (it must belong to the same listing)."""
    return page_tokens.decode(
        token, lambda: ValidationException("The NextToken provided is invalid."), prefix)


def take_page(items: Iterator[tuple[str, T]], limit: int) -> tuple[list[T], str | None]:
    """Up to ``limit`` values of (key, value) pairs, and the NextToken if more remain."""
    page: list[T] = []
    last = ""
    for key, value in items:
        if len(page) == limit:
            return page, encode_token(last)
        page.append(value)
        last = key
    return page, None


_NAME = re.compile(r"[\.\-_A-Za-z0-9]+")
_BUS_NAME = re.compile(r"[/\.\-_A-Za-z0-9]+")


def check_name(value: str, where: str, *, bus: bool = False) -> None:
    """Names must match the model's pattern as a whole (the protocol layer checks that a
    match exists somewhere in the value)."""
    rx = _BUS_NAME if bus else _NAME
    if rx.fullmatch(value) is None:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {rx.pattern}"
        )
