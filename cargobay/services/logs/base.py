"""What every CloudWatch Logs mixin uses: the store, the clock, and group / stream lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.logs import names
from cargobay.services.logs.errors import GroupNotFound, InvalidParameterException, StreamNotFound
from cargobay.services.logs.names import GroupRef, StreamRef
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

DAY_MS = 86_400_000


class LogsBase:
    app: App
    store: Store
    clock: Clock

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def group_ref(self, ctx: RequestContext, name: str) -> GroupRef:
        return GroupRef(ctx.account_id, ctx.region, name)

    def group_of(self, ctx: RequestContext, req: Doc) -> GroupRef:
        """The group ``logGroupName`` or ``logGroupIdentifier`` (a name or an ARN) names;
        exactly one of them must be given."""
        name, ident = req.get("logGroupName"), req.get("logGroupIdentifier")
        if (name is None) == (ident is None):
            raise InvalidParameterException(
                "Should provide either logGroupName or logGroupIdentifier, not both."
                if name is not None
                else "Should provide either logGroupName or logGroupIdentifier."
            )
        if name is not None:
            return self.group_ref(ctx, str(name))
        ident = str(ident)
        if ident.startswith("arn:"):
            ref = names.group_from_arn(ident)
            if ref is None:
                raise InvalidParameterException(f"Invalid log group identifier: {ident}")
            return ref
        return self.group_ref(ctx, ident)

    def require_group(self, ref: GroupRef) -> Doc:
        doc = self.store.get(names.GROUPS, ref.key)
        if doc is None:
            raise GroupNotFound()
        return doc

    def require_stream(self, ref: StreamRef) -> Doc:
        self.require_group(ref.group)
        doc = self.store.get(names.STREAMS, ref.key)
        if doc is None:
            raise StreamNotFound()
        return doc

    def retention_cutoff(self, group: Doc) -> int:
        """Events with a timestamp before this (ms) are past the group's retention."""
        days = group.get("retentionInDays")
        return self.now_ms() - int(days) * DAY_MS if days else -1
