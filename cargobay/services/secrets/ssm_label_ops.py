"""Parameter Store: version labels and tags.

Labels (Working with parameter labels): at most 10 per version; a label belongs to one
version of a parameter at a time, so labelling moves it; a label that breaks the naming
rules is not attached and comes back in ``InvalidLabels``. Tags: only the ``Parameter``
resource type is served here; at most 50 tags per parameter.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.secrets.parameter_names import ParamRef, label_ok
from cargobay.services.secrets.ssm_base import SsmBase
from cargobay.services.secrets.ssm_errors import (
    InvalidResourceId,
    InvalidResourceType,
    ParameterVersionLabelLimitExceeded,
    TooManyTagsError,
)

Doc = dict[str, Any]

MAX_LABELS = 10
MAX_TAGS = 50


class LabelTagOps(SsmBase):
    def _labelled(self, ctx: RequestContext, req: dict[str, Any]) -> tuple[ParamRef, Doc, Doc]:
        ref = self.ref(ctx, req["Name"], selectors=False)
        doc = self.found(ctx, ref)
        number = req.get("ParameterVersion")
        at = ParamRef(ref.name, ref.account, ref.region,
                      version=int(number) if number is not None else None)
        return ref, doc, self.version(doc, at)

    def label_parameter_version(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ref, doc, entry = self._labelled(ctx, req)
        labels = list(dict.fromkeys(req["Labels"]))
        good = [label for label in labels if label_ok(label)]
        invalid = [label for label in labels if not label_ok(label)]
        have: list[str] = entry.setdefault("labels", [])
        if len(set(have) | set(good)) > MAX_LABELS:
            raise ParameterVersionLabelLimitExceeded()
        for other in doc["history"]:
            if other is not entry:
                other["labels"] = [x for x in other.get("labels", []) if x not in good]
        have.extend(label for label in good if label not in have)
        self.params.put(ctx.account_id, ctx.region, ref.name, doc)
        return {"InvalidLabels": invalid, "ParameterVersion": entry["version"]}

    def unlabel_parameter_version(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        ref, doc, entry = self._labelled(ctx, req)
        have: list[str] = entry.setdefault("labels", [])
        removed = [label for label in dict.fromkeys(req["Labels"]) if label in have]
        invalid = [label for label in dict.fromkeys(req["Labels"]) if label not in have]
        entry["labels"] = [x for x in have if x not in removed]
        if removed:
            self.params.put(ctx.account_id, ctx.region, ref.name, doc)
        return {"RemovedLabels": removed, "InvalidLabels": invalid}

    # -- tags ----------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, req: dict[str, Any]) -> tuple[ParamRef, Doc]:
        if req["ResourceType"] != "Parameter":
            raise InvalidResourceType(
                f"cargobay serves tags of Parameter resources only, not {req['ResourceType']}."
            )
        try:
            ref = self.ref(ctx, req["ResourceId"], selectors=False)
            return ref, self.found(ctx, ref)
        except AwsError:
            raise InvalidResourceId("") from None

    def add_tags_to_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ref, doc = self._tagged(ctx, req)
        tags = {t["Key"]: t["Value"] for t in doc.get("tags", [])}
        for t in req["Tags"]:
            tags[str(t["Key"])] = str(t.get("Value", ""))
        if len(tags) > MAX_TAGS:
            raise TooManyTagsError()
        doc["tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.params.put(ctx.account_id, ctx.region, ref.name, doc)
        return {}

    def remove_tags_from_resource(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        ref, doc = self._tagged(ctx, req)
        drop = set(req["TagKeys"])
        doc["tags"] = [t for t in doc.get("tags", []) if t["Key"] not in drop]
        self.params.put(ctx.account_id, ctx.region, ref.name, doc)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        _, doc = self._tagged(ctx, req)
        return {"TagList": list(doc.get("tags", []))}
