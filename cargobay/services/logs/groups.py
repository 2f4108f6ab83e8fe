"""Log groups: CreateLogGroup, DescribeLogGroups, DeleteLogGroup and retention policies."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services import page_tokens
from cargobay.services.logs import names
from cargobay.services.logs.base import LogsBase
from cargobay.services.logs.errors import (
    InvalidParameterException,
    ResourceAlreadyExistsException,
)
from cargobay.services.logs.names import GroupRef
from cargobay.services.logs.tags import check_tags

Doc = dict[str, Any]

#: the values PutRetentionPolicy accepts (CloudWatch Logs API Reference, retentionInDays)
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
    2557, 2922, 3288, 3653,
)
DEFAULT_LIMIT = 50


encode_token = page_tokens.encode


def decode_token(token: str | None) -> str | None:
    return page_tokens.decode(
        token, lambda: InvalidParameterException("The specified nextToken is invalid."))


class GroupOps(LogsBase):
    def create_log_group(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"])
        tags = check_tags(req.get("tags") or {})
        if self.store.get(names.GROUPS, ref.key) is not None:
            raise ResourceAlreadyExistsException("The specified log group already exists")
        doc: Doc = {
            "logGroupName": ref.name,
            "creationTime": self.now_ms(),
            "logGroupClass": req.get("logGroupClass") or "STANDARD",
            "deletionProtectionEnabled": bool(req.get("deletionProtectionEnabled", False)),
        }
        if req.get("kmsKeyId"):
            doc["kmsKeyId"] = req["kmsKeyId"]
        with self.store.batch():
            self.store.put(names.GROUPS, ref.key, doc)
            if tags:
                self.store.put(names.TAGS, ref.key, {"tags": tags})
        return {}

    def describe_log_groups(self, ctx: RequestContext, req: Doc) -> Doc:
        prefix, pattern = req.get("logGroupNamePrefix"), req.get("logGroupNamePattern")
        if prefix is not None and pattern is not None:
            raise InvalidParameterException(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters."
            )
        wanted = set(req.get("logGroupIdentifiers") or [])
        if wanted and (prefix is not None or pattern is not None):
            raise InvalidParameterException(
                "logGroupIdentifiers cannot be used with logGroupNamePrefix or "
                "logGroupNamePattern."
            )
        limit = int(req.get("limit") or DEFAULT_LIMIT)
        scope = f"{ctx.account_id}/{ctx.region}/"
        after = decode_token(req.get("nextToken"))
        out: list[Doc] = []
        more = None
        for key, doc in self.store.scan(names.GROUPS, scope + (prefix or ""), after):
            ref = GroupRef(ctx.account_id, ctx.region, doc["logGroupName"])
            if pattern and pattern.lower() not in ref.name.lower():
                continue
            if wanted and ref.name not in wanted and ref.bare_arn not in wanted:
                continue
            if req.get("logGroupClass") and doc.get("logGroupClass") != req["logGroupClass"]:
                continue
            if len(out) == limit:
                more = encode_token(after or "")
                break
            out.append(self.group_view(ref, doc))
            after = key
        result: Doc = {"logGroups": out}
        if more is not None:
            result["nextToken"] = more
        return result

    def group_view(self, ref: GroupRef, doc: Doc) -> Doc:
        stored = sum(
            int(s.get("storedBytes", 0))
            for _, s in self.store.scan(names.STREAMS, ref.streams_prefix)
        )
        view = {k: v for k, v in doc.items() if not k.startswith("_")}
        view.update(
            arn=ref.arn, logGroupArn=ref.bare_arn, storedBytes=stored, metricFilterCount=0
        )
        return view

    def delete_log_group(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"])
        self.require_group(ref)
        with self.store.batch():
            for table in (names.EVENTS, names.STREAMS):
                keys = [k for k, _ in self.store.scan(table, ref.streams_prefix)]
                for k in keys:
                    self.store.delete(table, k)
            self.store.delete(names.TAGS, ref.key)
            self.store.delete(names.GROUPS, ref.key)
        return {}

    def put_retention_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        days = int(req["retentionInDays"])
        if days not in RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in RETENTION_DAYS)
            raise InvalidParameterException(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                f"satisfy constraint: Member must satisfy enum value set: [{allowed}]"
            )
        ref = self.group_ref(ctx, req["logGroupName"])
        doc = self.require_group(ref)
        doc["retentionInDays"] = days
        self.store.put(names.GROUPS, ref.key, doc)
        return {}

    def delete_retention_policy(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = self.group_ref(ctx, req["logGroupName"])
        doc = self.require_group(ref)
        doc.pop("retentionInDays", None)
        self.store.put(names.GROUPS, ref.key, doc)
        return {}
