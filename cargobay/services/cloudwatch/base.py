"""What every CloudWatch mixin uses: the app, the store, the clock, the metric index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch.series import MetricIndex
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App


def scope(ctx: RequestContext) -> str:
    return f"{ctx.account_id}/{ctx.region}"


class CloudWatchBase:
    app: App
    store: Store
    clock: Clock
    index: MetricIndex
