"""Carrying out alarm actions (cargobay/services/alarm_actions.py is the contract).

SNS topics get CloudWatch's alarm JSON message through an in-process SNS Publish;
Application Auto Scaling and EC2 Auto Scaling policies get ``on_alarm_action``.  Every
attempt leaves an Action item in the alarm's history: "Successfully executed action
<arn>" or "Failed to execute action <arn>. Received error: "<message>"".  Other action
kinds (EC2, Systems Manager, Lambda…) are recorded as failed: cargobay has no such
service.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cargobay.protocol.errors import AwsError
from cargobay.services.alarm_actions import AlarmFiring
from cargobay.services.cloudwatch.base import CloudWatchBase
from cargobay.services.cloudwatch.history import add_item
from cargobay.services.cloudwatch.reason import REGION_NAMES, sns_message

log = logging.getLogger("cargobay.cloudwatch")

STATE_ACTIONS = {"ALARM": "AlarmActions", "OK": "OKActions",
                 "INSUFFICIENT_DATA": "InsufficientDataActions"}


def is_autoscaling(arn: str) -> bool:
    return arn.startswith("arn:aws:autoscaling:")


def autoscaling_service(arn: str) -> str:
    return "application-autoscaling" if ":resource/" in arn else "autoscaling"


class ActionRunner(CloudWatchBase):
    async def run_actions(
        self, where: str, alarm: dict[str, Any], old: str, firing: AlarmFiring,
        only_autoscaling: bool = False,
    ) -> None:
        for arn in alarm.get(STATE_ACTIONS[alarm["StateValue"]]) or []:
            if only_autoscaling and not is_autoscaling(arn):
                continue
            error: str | None = None
            published: str | None = None
            try:
                if arn.startswith("arn:aws:sns:"):
                    published = await self._publish(arn, alarm, old, firing)
                elif is_autoscaling(arn):
                    error = await self._autoscale(arn, firing)
                else:
                    error = f"cargobay cannot carry out actions of this kind ({arn})"
            except AwsError as err:
                error = err.message or err.code
            except Exception as err:  # a target's bug must not stop the evaluator
                log.exception("alarm action %s failed", arn)
                error = str(err) or type(err).__name__
            now = self.clock.now()
            data: dict[str, Any] = {"actionState": "Failed" if error else "Succeeded",
                                    "stateUpdateTimestamp": int(firing.timestamp * 1000)}
            if error:
                data["error"] = error
                summary = f'Failed to execute action {arn}. Received error: "{error}"'
            else:
                data["notificationResource"] = arn
                if published is not None:
                    data["publishedMessage"] = published
                summary = f"Successfully executed action {arn}"
            add_item(self.store, where, alarm["AlarmName"], now, "Action", summary, data)

    async def _publish(
        self, arn: str, alarm: dict[str, Any], old: str, firing: AlarmFiring
    ) -> str:
        parts = arn.split(":")
        region, account = parts[3], parts[4]
        message = json.dumps(sns_message(alarm, old, firing.account_id, firing.region),
                             separators=(",", ":"))
        where = REGION_NAMES.get(firing.region, firing.region)
        subject = f'{alarm["StateValue"]}: "{alarm["AlarmName"]}" in {where}'
        if len(subject) > 99:
            subject = subject[:96] + "..."
        await self.app.dispatcher.call(
            "sns", "Publish", {"TopicArn": arn, "Subject": subject, "Message": message},
            region=region, account_id=account)
        return message

    async def _autoscale(self, arn: str, firing: AlarmFiring) -> str | None:
        name = autoscaling_service(arn)
        svc = self.app.services.get(name)
        hook = getattr(svc, "on_alarm_action", None) if svc is not None else None
        if hook is None:
            return f"The service {name} is not available in cargobay"
        await hook(arn, firing)
        return None
