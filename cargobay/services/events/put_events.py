"""PutEvents, and events that AWS services (here: ECS) put on a bus.

An accepted event is matched against the bus's enabled rules (the routing table,
base.Routes) and one delivery per (matching rule, target) is written to the outbox in
the same store batch as nothing else: the event is acknowledged once its deliveries are
durable (delivery.py sends them).
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.events import names
from cargobay.services.events.base import EventsBase
from cargobay.services.events.envelope import (
    MAX_REQUEST,
    TOO_BIG,
    entry_error,
    entry_size,
    make_event,
)
from cargobay.services.events.errors import ValidationException
from cargobay.services.events.names import BusRef

Doc = dict[str, Any]


class PutEventsOps(EventsBase):
    def put_events(self, ctx: RequestContext, req: Doc) -> Doc:
        entries: list[Doc] = req["Entries"]
        if sum(entry_size(e) for e in entries) > MAX_REQUEST:
            raise ValidationException(TOO_BIG)
        now = self.clock.now()
        results: list[Doc] = []
        jobs: list[Doc] = []
        failed = 0
        for entry in entries:
            detail, error = entry_error(entry)
            bus: BusRef | None = None
            if error is None:
                try:
                    bus = names.bus_ref(ctx, entry.get("EventBusName"))
                except ValidationException as e:
                    error = {"ErrorCode": "InvalidArgument", "ErrorMessage": e.message}
                else:
                    if self.bus_doc(bus) is None:
                        error = {"ErrorCode": "ResourceNotFoundException",
                                 "ErrorMessage": f"Event bus {bus.name} does not exist."}
            if error is not None or bus is None or detail is None:
                failed += 1
                results.append(error or {})
                continue
            event = make_event(
                source=entry["Source"], detail_type=entry["DetailType"], detail=detail,
                account=bus.account, region=bus.region,
                time=entry["Time"] if entry.get("Time") is not None else now,
                resources=entry.get("Resources"),
            )
            jobs.extend(self.route(bus, event, now))
            results.append({"EventId": event["id"]})
        if jobs:
            self.deliveries.add(jobs)
        return {"FailedEntryCount": failed, "Entries": results}

    def route(self, bus: BusRef, event: Doc, now: float, hops: int = 0) -> list[Doc]:
        """One delivery job per target of every enabled rule of ``bus`` matching ``event``."""
        routes = self.routes(bus)
        if routes.index.size == 0:
            return []
        jobs: list[Doc] = []
        for rule_name in routes.index.match(event):
            rule = routes.rules[rule_name]
            for target in routes.targets.get(rule_name, ()):
                jobs.append(new_job(bus, rule, target, event, now, hops))
        return jobs

    def wants(self, bus: BusRef) -> bool:
        """Whether any enabled event-pattern rule of ``bus`` could take an event (services
        skip building events nobody listens to)."""
        return self.routes(bus).index.size > 0

    def publish(self, bus: BusRef, event: Doc, hops: int = 0) -> int:
        """Put an already-built event on ``bus`` (events of AWS services, bus targets);
        the number of deliveries it made.  The bus must exist (else nothing happens)."""
        if self.bus_doc(bus) is None:
            return 0
        jobs = self.route(bus, event, self.clock.now(), hops)
        if jobs:
            self.deliveries.add(jobs)
        return len(jobs)


def new_job(bus: BusRef, rule: Doc, target: Doc, event: Doc, now: float, hops: int = 0) -> Doc:
    return {
        "account": bus.account,
        "region": bus.region,
        "bus": bus.name,
        "rule": rule["Name"],
        "ruleArn": rule["Arn"],
        "target": target,
        "event": event,
        "ingested": now,
        "attempts": 0,
        "nextAt": now,
        "hops": hops,
    }
