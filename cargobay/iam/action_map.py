"""Each operation of every served service as IAM sees it: the action, the resource ARNs,
the service condition keys the request carries, and any further permissions it needs.

The action is ``<service prefix>:<OperationName>`` (the prefix is the SigV4 signing name,
except CloudWatch's ``monitoring`` → ``cloudwatch``), with the few renamings the
Service Authorization Reference lists (SQS and SNS batch operations authorize as their
single forms).  Resources follow the reference's resource types per service (see the
``resources_*`` modules); operations that support no resource-level permissions
authorize on ``*``.  A service may refine its resources by defining
``iam_resource_arns(ctx, operation, params) -> list[str] | None`` (e.g. to name a
secret's full ARN when the request gives only its name).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.model import ServiceModel

from cargobay.protocol.base import RequestContext
from cargobay.protocol.models import service_model, signing_name

if TYPE_CHECKING:
    from cargobay.app import App

Params = dict[str, Any]

#: signing names whose IAM service prefix differs
_PREFIXES = {"monitoring": "cloudwatch"}

#: (service, operation) → IAM action name, where it is not the operation's name
_RENAMED = {
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sns", "PublishBatch"): "Publish",
}

#: actions every authenticated caller may perform ("No permissions are required")
UNCHECKED = {"sts:GetCallerIdentity"}


@dataclass
class Check:
    """One permission a request needs: an action on resources, with condition keys."""

    action: str
    resources: list[str]
    keys: dict[str, list[str]] = field(default_factory=dict)
    #: further permissions the request needs (iam:PassRole for a role it hands over…)
    also: list[Check] = field(default_factory=list)


@dataclass
class Access:
    """Everything the authorizer checks for one request (the first check is the operation's
    own action)."""

    checks: list[Check]

    @property
    def action(self) -> str:
        return self.checks[0].action


@functools.cache
def iam_prefix(service: str) -> str:
    model: ServiceModel = service_model(service)
    name = signing_name(model)
    return _PREFIXES.get(name, name)


def action_for(service: str, operation: str) -> str:
    return f"{iam_prefix(service)}:{_RENAMED.get((service, operation), operation)}"


Extractor = Callable[["Scope", str, Params], Check]


@dataclass
class Scope:
    """Where the request acts: its account and region, and the app (to resolve names)."""

    ctx: RequestContext
    app: App | None
    service: str

    @property
    def region(self) -> str:
        return self.ctx.region

    @property
    def account(self) -> str:
        return self.ctx.account_id

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account}:{resource}"


def _extractors() -> dict[str, Extractor]:
    from cargobay.iam import resources_ecs, resources_iam, resources_other

    table: dict[str, Extractor] = {"ecs": resources_ecs.extract}
    table.update(resources_iam.EXTRACTORS)
    table.update(resources_other.EXTRACTORS)
    return table


_EXTRACTORS: dict[str, Extractor] | None = None


def request_tags(params: Params) -> dict[str, str] | None:
    """The tags a request sets (``tags``/``Tags``: a list of key/value pairs or a map)."""
    raw = params.get("Tags", params.get("tags"))
    if raw is None:
        return None
    out: dict[str, str] = {}
    if isinstance(raw, dict):
        for k, v in raw.items():
            out[str(k)] = str(v)
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                k = item.get("Key", item.get("key"))
                v = item.get("Value", item.get("value", ""))
                if k is not None:
                    out[str(k)] = str(v)
    return out


def access_for(
    ctx: RequestContext, params: Params, app: App | None = None
) -> Access:
    """The permissions an operation of ``ctx.service`` with these ``params`` needs."""
    global _EXTRACTORS
    if _EXTRACTORS is None:
        _EXTRACTORS = _extractors()
    service, op = ctx.service, ctx.operation
    action = action_for(service, op)
    scope = Scope(ctx, app, service)
    extract = _EXTRACTORS.get(service)
    main = extract(scope, op, params) if extract is not None else Check(action, ["*"])
    main.action = action
    custom = _service_resources(app, ctx, params)
    if custom is not None:
        main.resources = custom
    tags = request_tags(params)
    if tags is not None:
        for k, v in tags.items():
            main.keys[f"aws:requesttag/{k.lower()}"] = [v]
        main.keys["aws:tagkeys"] = list(tags)
    return Access([main, *main.also])


def _service_resources(app: App | None, ctx: RequestContext, params: Params) -> list[str] | None:
    if app is None:
        return None
    svc = app.services.get(ctx.service)
    hook = getattr(svc, "iam_resource_arns", None)
    if not callable(hook):
        return None
    found = hook(ctx, ctx.operation, params)
    return list(found) if found is not None else None


def pass_role(role_arn: str, to_service: str) -> Check:
    """``iam:PassRole`` on a role a request hands to a service (IAM User Guide, "Grant a
    user permissions to pass a role to an AWS service"); ``iam:PassedToService`` names
    the service."""
    return Check("iam:PassRole", [role_arn], {"iam:passedtoservice": [to_service]})
