"""PutRule, DescribeRule, ListRules, EnableRule, DisableRule, DeleteRule, TestEventPattern.

- PutRule creates or replaces a rule (its targets and tags stay): an ``EventPattern``,
  a ``ScheduleExpression`` (only on the default bus), or both; State ENABLED by default.
  Tags apply when the rule is created.  Up to 300 rules per bus (AWS's default quota).
- DeleteRule refuses while the rule has targets, unless ``Force``; deleting a rule that
  is not there succeeds.
- TestEventPattern needs an event with id, account, source, time, region, resources and
  detail-type.
"""

from __future__ import annotations

import json
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.events import names
from cargobay.services.events.base import RULES_PER_BUS, EventsBase
from cargobay.services.events.errors import LimitExceededException, ValidationException
from cargobay.services.events.names import DEFAULT_BUS
from cargobay.services.events.schedule import ScheduleError
from cargobay.services.events.schedule import parse as parse_schedule
from cargobay.services.events.tags import check_tags

Doc = dict[str, Any]

MAX_PAGE = 100
_LISTED = ("Name", "Arn", "EventPattern", "State", "Description", "ScheduleExpression",
           "RoleArn", "ManagedBy", "EventBusName")
_DESCRIBED = (*_LISTED, "CreatedBy")
_TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def enabled(rule: Doc) -> bool:
    return bool(rule.get("State", "ENABLED") != "DISABLED")


class RuleOps(EventsBase):
    def put_rule(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        self.require_bus(bus)
        name: str = req["Name"]
        names.check_name(name, "name")
        pattern = req.get("EventPattern")
        schedule = req.get("ScheduleExpression")
        if not pattern and not schedule:
            raise ValidationException(
                "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )
        if schedule:
            if bus.name != DEFAULT_BUS:
                raise ValidationException(
                    "ScheduleExpression is supported only on the default event bus."
                )
            try:
                parse_schedule(schedule)
            except ScheduleError as e:
                raise ValidationException(str(e)) from None
        if pattern:
            self.matcher(pattern)  # InvalidEventPatternException if it is not a pattern
        key = bus.rule_key(name)
        old = self.store.get(names.RULES, key)
        if old is None and self.store.count(names.RULES, bus.rules_prefix) >= RULES_PER_BUS:
            raise LimitExceededException()
        tags = check_tags(req.get("Tags") or []) if old is None else []
        now = self.clock.now()
        state = req.get("State") or "ENABLED"
        doc: Doc = {
            "Name": name,
            "Arn": bus.rule_arn(name),
            "State": state,
            "EventBusName": bus.name,
            "CreatedBy": ctx.account_id,
            "_created": old["_created"] if old else now,
        }
        for k in ("EventPattern", "ScheduleExpression", "Description", "RoleArn"):
            if req.get(k) is not None:
                doc[k] = req[k]
        if schedule:
            same = old is not None and old.get("ScheduleExpression") == schedule and enabled(
                old) and state != "DISABLED"
            doc["_anchor"] = old.get("_anchor", now) if same and old else now
            if same and old and "_lastFired" in old:
                doc["_lastFired"] = old["_lastFired"]
        with self.store.batch():
            self.store.put(names.RULES, key, doc)
            if tags:
                self.store.put(names.TAGS, doc["Arn"], {"Tags": tags})
        self.rules_changed(bus)
        self.scheduler.refresh(bus, name)
        return {"RuleArn": doc["Arn"]}

    def describe_rule(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        doc = self.require_rule(bus, req["Name"])
        return {k: doc[k] for k in _DESCRIBED if k in doc}

    def list_rules(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        self.require_bus(bus)
        prefix = bus.rules_prefix
        after = names.decode_token(req.get("NextToken"), prefix)
        page, token = names.take_page(
            ((key, {k: doc[k] for k in _LISTED if k in doc})
             for key, doc in self.store.scan(
                 names.RULES, prefix + (req.get("NamePrefix") or ""), after)),
            int(req.get("Limit") or MAX_PAGE),
        )
        out: Doc = {"Rules": page}
        if token:
            out["NextToken"] = token
        return out

    def enable_rule(self, ctx: RequestContext, req: Doc) -> Doc:
        self._set_state(ctx, req, "ENABLED")
        return {}

    def disable_rule(self, ctx: RequestContext, req: Doc) -> Doc:
        self._set_state(ctx, req, "DISABLED")
        return {}

    def _set_state(self, ctx: RequestContext, req: Doc, state: str) -> None:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        doc = self.require_rule(bus, req["Name"])
        if doc["State"] == state or (state == "ENABLED" and enabled(doc)):
            return
        doc["State"] = state
        if state == "ENABLED" and doc.get("ScheduleExpression"):
            doc["_anchor"] = self.clock.now()  # a rate counts from when it is enabled
            doc.pop("_lastFired", None)
        self.store.put(names.RULES, bus.rule_key(doc["Name"]), doc)
        self.rules_changed(bus)
        self.scheduler.refresh(bus, doc["Name"])

    def delete_rule(self, ctx: RequestContext, req: Doc) -> Doc:
        bus = names.bus_ref(ctx, req.get("EventBusName"))
        self.require_bus(bus)
        name: str = req["Name"]
        doc = self.store.get(names.RULES, bus.rule_key(name))
        if doc is None:
            return {}
        targets = list(self.store.scan(names.TARGETS, bus.targets_prefix(name)))
        if targets and not req.get("Force"):
            raise ValidationException("Rule can't be deleted since it has targets.")
        with self.store.batch():
            for key, _ in targets:
                self.store.delete(names.TARGETS, key)
            self.store.delete(names.TAGS, doc["Arn"])
            self.store.delete(names.RULES, bus.rule_key(name))
        self.rules_changed(bus)
        self.scheduler.refresh(bus, name)
        return {}

    def test_event_pattern(self, ctx: RequestContext, req: Doc) -> Doc:
        matcher = self.matcher(req["EventPattern"])
        try:
            event = json.loads(req["Event"])
        except ValueError:
            raise ValidationException("Parameter Event is not valid.") from None
        if not isinstance(event, dict) or any(f not in event for f in _TEST_EVENT_FIELDS):
            raise ValidationException("Parameter Event is not valid.")
        return {"Result": matcher.matches(event)}
