"""What every EventBridge mixin may use: the store, the clock, bus and rule lookups, the
compiled-pattern cache and the per-bus routing tables."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.services.events import names
from cargobay.services.events.errors import (
    InvalidEventPatternException,
    ResourceNotFoundException,
)
from cargobay.services.events.names import DEFAULT_BUS, BusRef
from cargobay.services.events.pattern import Matcher, RuleIndex, compile_pattern
from cargobay.services.events.pattern_check import PatternError
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App
    from cargobay.services.events.delivery import Deliveries
    from cargobay.services.events.scheduler import Scheduler

Doc = dict[str, Any]

#: AWS's default quota of rules per event bus (adjustable there; here through the
#: environment, e.g. for benchmarks with more rules)
RULES_PER_BUS = int(os.environ.get("CARGOBAY_EVENTS_RULES_PER_BUS", "300"))
TARGETS_PER_RULE = 5
BUSES_PER_ACCOUNT = 100
_PATTERN_CACHE = 8192


class Routes:
    """One bus's enabled event-pattern rules, compiled and indexed, with their targets."""

    def __init__(self, index: RuleIndex[str], rules: dict[str, Doc],
                 targets: dict[str, list[Doc]]) -> None:
        self.index = index
        self.rules = rules
        self.targets = targets


class EventsBase:
    app: App
    store: Store
    clock: Clock
    deliveries: Deliveries
    scheduler: Scheduler
    _routes: dict[str, Routes]
    _patterns: dict[str, Matcher]

    # -- patterns ---------------------------------------------------------------------

    def matcher(self, text: str) -> Matcher:
        """The compiled pattern (InvalidEventPatternException if it is not one); patterns
        are compiled once and shared by every rule with the same text."""
        m = self._patterns.get(text)
        if m is None:
            try:
                m = compile_pattern(text)
            except PatternError as e:
                raise InvalidEventPatternException(str(e)) from None
            if len(self._patterns) >= _PATTERN_CACHE:
                self._patterns.pop(next(iter(self._patterns)))
            self._patterns[text] = m
        return m

    # -- buses ------------------------------------------------------------------------

    def bus_doc(self, bus: BusRef) -> Doc | None:
        doc = self.store.get(names.BUSES, bus.key)
        if doc is None and bus.name == DEFAULT_BUS:
            now = self.clock.now()
            doc = {"Name": DEFAULT_BUS, "Arn": bus.arn, "CreationTime": now,
                   "LastModifiedTime": now}
            self.store.put(names.BUSES, bus.key, doc)
        return doc

    def require_bus(self, bus: BusRef) -> Doc:
        doc = self.bus_doc(bus)
        if doc is None:
            raise ResourceNotFoundException(f"Event bus {bus.name} does not exist.")
        return doc

    # -- rules ------------------------------------------------------------------------

    def require_rule(self, bus: BusRef, name: str) -> Doc:
        self.require_bus(bus)
        doc = self.store.get(names.RULES, bus.rule_key(name))
        if doc is None:
            raise ResourceNotFoundException(
                f"Rule {name} does not exist on EventBus {bus.name}."
            )
        return doc

    def rule_targets(self, bus: BusRef, rule: str) -> list[Doc]:
        return [doc for _, doc in self.store.scan(names.TARGETS, bus.targets_prefix(rule))]

    # -- routing ----------------------------------------------------------------------

    def routes(self, bus: BusRef) -> Routes:
        """The bus's routing table, built on first use after any change to its rules."""
        r = self._routes.get(bus.key)
        if r is None:
            rules: dict[str, Doc] = {}
            entries: list[tuple[str, Matcher]] = []
            for _, doc in self.store.scan(names.RULES, bus.rules_prefix):
                if doc["State"] == "DISABLED" or not doc.get("EventPattern"):
                    continue
                rules[doc["Name"]] = doc
                entries.append((doc["Name"], self.matcher(doc["EventPattern"])))
            targets: dict[str, list[Doc]] = {}
            for key, doc in self.store.scan(names.TARGETS, bus.rules_prefix):
                rule = key[len(bus.rules_prefix):].split("|", 1)[0]
                if rule in rules:
                    targets.setdefault(rule, []).append(doc)
            r = self._routes[bus.key] = Routes(RuleIndex(entries), rules, targets)
        return r

    def rules_changed(self, bus: BusRef) -> None:
        self._routes.pop(bus.key, None)
