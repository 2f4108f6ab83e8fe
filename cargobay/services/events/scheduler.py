"""Firing scheduled rules on the app clock.

A rule with a ScheduleExpression (on the default bus, ENABLED) fires at each time
schedule.next_fire gives — rates counted from when the rule was created, changed or
enabled (``_anchor``), cron in UTC minutes — and every firing sends its targets the
"Scheduled Event" (User Guide, "Creating a rule that runs on a schedule"): source
``aws.events``, detail-type ``Scheduled Event``, the rule's ARN as the only resource,
``detail`` ``{}``, ``time`` the scheduled time.  The last firing is kept on the rule
(``_lastFired``), so a restart neither repeats nor back-fills firings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.services.deadlines import Recurring
from cargobay.services.events import names
from cargobay.services.events.envelope import make_event
from cargobay.services.events.names import BusRef
from cargobay.services.events.put_events import new_job
from cargobay.services.events.schedule import ScheduleError, next_fire
from cargobay.services.events.schedule import parse as parse_schedule

if TYPE_CHECKING:
    from cargobay.services.events.service import EventsService

Doc = dict[str, Any]


class Scheduler(Recurring):
    def __init__(self, svc: EventsService) -> None:
        super().__init__(svc.store, svc.clock, names.RULES, "events-scheduler")
        self.svc = svc
        self.fired = 0

    def refresh(self, bus: BusRef, rule: str) -> None:
        """A rule was created, changed, enabled, disabled or deleted."""
        self.replan(bus.rule_key(rule))

    def forget_bus(self, bus: BusRef) -> None:
        self.loop.queue.discard_prefix(bus.rules_prefix)

    def next_firing(self, bus: BusRef, rule: str) -> float | None:
        return self.next_at(bus.rule_key(rule))

    def next_time(self, doc: Doc, now: float, since: float) -> float | None:
        expr = doc.get("ScheduleExpression")
        if not expr or doc.get("State") == "DISABLED":
            return None
        try:
            sched = parse_schedule(expr)
        except ScheduleError:
            return None
        return next_fire(sched, float(doc.get("_anchor", now)), since)

    async def fire(self, key: str, t: float) -> None:
        store = self.svc.store
        doc = store.get(names.RULES, key)
        if doc is None or doc.get("State") == "DISABLED" or not doc.get("ScheduleExpression"):
            return
        bus, rule = names.split_rule_key(key)
        event = make_event(
            source="aws.events", detail_type="Scheduled Event", detail={},
            account=bus.account, region=bus.region, time=t, resources=[doc["Arn"]],
        )
        now = self.svc.clock.now()
        jobs = [new_job(bus, doc, target, event, now)
                for target in self.svc.rule_targets(bus, rule)]
        doc["_lastFired"] = t
        with store.batch():
            store.put(names.RULES, key, doc)
            if jobs:
                self.svc.deliveries.add(jobs)
        self.fired += 1
        self.plan(key, doc, after=t)
