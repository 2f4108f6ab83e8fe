"""How a capacity provider strategy splits tasks across its providers (ECS API
Reference, CapacityProviderStrategyItem):

- "The base value designates how many tasks, at a minimum, to run on the specified
  capacity provider. Only one capacity provider in a capacity provider strategy can
  have a base defined."
- "The weight value designates the relative percentage of the total number of tasks
  launched that should use the specified capacity provider. The weight value is taken
  into consideration after the base value, if defined, is satisfied." — weights 1 and 4:
  "for every one task that's run using capacityProviderA, four tasks would use
  capacityProviderB".  A provider of weight 0 gets no task beyond its base.

Each new task goes, in turn, to the provider with a base not yet met; else to the
provider whose share after the task, (tasks beyond its base + 1) / weight, is the
smallest (ties to the one listed first).  ``existing`` counts the tasks each provider
already runs (a service's), so a split continued later keeps the same proportions.
"""

from __future__ import annotations

from typing import Any

from cargobay.services.ecs.errors import InvalidParameterException

Doc = dict[str, Any]

NO_WEIGHT = (
    "The capacity provider strategy must contain at least one capacity provider with a "
    "weight value greater than 0."
)


#: "a capacity provider strategy may only contain Fargate capacity providers or Auto
#: Scaling group capacity providers, not both" (Fargate capacity providers)
MIXED = (
    "The specified capacity provider strategy cannot contain a mix of capacity providers "
    "using Auto Scaling groups and Fargate providers. Specify one or the other and try "
    "again."
)
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")

BOTH = (
    "Specifying both a launch type and capacity provider strategy is not supported. "
    "Remove one and try again."
)
NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is "
    "not associated with the cluster. Associate the capacity provider with the cluster or "
    "specify a valid capacity provider and try again."
)


def requested(cluster: Doc, req: Doc) -> tuple[str | None, list[Doc]]:
    """(launch type, strategy) of a RunTask/CreateService/UpdateService: the request's
    launchType or capacityProviderStrategy (not both), else the cluster's default
    strategy, else EC2.  Exactly one of the two is set."""
    strategy = req.get("capacityProviderStrategy") or []
    launch_type = req.get("launchType")
    if strategy and launch_type:
        raise InvalidParameterException(BOTH)
    if not strategy and not launch_type:
        strategy = cluster.get("defaultCapacityProviderStrategy") or []
        launch_type = None if strategy else "EC2"
    return launch_type, strategy


def check_associated(cluster: Doc, strategy: list[Doc]) -> None:
    """Every provider of ``strategy`` is one of the cluster's capacity providers."""
    known = set(cluster.get("capacityProviders") or [])
    for item in strategy:
        if item.get("capacityProvider") not in known:
            raise InvalidParameterException(NOT_ASSOCIATED)


def check(strategy: list[Doc]) -> None:
    """RunTask/CreateService strategies: at least one weight above 0; Fargate providers
    and Auto Scaling group providers not mixed."""
    if strategy and not any((item.get("weight") or 0) > 0 for item in strategy):
        raise InvalidParameterException(NO_WEIGHT)
    kinds = {item.get("capacityProvider") in FARGATE_PROVIDERS for item in strategy}
    if len(kinds) > 1:
        raise InvalidParameterException(MIXED)


def split(strategy: list[Doc], count: int, existing: dict[str, int] | None = None) -> list[str]:
    """The provider of each of ``count`` new tasks, in launch order."""
    counts = {item["capacityProvider"]: 0 for item in strategy}
    for name, n in (existing or {}).items():
        if name in counts:
            counts[name] += n
    out: list[str] = []
    for _ in range(count):
        chosen: str | None = None
        for item in strategy:
            name = item["capacityProvider"]
            if counts[name] < (item.get("base") or 0):
                chosen = name
                break
        if chosen is None:
            best: float | None = None
            for item in strategy:
                weight = item.get("weight") or 0
                if weight <= 0:
                    continue
                name = item["capacityProvider"]
                share = (counts[name] - (item.get("base") or 0) + 1) / weight
                if best is None or share < best:
                    best, chosen = share, name
        if chosen is None:
            raise InvalidParameterException(NO_WEIGHT)
        counts[chosen] += 1
        out.append(chosen)
    return out


def tally(names: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for n in names:
        out[n] = out.get(n, 0) + 1
    return out
