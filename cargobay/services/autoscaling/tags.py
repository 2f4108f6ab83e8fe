"""CreateOrUpdateTags, DeleteTags, DescribeTags: tags of Auto Scaling groups.

Tags live in the group document (``Tags``, as DescribeAutoScalingGroups shows them).
A group has at most 50 tags.  DescribeTags filters: ``auto-scaling-group``, ``key``,
``value``, ``propagate-at-launch``; tags come ordered by group, then key.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.autoscaling import names
from cargobay.services.autoscaling.base import Doc
from cargobay.services.autoscaling.errors import AsgValidationError, InvalidNextToken
from cargobay.services.autoscaling.groups import MAX_TAGS, GroupOps
from cargobay.services.autoscaling.launch_configs import page_size

_FILTERS = ("auto-scaling-group", "key", "value", "propagate-at-launch")


def _by_group(tags: list[Doc]) -> dict[str, list[Doc]]:
    out: dict[str, list[Doc]] = {}
    for t in tags:
        if (t.get("ResourceType") or "auto-scaling-group") != "auto-scaling-group":
            raise AsgValidationError(f"Invalid resource type {t.get('ResourceType')}.")
        if not t.get("ResourceId"):
            raise AsgValidationError("ResourceId is required for each tag.")
        out.setdefault(str(t["ResourceId"]), []).append(t)
    return out


class TagOps(GroupOps):
    def create_or_update_tags(self, ctx: RequestContext, req: dict[str, Any]
                              ) -> dict[str, Any]:
        changed = []
        for name, tags in _by_group(req["Tags"]).items():
            group = self.group(ctx, name)
            current = {t["Key"]: t for t in group.get("Tags", [])}
            for t in tags:
                current[t["Key"]] = {
                    "ResourceId": group["AutoScalingGroupName"],
                    "ResourceType": "auto-scaling-group", "Key": t["Key"],
                    "Value": t.get("Value") or "",
                    "PropagateAtLaunch": bool(t.get("PropagateAtLaunch")),
                }
            if len(current) > MAX_TAGS:
                raise AsgValidationError(f"The number of tags must not exceed {MAX_TAGS}.")
            group["Tags"] = sorted(current.values(), key=lambda t: str(t["Key"]))
            changed.append(group)
        with self.store.batch():
            for group in changed:
                self.save_group(group)
        return {}

    def delete_tags(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        changed = []
        for name, tags in _by_group(req["Tags"]).items():
            group = self.group(ctx, name)
            gone = {t["Key"] for t in tags}
            group["Tags"] = [t for t in group.get("Tags", []) if t["Key"] not in gone]
            changed.append(group)
        with self.store.batch():
            for group in changed:
                self.save_group(group)
        return {}

    def describe_tags(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        size = page_size(req)
        wanted: dict[str, set[str]] = {}
        for f in req.get("Filters") or []:
            if f.get("Name") not in _FILTERS:
                raise AsgValidationError(
                    f"Filter type {f.get('Name')} is not correct. Allowed Filter types are: "
                    + ", ".join(_FILTERS))
            wanted.setdefault(f["Name"], set()).update(f.get("Values") or [])
        rows: list[tuple[str, Doc]] = []
        for _, group in self.store.scan(names.GROUPS, names.ctx_scope(ctx)):
            for t in group.get("Tags", []):
                facts = {"auto-scaling-group": t["ResourceId"], "key": t["Key"],
                         "value": t["Value"],
                         "propagate-at-launch": str(t["PropagateAtLaunch"]).lower()}
                if all(facts[k] in v for k, v in wanted.items()):
                    rows.append((f"{t['ResourceId']}/{t['Key']}", t))
        rows.sort(key=lambda r: r[0])
        start = 0
        if req.get("NextToken"):
            try:
                marker = names.decode_token(req["NextToken"], "")
            except ValueError:
                raise InvalidNextToken("The token is invalid.") from None
            start = next((i + 1 for i, (k, _) in enumerate(rows) if k == marker), len(rows))
        page = rows[start:start + size]
        out: dict[str, Any] = {"Tags": [t for _, t in page]}
        if start + size < len(rows):
            out["NextToken"] = names.encode_token(page[-1][0])
        return out
