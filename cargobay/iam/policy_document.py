"""Policy documents: the JSON grammar checked, and compiled for evaluation.

IAM User Guide, "IAM JSON policy element reference" and "Grammar of the IAM JSON policy
language".  A document is ``{"Version", "Id", "Statement"}``; a statement has ``Effect``,
``Action`` or ``NotAction``, ``Resource`` or ``NotResource`` (identity policies),
``Principal`` or ``NotPrincipal`` (trust and resource policies), optional ``Sid`` and
``Condition``.  Single values may be given as a string or a list.

Parsing is cached by the document's text: a stored policy is parsed once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from cargobay.iam.conditions import Condition, parse_block
from cargobay.iam.errors import MalformedPolicyDocument
from cargobay.iam.policy_variables import has_variables
from cargobay.iam.wildcards import glob_match

Kind = Literal["identity", "trust", "resource"]
VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_FIELDS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}
_PRINCIPAL_KINDS = ("AWS", "Service", "Federated", "CanonicalUser")
_TRUST_ACTIONS = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
)


@dataclass(frozen=True)
class Principals:
    """A Principal element: ``everyone`` for ``"*"``, else identifiers by kind."""

    everyone: bool
    by_kind: dict[str, tuple[str, ...]]


@dataclass
class Statement:
    sid: str | None
    allow: bool
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: Principals | None
    not_principals: Principals | None
    conditions: tuple[Condition, ...]
    #: resources hold policy variables (resolved per request)
    resource_variables: bool = False
    _action_hits: dict[str, bool] = field(default_factory=dict, repr=False)

    def matches_action(self, action: str) -> bool:
        """Action / NotAction against ``service:Operation`` (cached per action)."""
        hit = self._action_hits.get(action)
        if hit is None:
            if self.actions is not None:
                hit = any(glob_match(p, action, ignore_case=True) for p in self.actions)
            else:
                assert self.not_actions is not None
                hit = not any(glob_match(p, action, ignore_case=True) for p in self.not_actions)
            if len(self._action_hits) < 4096:
                self._action_hits[action] = hit
        return hit


@dataclass
class Policy:
    version: str
    statements: tuple[Statement, ...]
    kind: Kind

    @property
    def variables(self) -> bool:
        return self.version == "2012-10-17"


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        raise MalformedPolicyDocument("Syntax errors in policy.")
    return tuple(items)


def _check_action(action: str) -> None:
    if action == "*":
        return
    prefix, sep, name = action.partition(":")
    if not sep or not prefix or not name:
        raise MalformedPolicyDocument(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        )


def _check_resource(resource: str) -> None:
    if resource == "*" or (resource.startswith("arn:") and resource.count(":") >= 5):
        return
    raise MalformedPolicyDocument(f'Resource {resource} must be in ARN format or "*".')


def _principals(value: Any) -> Principals:
    if value == "*":
        return Principals(True, {})
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    by_kind: dict[str, tuple[str, ...]] = {}
    for kind, ids in value.items():
        if kind not in _PRINCIPAL_KINDS:
            raise MalformedPolicyDocument(f"Invalid principal in policy: {kind}")
        names = _strings(ids, kind)
        for n in names:
            if not n or (kind == "AWS" and n != "*" and not _aws_principal_ok(n)):
                raise MalformedPolicyDocument(f'Invalid principal in policy: "{kind}":"{n}"')
        if kind == "AWS":
            names = tuple(_normalize_aws(n) for n in names)
        by_kind[kind] = names
    everyone = by_kind.get("AWS") == ("*",)
    return Principals(everyone, by_kind)


def _aws_principal_ok(text: str) -> bool:
    if text.isdigit() and len(text) == 12:
        return True
    parts = text.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] in ("iam", "sts")


def _normalize_aws(text: str) -> str:
    """An account id names that account's root ARN (as IAM stores it)."""
    if text.isdigit() and len(text) == 12:
        return f"arn:aws:iam::{text}:root"
    return text


def _statement(raw: Any, kind: Kind, variables: bool) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicyDocument("Syntax errors in policy.")
    for name in raw:
        if name not in _STATEMENT_FIELDS:
            raise MalformedPolicyDocument(f"Syntax errors in policy. Unknown field {name}")
    effect = raw.get("Effect")
    if effect is None:
        raise MalformedPolicyDocument("Missing required field Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f"Invalid effect: {effect}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicyDocument("Syntax errors in policy.")
    if "Action" in raw and "NotAction" in raw:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    if "Action" not in raw and "NotAction" not in raw:
        raise MalformedPolicyDocument("Missing required field Action")
    actions = _strings(raw["Action"], "Action") if "Action" in raw else None
    not_actions = _strings(raw["NotAction"], "NotAction") if "NotAction" in raw else None
    for a in actions or not_actions or ():
        _check_action(a)
    if "Resource" in raw and "NotResource" in raw:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    resources = _strings(raw["Resource"], "Resource") if "Resource" in raw else None
    not_resources = _strings(raw["NotResource"], "NotResource") if "NotResource" in raw else None
    for r in resources or not_resources or ():
        _check_resource(r)
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind == "identity":
        if has_principal:
            raise MalformedPolicyDocument("Policy document should not specify a principal.")
        if resources is None and not_resources is None:
            raise MalformedPolicyDocument("Policy statement must contain resources.")
    else:
        if not has_principal:
            raise MalformedPolicyDocument("Missing required field Principal")
        if "Principal" in raw and "NotPrincipal" in raw:
            raise MalformedPolicyDocument("Syntax errors in policy.")
    if kind == "trust":
        if resources is not None or not_resources is not None:
            raise MalformedPolicyDocument(
                "Has prohibited field Resource" if resources is not None
                else "Has prohibited field NotResource"
            )
        for a in actions or ():
            if a.lower() not in _TRUST_ACTIONS and a not in ("sts:*", "*"):
                raise MalformedPolicyDocument(
                    "AssumeRole policy may only specify STS AssumeRole actions."
                )
    principals = _principals(raw["Principal"]) if "Principal" in raw else None
    not_principals = _principals(raw["NotPrincipal"]) if "NotPrincipal" in raw else None
    conditions = parse_block(raw["Condition"], variables) if "Condition" in raw else ()
    return Statement(
        sid=sid,
        allow=effect == "Allow",
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        principals=principals,
        not_principals=not_principals,
        conditions=conditions,
        resource_variables=variables
        and any(has_variables(r) for r in (resources or not_resources or ())),
    )


@functools.lru_cache(maxsize=4096)
def parse_policy(text: str, kind: Kind = "identity") -> Policy:
    """The compiled policy; raises MalformedPolicyDocument as IAM does for bad input."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise MalformedPolicyDocument("This policy contains invalid Json") from None
    if not isinstance(doc, dict):
        raise MalformedPolicyDocument("This policy contains invalid Json")
    for name in doc:
        if name not in ("Version", "Id", "Statement"):
            raise MalformedPolicyDocument(f"Syntax errors in policy. Unknown field {name}")
    version = doc.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicyDocument("The policy must contain a valid version string")
    raw = doc.get("Statement")
    if raw is None:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise MalformedPolicyDocument("Syntax errors in policy.")
    variables = version == "2012-10-17"
    statements = tuple(_statement(s, kind, variables) for s in items)
    sids = [s.sid for s in statements if s.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicyDocument("Statement IDs (SID) in a single policy must be unique.")
    return Policy(version, statements, kind)


def aws_principal_arns(policy: Policy) -> list[str]:
    """Every IAM ARN the policy names as an AWS principal (to check they exist)."""
    out: list[str] = []
    for st in policy.statements:
        for p in (st.principals, st.not_principals):
            if p is not None:
                out.extend(a for a in p.by_kind.get("AWS", ()) if a != "*")
    return out
