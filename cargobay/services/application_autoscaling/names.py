"""Store tables, keys and ARNs of Application Auto Scaling.

A scalable target is named by (ServiceNamespace, ResourceId, ScalableDimension); its
key is ``<account>/<region>/<namespace>|<resourceId>|<dimension>`` and every policy,
scheduled action and activity of it is keyed under that, so a target's things are one
prefix scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cargobay.protocol.base import RequestContext

TARGETS = "application-autoscaling.targets"
POLICIES = "application-autoscaling.policies"
#: policy ARN → policy key (alarm actions name policies by ARN)
POLICY_ARNS = "application-autoscaling.policy_arns"
SCHEDULED = "application-autoscaling.scheduled"
ACTIVITIES = "application-autoscaling.activities"
TAGS = "application-autoscaling.tags"

ECS_NAMESPACE = "ecs"
ECS_DIMENSION = "ecs:service:DesiredCount"
_ECS_RESOURCE = re.compile(r"^service/([^/]+)/([^/]+)$")
_POLICY_ARN = re.compile(
    r"^arn:aws:autoscaling:([^:]+):(\d+):scalingPolicy:([0-9a-f-]+):resource/([^/]+)/(.+)"
    r":policyName/(.+)$"
)


@dataclass(frozen=True)
class TargetRef:
    account: str
    region: str
    namespace: str
    resource_id: str
    dimension: str

    @staticmethod
    def of(ctx: RequestContext, req: dict[str, object]) -> TargetRef:
        return TargetRef(ctx.account_id, ctx.region, str(req["ServiceNamespace"]),
                         str(req["ResourceId"]), str(req["ScalableDimension"]))

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.namespace}|{self.resource_id}|{self.dimension}"

    @property
    def child_prefix(self) -> str:
        """Prefix of this target's policies, scheduled actions and activities."""
        return self.key + "|"

    def child_key(self, name: str) -> str:
        return self.child_prefix + name

    def ecs_service(self) -> tuple[str, str]:
        """(cluster, service) of an ECS service resource id."""
        m = _ECS_RESOURCE.match(self.resource_id)
        if m is None:
            raise ValueError(self.resource_id)
        return m.group(1), m.group(2)


def scope_prefix(ctx: RequestContext) -> str:
    return f"{ctx.account_id}/{ctx.region}/"


def namespace_prefix(ctx: RequestContext, namespace: str) -> str:
    return f"{scope_prefix(ctx)}{namespace}|"


def split_key(key: str) -> TargetRef:
    """The target of a target key (or of a child key: its first three fields)."""
    account, region, rest = key.split("/", 2)
    namespace, rest = rest.split("|", 1)
    # resource ids hold '/', never '|'; dimensions hold neither
    resource_id, rest = rest.split("|", 1)
    dimension = rest.split("|", 1)[0]
    return TargetRef(account, region, namespace, resource_id, dimension)


def target_arn(ref: TargetRef, ident: str) -> str:
    return f"arn:aws:application-autoscaling:{ref.region}:{ref.account}:scalable-target/{ident}"


def policy_arn(ref: TargetRef, ident: str, name: str) -> str:
    return (f"arn:aws:autoscaling:{ref.region}:{ref.account}:scalingPolicy:{ident}:"
            f"resource/{ref.namespace}/{ref.resource_id}:policyName/{name}")


def scheduled_action_arn(ref: TargetRef, ident: str, name: str) -> str:
    return (f"arn:aws:autoscaling:{ref.region}:{ref.account}:scheduledAction:{ident}:"
            f"resource/{ref.namespace}/{ref.resource_id}:scheduledActionName/{name}")


def is_policy_arn(arn: str) -> bool:
    return _POLICY_ARN.match(arn) is not None


def not_registered(ref: TargetRef) -> str:
    return (f"No scalable target registered for service namespace: {ref.namespace}, "
            f"resource ID: {ref.resource_id}, scalable dimension: {ref.dimension}")
