"""Which container instance a task goes to: constraints, strategies, failure reasons.

ECS Developer Guide, "Amazon ECS task placement": candidates are the cluster's ACTIVE
instances; each is checked in turn for an agent that is connected (else ``AGENT``), the
attributes the task definition requires (``ATTRIBUTE``), the ``memberOf`` constraints
(cluster query language), ``distinctInstance`` (no other task of the same group there)
and the resources (placement.py: ``RESOURCE:CPU`` / ``RESOURCE:MEMORY`` /
``RESOURCE:PORTS``).  The instances that pass are ordered by the strategies, first one
first: ``binpack`` (least remaining cpu or memory first), ``spread`` (fewest tasks of
the same group per value of ``instanceId``/``host`` or ``attribute:<name>``), ``random``.
RunTask accepts at most 10 constraints (its own and the task definition's together) and
5 strategies.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import placement
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.query_eval import evaluate
from cargobay.services.ecs.query_language import Expr, QueryError, parse

Doc = dict[str, Any]

MAX_CONSTRAINTS = 10
MAX_STRATEGIES = 5

AGENT = "AGENT"
ATTRIBUTE = "ATTRIBUTE"
MEMBER_OF = "MemberOf placement constraint unsatisfied."
DISTINCT = "DistinctInstance placement constraint unsatisfied."


@dataclass(frozen=True)
class Rules:
    """What a placement must respect, checked once per request."""

    member_of: tuple[Expr, ...] = ()
    distinct: bool = False
    strategies: tuple[tuple[str, str], ...] = ()
    required: tuple[tuple[str, str | None], ...] = ()


@dataclass
class Candidate:
    key: str
    doc: Doc


def rules(constraints: list[Doc], strategies: list[Doc], td: Doc) -> Rules:
    """Check a request's constraints and strategies (InvalidParameterException)."""
    everything = list(constraints) + list(td.get("placementConstraints", []))
    if len(everything) > MAX_CONSTRAINTS:
        raise InvalidParameterException(
            f"A task can have at most {MAX_CONSTRAINTS} placement constraints, including "
            "those of its task definition."
        )
    if len(strategies) > MAX_STRATEGIES:
        raise InvalidParameterException(
            f"A task can have at most {MAX_STRATEGIES} placement strategies."
        )
    member_of: list[Expr] = []
    distinct = False
    for c in everything:
        kind = c.get("type")
        expression = c.get("expression")
        if kind == "distinctInstance":
            if expression:
                raise InvalidParameterException(
                    "An expression cannot be specified for the distinctInstance constraint."
                )
            distinct = True
        elif kind == "memberOf":
            if not expression:
                raise InvalidParameterException(
                    "An expression must be specified for the memberOf constraint."
                )
            try:
                member_of.append(parse(expression))
            except QueryError as e:
                raise InvalidParameterException(f"Invalid memberOf expression: {e}.") from None
        else:
            raise InvalidParameterException(f"Invalid placement constraint type: {kind}.")
    return Rules(
        tuple(member_of),
        distinct,
        tuple(_strategy(s) for s in strategies),
        tuple((a["name"], a.get("value")) for a in td.get("requiresAttributes", [])),
    )


def _strategy(s: Doc) -> tuple[str, str]:
    kind = s.get("type")
    fld = s.get("field") or ""
    if kind == "random":
        if fld:
            raise InvalidParameterException("The random placement strategy takes no field.")
    elif kind == "binpack":
        fld = fld.lower()
        if fld not in ("cpu", "memory"):
            raise InvalidParameterException(
                "The binpack placement strategy field must be cpu or memory."
            )
    elif kind == "spread":
        if fld in ("instanceId", "host"):
            fld = "instanceId"
        elif not (fld.startswith("attribute:") and len(fld) > len("attribute:")):
            raise InvalidParameterException(
                "The spread placement strategy field must be instanceId, host or "
                "attribute:<name>."
            )
    else:
        raise InvalidParameterException(f"Invalid placement strategy type: {kind}.")
    return kind, fld


def reason_against(
    c: Candidate, needs: placement.Needs, group: str, r: Rules
) -> str | None:
    """Why the task cannot go on this instance (ECS's failure reason), or None."""
    doc = c.doc
    if not doc.get("agentConnected"):
        return AGENT
    attrs = instances.attributes_map(doc)
    for name, value in r.required:
        if name not in attrs or (value is not None and attrs[name] != value):
            return ATTRIBUTE
    if r.member_of:
        facts = instances.facts(doc, placement.groups(doc))
        if not all(evaluate(e, facts) for e in r.member_of):
            return MEMBER_OF
    if r.distinct and group in placement.groups(doc):
        return DISTINCT
    return placement.shortfall(doc, needs)


def order(fits: list[Candidate], group: str, r: Rules, rng: random.Random) -> list[Candidate]:
    """Candidates that fit, best first by the strategies (then at random)."""
    if not r.strategies:
        out = list(fits)
        rng.shuffle(out)
        return out
    spread_counts = {fld: _spread_counts(fits, fld, group) for kind, fld in r.strategies
                     if kind == "spread"}

    def sort_key(c: Candidate) -> tuple[float, ...]:
        key: list[float] = []
        for kind, fld in r.strategies:
            if kind == "random":
                key.append(rng.random())
            elif kind == "binpack":
                rem = {x["name"]: x["integerValue"] for x in c.doc["remainingResources"]}
                key.append(rem.get("CPU" if fld == "cpu" else "MEMORY", 0))
            else:
                key.append(spread_counts[fld][_spread_value(c, fld)])
        key.append(rng.random())
        return tuple(key)

    return sorted(fits, key=sort_key)


def _spread_value(c: Candidate, fld: str) -> str:
    if fld == "instanceId":
        return c.key
    return str(instances.attributes_map(c.doc).get(fld[len("attribute:") :]))


def _spread_counts(cands: list[Candidate], fld: str, group: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for c in cands:
        here = sum(1 for g in placement.groups(c.doc) if g == group)
        counts[_spread_value(c, fld)] += here
    return counts
