"""The contract between CloudWatch alarms and the services their actions name.

CloudWatch (cargobay/services/cloudwatch) evaluates alarms.  When an alarm's state
changes, and for Auto Scaling actions once a minute while it stays in that state, each
action ARN of the new state is carried out:

- ``arn:aws:sns:…`` → an SNS Publish of the alarm's JSON message;
- ``arn:aws:autoscaling:…:scalingPolicy:…:resource/…`` (Application Auto Scaling) →
  ``app.services["application-autoscaling"].on_alarm_action(arn, firing)``;
- ``arn:aws:autoscaling:…:scalingPolicy:…:autoScalingGroupName/…`` (EC2 Auto Scaling) →
  ``app.services["autoscaling"].on_alarm_action(arn, firing)``.

A service that receives alarm actions implements :class:`AlarmActionTarget`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class AlarmFiring:
    """One alarm action being carried out."""

    alarm_name: str
    alarm_arn: str
    #: the alarm's state now: "ALARM", "OK" or "INSUFFICIENT_DATA"
    state: str
    #: the alarm's Threshold (None for anomaly-detection alarms, which cargobay lacks)
    threshold: float | None
    #: the alarm's ComparisonOperator
    comparison_operator: str
    #: the values of the datapoints in the evaluation range, oldest first (what step
    #: scaling aggregates with its MetricAggregationType)
    values: list[float] = field(default_factory=list)
    #: clock time of the evaluation (epoch seconds)
    timestamp: float = 0.0
    region: str = "us-east-1"
    account_id: str = "000000000000"
    #: the alarm's state reason, as DescribeAlarms shows it
    reason: str = ""


class AlarmActionTarget(Protocol):
    async def on_alarm_action(self, action_arn: str, firing: AlarmFiring) -> None:
        """Carry out one alarm action.  Must not raise for an unknown or deleted
        policy (log it and return): CloudWatch records the failure in the alarm's
        history as AWS does."""
        ...
