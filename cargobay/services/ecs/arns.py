"""ECS ARNs and the store keys behind them.

Every ECS document is stored under ``<account>/<region>/...`` so that regions and
accounts never see each other's resources, and ``POST /_cargobay/reset`` can clear all.
"""

from __future__ import annotations

from dataclasses import dataclass

from cargobay.protocol.base import RequestContext


def arn(ctx: RequestContext, resource: str) -> str:
    """``arn:aws:ecs:<region>:<account>:<resource>``."""
    return f"arn:aws:ecs:{ctx.region}:{ctx.account_id}:{resource}"


def scope_key(ctx: RequestContext, *parts: str) -> str:
    """Store key for a resource in the caller's account and region."""
    return "/".join((ctx.account_id, ctx.region, *parts))


def scope_prefix(ctx: RequestContext) -> str:
    return f"{ctx.account_id}/{ctx.region}/"


@dataclass(frozen=True)
class ParsedArn:
    partition: str
    service: str
    region: str
    account_id: str
    resource_type: str
    #: everything after ``<type>/`` (or ``<type>:`` for task-definition's family:revision)
    resource: str


def parse_arn(text: str) -> ParsedArn | None:
    """Split an ARN; None when ``text`` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, region, account, rest = parts
    rtype, sep, resource = rest.partition("/")
    if not sep:
        return None
    return ParsedArn(partition, service, region, account, rtype, resource)


def name_from(ref: str) -> str:
    """The resource name from a name or an ARN (the part after the last '/')."""
    return ref.rsplit("/", 1)[-1] if ref.startswith("arn:") else ref
