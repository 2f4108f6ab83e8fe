"""Account settings as stored: one document per principal, per account and region.

ECS's model (Developer Guide, "Access Amazon ECS features with account settings"): a
user or role may set a value for itself; the root user's value is the default for
every user and role that set none (that is what PutAccountSettingDefault writes); a
setting nobody set has ECS's default.  Federated users take the root user's settings.
"""

from __future__ import annotations

import re

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns
from cargobay.services.ecs.account_setting_rules import RULES
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.store import Store

TABLE = "ecs.account_settings"

_IAM_PRINCIPAL = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):(root|user/\S+|role/\S+)$")
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$")


def root_arn(ctx: RequestContext) -> str:
    return f"arn:aws:iam::{ctx.account_id}:root"


def caller_principal(ctx: RequestContext) -> str:
    """The authenticated principal as ECS records settings for it.

    An assumed-role session records against its role; a caller whose identity is not
    known (no IAM in front) or a federated user acts as the root user.
    """
    arn = ctx.principal_arn
    if not arn:
        return root_arn(ctx)
    if _IAM_PRINCIPAL.match(arn):
        return arn
    m = _ASSUMED_ROLE.match(arn)
    if m:
        return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}"
    return root_arn(ctx)


def principal_for(ctx: RequestContext, principal_arn: str | None) -> str:
    """The principal a request names (``principalArn``), or the caller when it names none."""
    if principal_arn is None:
        return caller_principal(ctx)
    m = _IAM_PRINCIPAL.match(principal_arn)
    if m is None:
        raise InvalidParameterException(
            "The principalArn provided is invalid. Specify the ARN of an IAM user, an IAM "
            "role, or the root user."
        )
    if m.group(2) != ctx.account_id:
        raise InvalidParameterException(
            "The principalArn must belong to the account that makes the request."
        )
    if m.group(3) == "root":
        return root_arn(ctx)
    return principal_arn


def is_root(ctx: RequestContext, principal: str) -> bool:
    return principal == root_arn(ctx)


def _key(ctx: RequestContext, principal: str) -> str:
    return arns.scope_key(ctx, principal)


def own_settings(store: Store, ctx: RequestContext, principal: str) -> dict[str, str]:
    """The settings ``principal`` set itself, by name."""
    doc = store.get(TABLE, _key(ctx, principal))
    values: dict[str, str] = {} if doc is None else doc["settings"]
    return values


def put_setting(store: Store, ctx: RequestContext, principal: str, name: str, value: str) -> None:
    values = own_settings(store, ctx, principal)
    values[name] = value
    store.put(TABLE, _key(ctx, principal), {"principalArn": principal, "settings": values})


def delete_setting(store: Store, ctx: RequestContext, principal: str, name: str) -> str | None:
    """Forget ``principal``'s own value for ``name``; returns the value it had, if any."""
    values = own_settings(store, ctx, principal)
    old = values.pop(name, None)
    if old is None:
        return None
    if values:
        store.put(TABLE, _key(ctx, principal), {"principalArn": principal, "settings": values})
    else:
        store.delete(TABLE, _key(ctx, principal))
    return old


def effective(store: Store, ctx: RequestContext, name: str, principal: str) -> tuple[str, str]:
    """(value, whose) in force for ``principal``: its own, else the root user's, else ECS's."""
    own = own_settings(store, ctx, principal).get(name)
    if own is not None:
        return own, principal
    root = root_arn(ctx)
    if principal != root:
        inherited = own_settings(store, ctx, root).get(name)
        if inherited is not None:
            return inherited, root
    return RULES[name].default, root


def effective_value(store: Store, ctx: RequestContext, name: str) -> str:
    """The value of ``name`` in force for the caller (e.g. containerInsights at CreateCluster)."""
    return effective(store, ctx, name, caller_principal(ctx))[0]
