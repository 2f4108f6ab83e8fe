"""Amazon EventBridge (json 1.1): event buses, rules, targets, PutEvents, schedules.

One class, its operations grouped by resource in mixins (buses.py, rules.py,
target_ops.py, put_events.py, tags.py); two loops on the app clock: deliveries
(delivery.py) and scheduled rules (scheduler.py).  Other services put their events on a
bus through :meth:`EventsService.publish` (ECS: cargobay/services/ecs/events_out.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.services.events.buses import BusOps
from cargobay.services.events.delivery import Deliveries
from cargobay.services.events.names import parse_arn
from cargobay.services.events.put_events import PutEventsOps
from cargobay.services.events.role_session import RoleSessions
from cargobay.services.events.rules import RuleOps
from cargobay.services.events.scheduler import Scheduler
from cargobay.services.events.tags import TagOps
from cargobay.services.events.target_ops import TargetOps
from cargobay.services.events.targets import DeliveryError

if TYPE_CHECKING:
    from cargobay.app import App


class EventsService(PutEventsOps, TargetOps, RuleOps, BusOps, TagOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self._routes = {}
        self._patterns = {}
        self._queue_urls: dict[str, str] = {}
        self.role_sessions = RoleSessions(app)
        self.deliveries = Deliveries(self)
        self.scheduler = Scheduler(self)

    async def start(self) -> None:
        await self.deliveries.start()
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.deliveries.stop()

    def reset(self) -> None:
        self._routes.clear()
        self._queue_urls.clear()
        self.role_sessions.reset()
        self.deliveries.reset()
        self.scheduler.reset()

    # -- for targets ------------------------------------------------------------------

    async def queue_url(self, queue_arn: str) -> str:
        """The URL of the SQS queue ``queue_arn`` (GetQueueUrl, remembered)."""
        url = self._queue_urls.get(queue_arn)
        if url is None:
            arn = parse_arn(queue_arn)
            if arn is None or arn.service != "sqs":
                raise DeliveryError("INVALID_PARAMETER", f"{queue_arn} is not a queue.", False)
            out: Any = await self.app.dispatcher.call(
                "sqs", "GetQueueUrl",
                {"QueueName": arn.resource, "QueueOwnerAWSAccountId": arn.account},
                region=arn.region, account_id=arn.account,
            )
            url = str(out["QueueUrl"])
            self._queue_urls[queue_arn] = url
        return url

    def forget_queue(self, queue_arn: str) -> None:
        self._queue_urls.pop(queue_arn, None)
