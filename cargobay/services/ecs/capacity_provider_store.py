"""Capacity providers as stored, and the rules CreateCapacityProvider and
UpdateCapacityProvider apply (ECS API Reference: CreateCapacityProvider,
AutoScalingGroupProvider, ManagedScaling).

A provider document lives in ``ecs.capacity_providers`` under
``<account>/<region>/<name>``.  FARGATE and FARGATE_SPOT are not stored: "they are
available to all accounts" and always ACTIVE.
"""

from __future__ import annotations

import re
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.autoscaling import names as asg_names
from cargobay.services.ecs import arns
from cargobay.services.ecs import service_store as services
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.cluster_settings import CAPACITY_PROVIDER_TABLE, FARGATE_PROVIDERS
from cargobay.services.ecs.errors import ClientException, InvalidParameterException
from cargobay.store import Store

Doc = dict[str, Any]

TABLE = CAPACITY_PROVIDER_TABLE

#: CreateCapacityProvider.name: "up to 255 characters ... letters (uppercase and
#: lowercase), numbers, underscores, and hyphens. The name can't be prefixed with
#: "aws", "ecs", or "fargate"."
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_RESERVED_PREFIXES = ("aws", "ecs", "fargate")

#: ManagedScaling defaults (API Reference): targetCapacity 100, minimumScalingStepSize 1,
#: maximumScalingStepSize 10000, instanceWarmupPeriod 300 seconds.
DEFAULT_SCALING: Doc = {
    "status": "DISABLED",
    "targetCapacity": 100,
    "minimumScalingStepSize": 1,
    "maximumScalingStepSize": 10000,
    "instanceWarmupPeriod": 300,
}
#: status ENABLED when managedScaling is given without one
SCALING_STATUS_WHEN_GIVEN = "ENABLED"

EXISTS = (
    "The specified capacity provider already exists. To change the configuration of an "
    "existing capacity provider, update the capacity provider."
)
GROUP_IN_USE = (
    "The specified Auto Scaling group ARN is already being used by another capacity "
    "provider. Specify a unique Auto Scaling group ARN and try again."
)
GROUP_NOT_FOUND = (
    "The specified Auto Scaling group ARN was not found. Specify a valid Auto Scaling "
    "group ARN and try again."
)
PROTECTION_NEEDS_GROUP = (
    "The managed termination protection setting for the capacity provider is invalid. To "
    "enable managed termination protection for a capacity provider, the Auto Scaling "
    "group must have instance protection from scale in enabled."
)
PROTECTION_NEEDS_SCALING = (
    "The managed termination protection setting for the capacity provider is invalid. To "
    "enable managed termination protection for a capacity provider, managed scaling must "
    "also be enabled."
)
NOT_FOUND = (
    "The specified capacity provider does not exist. Specify a valid name or ARN and try "
    "again."
)
IN_USE = "The specified capacity provider is in use and cannot be removed."
RESERVED_NAME = (
    "The specified capacity provider name is invalid. Capacity provider names can't be "
    'prefixed with "aws", "ecs", or "fargate".'
)
BAD_NAME = (
    "The specified capacity provider name is invalid. Up to 255 characters are allowed, "
    "including letters (upper and lowercase), numbers, underscores, and hyphens."
)


def key(ctx: RequestContext, name: str) -> str:
    return arns.scope_key(ctx, name)


def provider_arn(ctx: RequestContext, name: str) -> str:
    return arns.arn(ctx, f"capacity-provider/{name}")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidParameterException(BAD_NAME)
    if name.lower().startswith(_RESERVED_PREFIXES):
        raise InvalidParameterException(RESERVED_NAME)
    return name


def name_of(ref: str) -> str:
    """The provider named by name or ``arn:…:capacity-provider/<name>``."""
    return arns.name_from(ref)


def find(store: Store, ctx: RequestContext, ref: str) -> Doc | None:
    return store.get(TABLE, key(ctx, name_of(ref)))


def fargate_view(ctx: RequestContext, name: str) -> Doc:
    return {
        "capacityProviderArn": provider_arn(ctx, name),
        "name": name,
        "status": "ACTIVE",
        "type": name,
    }


def group_doc(store: Store, ctx: RequestContext, group_arn: str) -> Doc:
    """The Auto Scaling group a provider names (by ARN, as ECS requires)."""
    name = asg_names.name_from(group_arn, "autoScalingGroup")
    doc = store.get(asg_names.GROUPS, asg_names.key(ctx, name))
    if doc is None or (group_arn.startswith("arn:") and doc["AutoScalingGroupARN"] != group_arn):
        raise ClientException(GROUP_NOT_FOUND)
    return doc


def managed_scaling(given: Doc | None, current: Doc | None = None) -> Doc:
    """ManagedScaling as stored: the request's members over the current (or defaults)."""
    out = dict(current or DEFAULT_SCALING)
    if given is None:
        return out
    if current is None and "status" not in given:
        out["status"] = SCALING_STATUS_WHEN_GIVEN
    for name in DEFAULT_SCALING:
        if name in given:
            out[name] = given[name]
    if out["minimumScalingStepSize"] > out["maximumScalingStepSize"]:
        raise InvalidParameterException(
            "The managed scaling minimumScalingStepSize must be less than or equal to "
            "maximumScalingStepSize."
        )
    return out


def check_protection(provider: Doc, group: Doc) -> None:
    """managedTerminationProtection ENABLED needs managed scaling and the group's
    NewInstancesProtectedFromScaleIn (Developer Guide, "Managed termination
    protection")."""
    if provider.get("managedTerminationProtection") != "ENABLED":
        return
    if provider["managedScaling"]["status"] != "ENABLED":
        raise InvalidParameterException(PROTECTION_NEEDS_SCALING)
    if not group.get("NewInstancesProtectedFromScaleIn"):
        raise InvalidParameterException(PROTECTION_NEEDS_GROUP)


def group_taken(store: Store, ctx: RequestContext, group_arn: str) -> bool:
    return any(
        d["autoScalingGroupProvider"]["autoScalingGroupArn"] == group_arn
        for _, d in store.scan(TABLE, arns.scope_prefix(ctx))
    )


def view(doc: Doc, tags: list[dict[str, str]] | None = None) -> Doc:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    if tags is not None:
        out["tags"] = tags
    return out


def is_fargate(name: str) -> bool:
    return name in FARGATE_PROVIDERS


def all_providers(store: Store, ctx: RequestContext) -> list[Doc]:
    return [d for _, d in store.scan(TABLE, arns.scope_prefix(ctx))]


class ResourceInUseException(AwsError):
    code = "ResourceInUseException"


def in_use_in_cluster(store: Store, cluster_key: str, names: set[str]) -> bool:
    """Whether a task that is not STOPPED, or a service that is not INACTIVE, of the
    cluster uses one of the providers ``names``."""
    if not names:
        return False
    for _, svc in store.scan(services.TABLE, cluster_key + "/"):
        if svc.get("status") != services.INACTIVE and any(
            item.get("capacityProvider") in names
            for item in svc.get("capacityProviderStrategy") or []
        ):
            return True
    return any(
        t.get("capacityProviderName") in names and t.get("lastStatus") != "STOPPED"
        for _, t in store.scan(tasks.TABLE, cluster_key + "/")
    )
