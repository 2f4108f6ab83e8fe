"""Scaling activities: what DescribeScalingActivities shows.

Texts follow AWS's examples (AWS CLI reference, describe-scaling-activities):
Description ``Setting desired count to 1.``, Cause ``monitor alarm <alarm> in state
ALARM triggered policy <policy>``, StatusMessage ``Successfully set desired count to 1.
Change successfully fulfilled by ecs.``.  Activities that did not scale (already at the
minimum, maximum or desired capacity) are kept with their NotScaledReasons and shown
only with IncludeNotScaledActivities.  Newest first.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.application_autoscaling import names
from cargobay.services.application_autoscaling.names import TargetRef
from cargobay.services.application_autoscaling.paging import page
from cargobay.store import Store

Doc = dict[str, Any]
#: activities kept per target (oldest dropped)
KEEP = 1000
_FAR = 10**13
_SEQ = itertools.count()


def record(store: Store, ref: TargetRef, now: float, *, description: str, cause: str,
           status: str, message: str, not_scaled: list[Doc] | None = None,
           details: str | None = None) -> Doc:
    doc: Doc = {
        "ActivityId": str(uuid.uuid4()),
        "ServiceNamespace": ref.namespace,
        "ResourceId": ref.resource_id,
        "ScalableDimension": ref.dimension,
        "Description": description,
        "Cause": cause,
        "StartTime": now,
        "EndTime": now,
        "StatusCode": status,
        "StatusMessage": message,
    }
    if details:
        doc["Details"] = details
    if not_scaled:
        doc["NotScaledReasons"] = not_scaled
    # newest first: inverted time, then inverted sequence for the same millisecond
    key = ref.child_key(f"{_FAR - int(now * 1000):014d}{_FAR - next(_SEQ):014d}-"
                        f"{doc['ActivityId']}")
    with store.batch():
        store.put(names.ACTIVITIES, key, doc)
        if store.count(names.ACTIVITIES, ref.child_prefix) > KEEP:
            extra = [k for k, _ in store.scan(names.ACTIVITIES, ref.child_prefix)][KEEP:]
            for k in extra:
                store.delete(names.ACTIVITIES, k)
    return doc


def forget(store: Store, ref: TargetRef) -> None:
    for k in [k for k, _ in store.scan(names.ACTIVITIES, ref.child_prefix)]:
        store.delete(names.ACTIVITIES, k)


class ActivityOps:
    store: Store

    def describe_scaling_activities(self, ctx: RequestContext, req: Doc) -> Doc:
        ns = req["ServiceNamespace"]
        rid = req.get("ResourceId")
        dim = req.get("ScalableDimension")
        with_not_scaled = bool(req.get("IncludeNotScaledActivities"))
        prefix = names.namespace_prefix(ctx, ns)
        if rid is not None and dim is not None:
            prefix = TargetRef(ctx.account_id, ctx.region, ns, rid, dim).child_prefix
        elif rid is not None:
            prefix += rid + "|"

        def keep(doc: Doc) -> bool:
            if dim is not None and doc["ScalableDimension"] != dim:
                return False
            return with_not_scaled or "NotScaledReasons" not in doc

        def view(doc: Doc) -> Doc:
            return doc

        # newest first across targets: order by the time part of the key
        rows = sorted((k.rsplit("|", 1)[1] + "|" + k, doc)
                      for k, doc in self.store.scan(names.ACTIVITIES, prefix))
        items, token = page(iter(rows), req, keep, view)
        out: Doc = {"ScalingActivities": items}
        if token:
            out["NextToken"] = token
        return out
