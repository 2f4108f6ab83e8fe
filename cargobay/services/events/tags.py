"""TagResource, UntagResource, ListTagsForResource for rules and event buses.

Tags are kept by ARN (table ``events.tags``); up to 50 per resource, keys unique, keys
starting ``aws:`` are reserved.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.events import names
from cargobay.services.events.base import EventsBase
from cargobay.services.events.errors import ResourceNotFoundException, ValidationException

Doc = dict[str, Any]
MAX_TAGS = 50


def check_tags(tags: list[Doc]) -> list[Doc]:
    seen: dict[str, str] = {}
    for t in tags:
        if t["Key"].startswith("aws:"):
            raise ValidationException("Tag keys starting with 'aws:' are reserved.")
        seen[t["Key"]] = t["Value"]
    if len(seen) > MAX_TAGS:
        raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
    return [{"Key": k, "Value": v} for k, v in seen.items()]


class TagOps(EventsBase):
    def _tagged(self, ctx: RequestContext, arn: str) -> None:
        """The resource must exist: a rule or an event bus of this account and Region."""
        parsed = names.parse_arn(arn)
        if parsed is not None and parsed.service == "events":
            kind, _, rest = parsed.resource.partition("/")
            scope = names.BusRef(parsed.account, parsed.region, names.DEFAULT_BUS)
            if kind == "event-bus" and rest:
                if self.bus_doc(names.BusRef(parsed.account, parsed.region, rest)):
                    return
            elif kind == "rule" and rest:
                bus_name, _, rule = rest.rpartition("/")
                bus = names.BusRef(scope.account, scope.region, bus_name or names.DEFAULT_BUS)
                if self.store.get(names.RULES, bus.rule_key(rule)) is not None:
                    return
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")

    def tag_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        arn = req["ResourceARN"]
        self._tagged(ctx, arn)
        current = {t["Key"]: t["Value"] for t in self._tags(arn)}
        for t in check_tags(req["Tags"]):
            current[t["Key"]] = t["Value"]
        if len(current) > MAX_TAGS:
            raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
        self.store.put(names.TAGS, arn, {"Tags": [{"Key": k, "Value": v}
                                                   for k, v in current.items()]})
        return {}

    def untag_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        arn = req["ResourceARN"]
        self._tagged(ctx, arn)
        drop = set(req["TagKeys"])
        kept = [t for t in self._tags(arn) if t["Key"] not in drop]
        self.store.put(names.TAGS, arn, {"Tags": kept})
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: Doc) -> Doc:
        arn = req["ResourceARN"]
        self._tagged(ctx, arn)
        return {"Tags": self._tags(arn)}

    def _tags(self, arn: str) -> list[Doc]:
        doc = self.store.get(names.TAGS, arn)
        return list(doc["Tags"]) if doc else []
