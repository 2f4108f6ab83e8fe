"""Alarm history (DescribeAlarmHistory): one row per item in ``cloudwatch.history``,
key ``<account>/<region>/<timestamp ms, 15 digits>/<sequence>``, kept 30 days."""

from __future__ import annotations

import itertools
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.cloudwatch import paging
from cargobay.services.cloudwatch.base import CloudWatchBase, scope
from cargobay.services.cloudwatch.errors import InvalidNextToken
from cargobay.store import Store

HISTORY = "cloudwatch.history"
RETENTION = 30 * 86400.0
_seq = itertools.count()


def add_item(
    store: Store, where: str, name: str, ts: float, kind: str, summary: str,
    data: dict[str, Any],
) -> None:
    key = f"{where}/{int(ts * 1000):015d}/{next(_seq):012d}"
    store.put(HISTORY, key, {
        "AlarmName": name, "AlarmType": "MetricAlarm", "Timestamp": ts,
        "HistoryItemType": kind, "HistorySummary": summary,
        "HistoryData": orjson.dumps(data).decode(),
    })


def prune(store: Store, now: float) -> int:
    cutoff = f"{int((now - RETENTION) * 1000):015d}"
    old = [k for k, _ in store.scan(HISTORY) if k.rsplit("/", 2)[1] < cutoff]
    with store.batch():
        for k in old:
            store.delete(HISTORY, k)
    return len(old)


class HistoryOps(CloudWatchBase):
    def describe_alarm_history(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        types = req.get("AlarmTypes") or ["MetricAlarm"]
        name, kind = req.get("AlarmName"), req.get("HistoryItemType")
        start, end = req.get("StartDate"), req.get("EndDate")
        items: list[dict[str, Any]] = []
        for _, doc in self.store.scan(HISTORY, scope(ctx) + "/"):
            if name is not None and doc["AlarmName"] != name:
                continue
            if kind is not None and doc["HistoryItemType"] != kind:
                continue
            if doc["AlarmType"] not in types:
                continue
            if (start is not None and doc["Timestamp"] < start) or (
                    end is not None and doc["Timestamp"] > end):
                continue
            items.append(doc)
        if req.get("ScanBy", "TimestampDescending") == "TimestampDescending":
            items.reverse()
        offset = paging.decode(req.get("NextToken")) or 0
        if not isinstance(offset, int) or offset < 0:
            raise InvalidNextToken()
        limit = req.get("MaxRecords") or 100
        out: dict[str, Any] = {"AlarmHistoryItems": items[offset:offset + limit]}
        if offset + limit < len(items):
            out["NextToken"] = paging.encode(offset + limit)
        return out
