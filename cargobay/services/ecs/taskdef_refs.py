"""How callers name a task definition: ``family``, ``family:revision`` or its full ARN.

``arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`` names one revision;
a bare family (DescribeTaskDefinition only) means its latest ACTIVE revision.  An ARN of
another account or region names nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs.arns import arn, parse_arn
from cargobay.services.ecs.errors import InvalidParameterException


@dataclass(frozen=True)
class TaskDefRef:
    family: str
    #: None for a bare family
    revision: int | None


def task_definition_arn(ctx: RequestContext, family: str, revision: int) -> str:
    return arn(ctx, f"task-definition/{family}:{revision}")


def parse_ref(ctx: RequestContext, text: str) -> TaskDefRef | None:
    """The family and revision ``text`` names in the caller's account and region.

    None when it cannot name a task definition here (a foreign or malformed ARN); an
    unreadable revision number is ECS's InvalidParameterException.
    """
    body = text
    if text.startswith("arn:"):
        parsed = parse_arn(text)
        if (
            parsed is None
            or parsed.service != "ecs"
            or parsed.resource_type != "task-definition"
            or parsed.region != ctx.region
            or parsed.account_id != ctx.account_id
        ):
            return None
        body = parsed.resource
    family, sep, rev = body.partition(":")
    if not family or "/" in family:
        return None
    if not sep:
        return TaskDefRef(family, None)
    if not rev.isdigit() or not rev.isascii():
        raise InvalidParameterException(f"Invalid revision number. Number: {rev}")
    return TaskDefRef(family, int(rev))
