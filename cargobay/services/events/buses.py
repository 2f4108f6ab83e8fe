"""CreateEventBus, DescribeEventBus, ListEventBuses, UpdateEventBus, DeleteEventBus.

Every account has a ``default`` bus in every Region (it cannot be created or deleted);
custom buses up to 100 per account and Region.  Deleting a bus deletes its rules and
their targets; deleting a bus that is not there succeeds.  Partner buses (names starting
``aws.partner/``, ``EventSourceName``) need a partner event source, which cargobay does
not have.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.events import names
from cargobay.services.events.base import BUSES_PER_ACCOUNT, EventsBase
from cargobay.services.events.errors import (
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)
from cargobay.services.events.names import DEFAULT_BUS, BusRef
from cargobay.services.events.tags import check_tags

Doc = dict[str, Any]

_CONFIG = ("Description", "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")
_LISTED = ("Name", "Arn", "Description", "Policy", "CreationTime", "LastModifiedTime")
_DESCRIBED = (*_LISTED, "KmsKeyIdentifier", "DeadLetterConfig", "LogConfig")
MAX_PAGE = 100


class BusOps(EventsBase):
    def create_event_bus(self, ctx: RequestContext, req: Doc) -> Doc:
        name: str = req["Name"]
        names.check_name(name, "name", bus=True)
        bus = BusRef(ctx.account_id, ctx.region, name)
        if name == DEFAULT_BUS or self.store.get(names.BUSES, bus.key) is not None:
            raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
        if req.get("EventSourceName"):
            raise ResourceNotFoundException(
                f"Event source {req['EventSourceName']} does not exist."
            )
        if "/" in name or name.startswith("aws."):
            raise ValidationException(
                f"Event bus name {name} is not valid: only partner event buses (with an "
                "EventSourceName) may contain '/' or start with 'aws.'."
            )
        _check_dlq(req.get("DeadLetterConfig"))
        tags = check_tags(req.get("Tags") or [])
        prefix = f"{ctx.account_id}/{ctx.region}/"
        if self.store.count(names.BUSES, prefix) - (
            1 if self.store.get(names.BUSES, prefix + DEFAULT_BUS) else 0
        ) >= BUSES_PER_ACCOUNT:
            raise LimitExceededException()
        now = self.clock.now()
        doc: Doc = {"Name": name, "Arn": bus.arn, "CreationTime": now, "LastModifiedTime": now}
        doc.update({k: req[k] for k in _CONFIG if k in req})
        with self.store.batch():
            self.store.put(names.BUSES, bus.key, doc)
            if tags:
                self.store.put(names.TAGS, bus.arn, {"Tags": tags})
        out: Doc = {"EventBusArn": bus.arn}
        out.update({k: doc[k] for k in _CONFIG if k in doc})
        return out

    def describe_event_bus(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("Name"))
        doc = self.require_bus(bus)
        return {k: doc[k] for k in _DESCRIBED if k in doc}

    def update_event_bus(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("Name"))
        doc = self.require_bus(bus)
        _check_dlq(req.get("DeadLetterConfig"))
        doc.update({k: req[k] for k in _CONFIG if k in req})
        doc["LastModifiedTime"] = self.clock.now()
        self.store.put(names.BUSES, bus.key, doc)
        out: Doc = {"Arn": doc["Arn"], "Name": doc["Name"]}
        out.update({k: doc[k] for k in _CONFIG if k in doc})
        return out

    def list_event_buses(self, ctx: RequestContext, req: Doc) -> Doc:
        self.bus_doc(BusRef(ctx.account_id, ctx.region, DEFAULT_BUS))
        prefix = f"{ctx.account_id}/{ctx.region}/"
        want = req.get("NamePrefix") or ""
        limit = int(req.get("Limit") or MAX_PAGE)
        after = names.decode_token(req.get("NextToken"), prefix)
        page, token = names.take_page(
            ((key, {k: doc[k] for k in _LISTED if k in doc})
             for key, doc in self.store.scan(names.BUSES, prefix + want, after)),
            limit,
        )
        out: Doc = {"EventBuses": page}
        if token:
            out["NextToken"] = token
        return out

    def delete_event_bus(self, ctx: RequestContext, req: Doc) -> Doc:
        name: str = req["Name"]
        if name == DEFAULT_BUS:
            raise ValidationException("Cannot delete event bus default.")
        bus = BusRef(ctx.account_id, ctx.region, name)
        doc = self.store.get(names.BUSES, bus.key)
        if doc is None:
            return {}
        with self.store.batch():
            for key, rule in list(self.store.scan(names.RULES, bus.rules_prefix)):
                self.store.delete(names.RULES, key)
                self.store.delete(names.TAGS, rule["Arn"])
            for key, _ in list(self.store.scan(names.TARGETS, bus.rules_prefix)):
                self.store.delete(names.TARGETS, key)
            self.store.delete(names.TAGS, bus.arn)
            self.store.delete(names.BUSES, bus.key)
        self.rules_changed(bus)
        self.scheduler.forget_bus(bus)
        return {}


def _check_dlq(config: Doc | None) -> None:
    if not config or "Arn" not in config:
        return
    arn = names.parse_arn(config["Arn"])
    if arn is None or arn.service != "sqs":
        raise ValidationException(
            f"Parameter DeadLetterConfig.Arn is not valid. Reason: {config['Arn']} is not "
            "the ARN of an Amazon SQS queue."
        )
