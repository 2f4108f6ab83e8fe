"""RegisterContainerInstance, DeregisterContainerInstance, DescribeContainerInstances,
ListContainerInstances, UpdateContainerInstancesState; the agent liveness loop.

- Registration answers with a new instance (long ARN, 32-hex id), or, given the
  ``containerInstanceArn`` of an instance still registered (or the ``instanceId`` of the
  identity document of one), the same instance with its tasks: resources, versionInfo
  and the agent's attributes are replaced, custom attributes (PutAttributes) kept.
- Deregistration is refused while tasks are not STOPPED, unless ``force``: then they are
  STOPPED at once.  The instance becomes INACTIVE (describable for an hour).
- UpdateContainerInstancesState: ACTIVE or DRAINING; a DRAINING instance gets no new
  tasks (standalone tasks already there keep running, as in ECS).
- Liveness (docs/agent-protocol.md §4): liveness.py.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import capacity_launch, placement, placement_index, tag_store
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs.attributes import AttributeOps, check_attribute
from cargobay.services.ecs.errors import ClientException, InvalidParameterException
from cargobay.services.ecs.events_out import container_instance_state_change
from cargobay.services.ecs.liveness import LivenessOps, purgeable
from cargobay.services.ecs.pagination import decode_token, page_size, take_page
from cargobay.services.ecs.query_eval import evaluate
from cargobay.services.ecs.query_language import QueryError, parse
from cargobay.services.ecs.task_lifecycle import USER_INITIATED

Doc = dict[str, Any]

MAX_DESCRIBE = 100
MAX_UPDATE = 10
NOT_FOUND = "The referenced container instance was not found."
_INSTANCE_ID = re.compile(r"^i-[0-9a-zA-Z]{1,64}$")


def _identity(text: str | None) -> Doc:
    if not text:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        raise InvalidParameterException(
            "The instanceIdentityDocument is not a valid JSON document."
        ) from None
    if not isinstance(doc, dict):
        raise InvalidParameterException("The instanceIdentityDocument must be a JSON object.")
    return doc


def _with_identity(attrs: list[Doc], identity: Doc) -> list[Doc]:
    """The attributes ECS derives from the identity document, where the agent gave none."""
    names = {a["name"] for a in attrs}
    derived = {
        "ecs.instance-type": identity.get("instanceType"),
        "ecs.availability-zone": identity.get("availabilityZone"),
        "ecs.ami-id": identity.get("imageId"),
    }
    out = list(attrs)
    for name, value in derived.items():
        if isinstance(value, str) and value and name not in names:
            out.append({"name": name, "value": value})
    return out


class InstanceOps(LivenessOps, AttributeOps):
    # -- RegisterContainerInstance ----------------------------------------------------

    def register_container_instance(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        name = cluster["clusterName"]
        resources = placement.registered(req.get("totalResources") or [])
        identity = _identity(req.get("instanceIdentityDocument"))
        attrs: list[Doc] = []
        for a in req.get("attributes") or []:
            check_attribute(a)
            attrs = [x for x in attrs if x["name"] != a["name"]]
            attrs.append({"name": a["name"], **({"value": a["value"]} if "value" in a else {})})
        attrs = _with_identity(attrs, identity)
        tags = tag_store.check_tags(req.get("tags") or [])
        ec2_id = identity.get("instanceId")
        if not (isinstance(ec2_id, str) and _INSTANCE_ID.match(ec2_id)):
            ec2_id = None
        now = self.clock.now()

        existing = self._existing(ctx, name, req.get("containerInstanceArn"), ec2_id)
        if existing is not None:
            key, doc = existing
            custom = set(doc.get("_custom", []))
            kept = [a for a in doc["attributes"] if a["name"] in custom]
            given = {a["name"] for a in attrs}
            doc.update(
                registeredResources=resources,
                versionInfo=req.get("versionInfo") or doc.get("versionInfo") or {},
                attributes=attrs + [a for a in kept if a["name"] not in given],
                agentConnected=True,
                _lastSeen=now,
            )
            if ec2_id:
                doc["ec2InstanceId"] = ec2_id
            placement.refresh(doc)
            doc["version"] = int(doc.get("version", 0)) + 1
            doc["_version"] = int(doc.get("_version", 0)) + 1
            with self.store.batch():
                self.store.put(instances.TABLE, key, doc)
                placement_index.observe(self.store, key, doc)
                if tags:
                    tag_store.merge_tags(self.store, doc["containerInstanceArn"], tags)
            self.app.agent_channel.notify(key)
        else:
            instance_id = instances.new_id()
            key = instances.key(ctx, name, instance_id)
            doc = {
                "containerInstanceArn": instances.instance_arn(ctx, name, instance_id),
                "ec2InstanceId": ec2_id or "i-" + secrets.token_hex(9)[:17],
                "version": 1,
                "versionInfo": req.get("versionInfo") or {},
                "registeredResources": resources,
                "status": instances.ACTIVE,
                "agentConnected": True,
                "runningTasksCount": 0,
                "pendingTasksCount": 0,
                "attributes": attrs,
                "registeredAt": now,
                "attachments": [],
                "_cluster": name,
                "_lastSeen": now,
                "_version": 1,
                "_tasks": {},
                "_custom": [],
            }
            provider = capacity_launch.provider_of_instance(self.store, ctx, cluster, ec2_id)
            if provider is not None:
                doc["capacityProviderName"] = provider
            placement.refresh(doc)
            with self.store.batch():
                self.store.put(instances.TABLE, key, doc)
                placement_index.observe(self.store, key, doc)
                tag_store.set_tags(self.store, doc["containerInstanceArn"], tags)
                clusters.adjust_counters(
                    self.store,
                    clusters.key(ctx, name),
                    {"registeredContainerInstancesCount": 1},
                )
        shown = tag_store.get_tags(self.store, doc["containerInstanceArn"])
        container_instance_state_change(self.app, doc)
        return {"containerInstance": instances.view(doc, tags=shown, health=False)}

    def _existing(
        self, ctx: RequestContext, cluster: str, arn: str | None, ec2_id: str | None
    ) -> tuple[str, Doc] | None:
        """The registered instance a registration renews, if any."""
        if arn:
            ref = instances.parse_ref(ctx, cluster, arn)
            if ref is None or not arn.startswith("arn:"):
                raise InvalidParameterException(
                    f"The containerInstanceArn {arn} is not a container instance of cluster "
                    f"{cluster}."
                )
            key = instances.key(ctx, cluster, ref.instance_id)
            doc = self.store.get(instances.TABLE, key)
            if doc is None:
                raise ClientException(f"The container instance {arn} is not registered.")
            if doc["status"] == instances.INACTIVE:
                raise ClientException(f"The container instance {arn} has been deregistered.")
            return key, doc
        if ec2_id:
            for key, doc in self.store.scan(instances.TABLE, instances.prefix(ctx, cluster)):
                if doc["ec2InstanceId"] == ec2_id and doc["status"] != instances.INACTIVE:
                    return key, doc
        return None

    # -- DeregisterContainerInstance --------------------------------------------------

    def deregister_container_instance(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        key, doc = self._instance(ctx, cluster, req["containerInstance"])
        tags = tag_store.get_tags(self.store, doc["containerInstanceArn"])
        if doc["status"] == instances.INACTIVE:
            return {"containerInstance": instances.view(doc, tags=tags, health=False)}
        held = list(doc.get("_tasks", {}))
        if held and not req.get("force"):
            raise InvalidParameterException(
                "The container instance has tasks that are not stopped. Stop them, or "
                "deregister with force to stop them."
            )
        now = self.clock.now()
        reason = f"Container instance {doc['containerInstanceArn']} was deregistered."
        with self.store.batch():
            for task_id in held:
                self._end_task(doc, key, task_id, USER_INITIATED, reason, now)
            doc.update(status=instances.INACTIVE, agentConnected=False, _deregisteredAt=now)
            doc["version"] = int(doc.get("version", 0)) + 1
            doc["_version"] = int(doc.get("_version", 0)) + 1
            self.store.put(instances.TABLE, key, doc)
            placement_index.observe(self.store, key, doc)
            clusters.adjust_counters(
                self.store, clusters.key(ctx, cluster["clusterName"]),
                {"registeredContainerInstancesCount": -1},
            )
        self.app.agent_channel.notify(key)
        container_instance_state_change(self.app, doc)
        return {"containerInstance": instances.view(doc, tags=tags, health=False)}

    def _instance(self, ctx: RequestContext, cluster: Doc, text: str) -> tuple[str, Doc]:
        ref = instances.parse_ref(ctx, cluster["clusterName"], text)
        if ref is None:
            raise InvalidParameterException(NOT_FOUND)
        key = instances.key(ctx, cluster["clusterName"], ref.instance_id)
        doc = self.store.get(instances.TABLE, key)
        if doc is None or purgeable(doc, self.clock.now()):
            raise InvalidParameterException(NOT_FOUND)
        return key, doc

    # -- DescribeContainerInstances / ListContainerInstances --------------------------

    def describe_container_instances(self, ctx: RequestContext, req: Doc) -> Doc:
        refs: list[str] = req["containerInstances"]
        if not refs:
            raise InvalidParameterException("ContainerInstances cannot be empty.")
        if len(refs) > MAX_DESCRIBE:
            raise InvalidParameterException(
                f"containerInstances can have at most {MAX_DESCRIBE} items."
            )
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        name = cluster["clusterName"]
        include = set(req.get("include") or [])
        now = self.clock.now()
        found: list[Doc] = []
        failures: list[Doc] = []
        for text in refs:
            ref = instances.parse_ref(ctx, name, text)
            doc = None if ref is None else self.store.get(
                instances.TABLE, instances.key(ctx, name, ref.instance_id)
            )
            if doc is None or purgeable(doc, now):
                failures.append({"arn": ref.arn if ref else text, "reason": "MISSING"})
                continue
            tags = (
                tag_store.get_tags(self.store, doc["containerInstanceArn"])
                if "TAGS" in include else None
            )
            found.append(
                instances.view(doc, tags=tags, health="CONTAINER_INSTANCE_HEALTH" in include)
            )
        return {"containerInstances": found, "failures": failures}

    def list_container_instances(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        size = page_size(req.get("maxResults"))
        prefix = instances.prefix(ctx, cluster["clusterName"])
        after = decode_token(req.get("nextToken"))
        if after is not None and not after.startswith(prefix):
            raise InvalidParameterException("Invalid nextToken.")
        expr = None
        if req.get("filter"):
            try:
                expr = parse(req["filter"])
            except QueryError as e:
                raise InvalidParameterException(f"Invalid filter: {e}.") from None
        status = req.get("status")

        def wanted(doc: Doc) -> bool:
            if doc["status"] == instances.INACTIVE or (status and doc["status"] != status):
                return False
            return expr is None or evaluate(expr, instances.facts(doc, placement.groups(doc)))

        items = (
            (k, doc["containerInstanceArn"])
            for k, doc in self.store.scan(instances.TABLE, prefix, after)
            if wanted(doc)
        )
        page, token = take_page(items, size)
        out: Doc = {"containerInstanceArns": page}
        if token is not None:
            out["nextToken"] = token
        return out

    # -- UpdateContainerInstancesState ------------------------------------------------

    def update_container_instances_state(self, ctx: RequestContext, req: Doc) -> Doc:
        refs: list[str] = req["containerInstances"]
        status = req["status"]
        if not refs:
            raise InvalidParameterException("ContainerInstances cannot be empty.")
        if len(refs) > MAX_UPDATE:
            raise InvalidParameterException(f"instanceIds can have at most {MAX_UPDATE} items.")
        if status not in (instances.ACTIVE, instances.DRAINING):
            raise InvalidParameterException(
                "Container instances can only be set to ACTIVE or DRAINING."
            )
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        name = cluster["clusterName"]
        now = self.clock.now()
        found: list[Doc] = []
        failures: list[Doc] = []
        changed: dict[str, Doc] = {}
        for text in refs:
            ref = instances.parse_ref(ctx, name, text)
            key = "" if ref is None else instances.key(ctx, name, ref.instance_id)
            doc = changed.get(key)
            if doc is None and ref is not None:
                doc = self.store.get(instances.TABLE, key)
            if doc is None or ref is None or purgeable(doc, now):
                failures.append({"arn": ref.arn if ref else text, "reason": "MISSING"})
                continue
            if doc["status"] not in (instances.ACTIVE, instances.DRAINING):
                failures.append({"arn": doc["containerInstanceArn"], "reason": doc["status"]})
                continue
            if doc["status"] != status:
                doc["status"] = status
                doc["version"] = int(doc.get("version", 0)) + 1
                changed[key] = doc
            found.append(doc)
        with self.store.batch():
            for key, doc in changed.items():
                self.store.put(instances.TABLE, key, doc)
                placement_index.observe(self.store, key, doc)
        for doc in changed.values():
            container_instance_state_change(self.app, doc)
        return {
            "containerInstances": [instances.view(d, tags=None, health=False) for d in found],
            "failures": failures,
        }
