"""ECS's rules for what CreateCluster / UpdateCluster accept, turned into stored form.

Each function takes the (model-checked) request member and returns what the cluster
document keeps, or raises the error ECS answers with.  Sources: ECS API Reference for
CreateCluster, UpdateCluster, ClusterSetting, ExecuteCommandConfiguration,
CapacityProviderStrategyItem and ClusterServiceConnectDefaultsRequest.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import arns
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.store import Store

#: CreateCluster.clusterName: "Up to 255 letters (uppercase and lowercase), numbers,
#: underscores, and hyphens are allowed."
_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

#: ClusterSetting.value: "The supported values are enhanced, enabled, and disabled."
INSIGHTS_VALUES = ("enabled", "disabled", "enhanced")

#: the Fargate capacity providers "are available to all accounts"
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

#: "A capacity provider strategy can contain a maximum of 20 capacity providers."
MAX_STRATEGY = 20

#: where capacity providers made with CreateCapacityProvider are looked up, keyed by
#: arns.scope_key(ctx, name), each document with a "status"
CAPACITY_PROVIDER_TABLE = "ecs.capacity_providers"

#: ClusterServiceConnectDefaultsRequest.namespace: "up to 1024 characters ... can't
#: include greater than (>), less than (<), double quotation marks ("), or slash (/)."
_NAMESPACE_NAME = re.compile(r'^[^<>"/]{1,1024}$')
_NAMESPACE_ARN = re.compile(
    r"^arn:aws[a-z-]*:servicediscovery:([a-z0-9-]+):(\d{12}):namespace/(ns-[A-Za-z0-9]+)$"
)

INCONSISTENT = (
    "Arguments on this idempotent request are inconsistent with arguments used in "
    "previous request(s)."
)


class NamespaceNotFoundException(AwsError):
    code = "NamespaceNotFoundException"


def check_cluster_name(name: str) -> str:
    if not _CLUSTER_NAME.match(name):
        raise InvalidParameterException(
            "Cluster name must be 1 to 255 characters long and can contain only letters "
            "(uppercase and lowercase), numbers, underscores, and hyphens."
        )
    return name


def cluster_settings(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The request's ``settings`` as stored: one entry per name, last value wins."""
    values: dict[str, str] = {}
    for item in items:
        name, value = item.get("name"), item.get("value")
        if name != "containerInsights":
            raise InvalidParameterException(
                "Cluster setting name must be specified. The only supported setting is "
                "containerInsights."
            )
        if value not in INSIGHTS_VALUES:
            raise InvalidParameterException(
                f"Invalid value {value!r} for cluster setting containerInsights. "
                "Valid values are: enhanced, enabled, disabled."
            )
        values[name] = value
    return [{"name": n, "value": v} for n, v in values.items()]


def merge_settings(
    current: list[dict[str, str]], update: list[dict[str, str]]
) -> list[dict[str, str]]:
    values = {s["name"]: s["value"] for s in current}
    values.update({s["name"]: s["value"] for s in update})
    return [{"name": n, "value": v} for n, v in values.items()]


def cluster_configuration(cfg: dict[str, Any]) -> dict[str, Any]:
    """ExecuteCommandConfiguration: "When logging=OVERRIDE is specified, a
    logConfiguration must be provided." """
    out: dict[str, Any] = {}
    exec_cfg = cfg.get("executeCommandConfiguration")
    if exec_cfg is not None:
        if exec_cfg.get("logging") == "OVERRIDE" and not exec_cfg.get("logConfiguration"):
            raise InvalidParameterException(
                "A logConfiguration must be provided when the execute command logging "
                "setting is OVERRIDE."
            )
        out["executeCommandConfiguration"] = dict(exec_cfg)
    storage = cfg.get("managedStorageConfiguration")
    if storage is not None:
        out["managedStorageConfiguration"] = dict(storage)
    return out


def merge_configuration(current: dict[str, Any] | None, update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current or {})
    merged.update(update)
    return merged


def capacity_provider_exists(store: Store, ctx: RequestContext, name: str) -> bool:
    if name in FARGATE_PROVIDERS:
        return True
    doc = store.get(CAPACITY_PROVIDER_TABLE, arns.scope_key(ctx, name))
    return doc is not None and doc.get("status", "ACTIVE") in ("ACTIVE", "UPDATING")


def capacity_providers(store: Store, ctx: RequestContext, names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name in out:
            raise InvalidParameterException(
                f"The capacity provider {name} is specified more than once. Specify each "
                "capacity provider once and try again."
            )
        if not capacity_provider_exists(store, ctx, name):
            raise InvalidParameterException(
                "The specified capacity provider was not found. Specify a valid capacity "
                "provider and try again."
            )
        out.append(name)
    return out


def capacity_provider_strategy(
    items: list[dict[str, Any]], associated: list[str]
) -> list[dict[str, Any]]:
    """A default strategy, checked against the providers associated with the cluster."""
    if len(items) > MAX_STRATEGY:
        raise InvalidParameterException(
            f"A capacity provider strategy can contain a maximum of {MAX_STRATEGY} "
            "capacity providers."
        )
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    with_base = 0
    for item in items:
        name = item["capacityProvider"]
        if name not in associated:
            raise InvalidParameterException(
                "The specified capacity provider strategy cannot contain a capacity "
                "provider that is not associated with the cluster. Associate the capacity "
                "provider with the cluster or specify a valid capacity provider and try again."
            )
        if name in seen:
            raise InvalidParameterException(
                f"The capacity provider {name} is specified more than once in the capacity "
                "provider strategy."
            )
        seen.add(name)
        base = item.get("base") or 0
        if base > 0:
            with_base += 1
        out.append({"capacityProvider": name, "weight": item.get("weight") or 0, "base": base})
    if with_base > 1:
        raise InvalidParameterException(
            "Only one capacity provider in a capacity provider strategy can have a base "
            "defined."
        )
    return out


def service_connect_defaults(
    ctx: RequestContext, namespace: str
) -> dict[str, str] | None:
    """The stored ``serviceConnectDefaults``; None when ``namespace`` is "" (removed).

    A namespace ARN must name this account and Region; a name stands for the Cloud Map
    namespace of that name, whose ARN is derived from the name so it stays stable.
    """
    if namespace == "":
        return None
    if namespace.startswith("arn:"):
        m = _NAMESPACE_ARN.match(namespace)
        if m is None:
            raise InvalidParameterException("The namespace ARN provided is invalid.")
        if m.group(1) != ctx.region or m.group(2) != ctx.account_id:
            raise NamespaceNotFoundException(
                "The specified namespace wasn't found. The namespace must be in this "
                "account and Region."
            )
        return {"namespace": namespace}
    if not _NAMESPACE_NAME.match(namespace):
        raise InvalidParameterException(
            "The namespace name can include up to 1024 characters and can't include '>', "
            "'<', '\"' or '/'."
        )
    digest = hashlib.sha256(f"{ctx.account_id}/{ctx.region}/{namespace}".encode()).digest()
    ns_id = "ns-" + base64.b32encode(digest).decode("ascii").lower()[:16]
    return {
        "namespace": f"arn:aws:servicediscovery:{ctx.region}:{ctx.account_id}:namespace/{ns_id}"
    }
