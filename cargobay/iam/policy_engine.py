"""Deciding a request against policies.

IAM User Guide, "Policy evaluation logic": every applicable statement is considered;
an explicit Deny in any policy wins; otherwise an Allow in some policy allows;
otherwise the request is implicitly denied.  A statement applies when its Action (or
NotAction), its Resource (or NotResource), its Principal (resource-based policies) and
all its conditions match the request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from cargobay.iam.conditions import all_hold
from cargobay.iam.context_keys import ConditionContext
from cargobay.iam.policy_document import Policy, Principals, Statement
from cargobay.iam.policy_variables import has_variables, substitute_pattern
from cargobay.iam.wildcards import arn_match


class Decision(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"  # explicit
    IMPLICIT = "implicit"  # nothing allows


class Level(enum.IntEnum):
    """How a resource-based policy names the caller."""

    NONE = 0
    ACCOUNT = 1  # by its account (``arn:aws:iam::ACCOUNT:root``): IAM policies decide too
    EXPLICIT = 2  # by its own ARN, as a service, or as everyone (``*``)


@dataclass(frozen=True)
class Caller:
    """The principal as resource-based policies (trust policies) name it."""

    #: ARNs naming it (a user's ARN; a session's ARN and its role's ARN)
    arns: frozenset[str] = frozenset()
    account: str | None = None
    service: str | None = None


def _resource_matches(pattern: str, resource: str, ctx: ConditionContext, vars_: bool) -> bool:
    if vars_ and has_variables(pattern):
        rx = substitute_pattern(pattern, ctx)
        return rx is not None and rx.fullmatch(resource) is not None
    return arn_match(pattern, resource)


def _resource_ok(st: Statement, resource: str, ctx: ConditionContext) -> bool:
    vars_ = st.resource_variables
    if st.resources is not None:
        return any(_resource_matches(p, resource, ctx, vars_) for p in st.resources)
    if st.not_resources is not None:
        return not any(_resource_matches(p, resource, ctx, vars_) for p in st.not_resources)
    return True  # trust policies have no Resource


def _named(p: Principals, caller: Caller) -> Level:
    if p.everyone:
        return Level.EXPLICIT
    level = Level.NONE
    if caller.service is not None and caller.service in p.by_kind.get("Service", ()):
        return Level.EXPLICIT
    for arn in p.by_kind.get("AWS", ()):
        if arn == "*" or arn in caller.arns:
            return Level.EXPLICIT
        if caller.account is not None and arn == f"arn:aws:iam::{caller.account}:root":
            level = Level.ACCOUNT
    return level


def principal_level(st: Statement, caller: Caller) -> Level:
    if st.principals is not None:
        return _named(st.principals, caller)
    if st.not_principals is not None:
        return Level.NONE if _named(st.not_principals, caller) else Level.EXPLICIT
    return Level.EXPLICIT


def applies(st: Statement, action: str, resource: str | None, ctx: ConditionContext) -> bool:
    if not st.matches_action(action):
        return False
    if resource is not None and not _resource_ok(st, resource, ctx):
        return False
    return not st.conditions or all_hold(st.conditions, ctx)


def evaluate(
    policies: Iterable[Policy], action: str, resource: str, ctx: ConditionContext
) -> Decision:
    """Identity-based (or session) policies: explicit Deny > Allow > implicit deny."""
    allowed = False
    for policy in policies:
        for st in policy.statements:
            if (st.allow and allowed) or not applies(st, action, resource, ctx):
                continue
            if not st.allow:
                return Decision.DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT


def evaluate_resource_policy(
    policy: Policy,
    caller: Caller,
    action: str,
    resource: str | None,
    ctx: ConditionContext,
) -> tuple[Decision, Level]:
    """A resource-based policy (a role's trust policy): the decision, and for an Allow how
    explicitly it names the caller."""
    best = Level.NONE
    for st in policy.statements:
        level = principal_level(st, caller)
        if level is Level.NONE or not applies(st, action, resource, ctx):
            continue
        if not st.allow:
            return Decision.DENY, level
        best = max(best, level)
    return (Decision.ALLOW, best) if best else (Decision.IMPLICIT, Level.NONE)
