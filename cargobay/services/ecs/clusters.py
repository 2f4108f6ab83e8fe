"""CreateCluster, DescribeClusters, ListClusters, UpdateCluster, UpdateClusterSettings,
PutClusterCapacityProviders and DeleteCluster."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import capacity_provider_store as cps
from cargobay.services.ecs import cluster_settings as rules
from cargobay.services.ecs import cluster_stats
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs.account_setting_store import effective_value
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.errors import (
    ClusterContainsContainerInstancesException,
    ClusterContainsServicesException,
    ClusterContainsTasksException,
    ClusterNotFoundException,
    InvalidParameterException,
)
from cargobay.services.ecs.pagination import decode_token, page_size, take_page
from cargobay.services.ecs.tag_store import check_tags, drop_tags, get_tags, set_tags

#: DescribeClusters: "A list of up to 100 cluster names or full cluster ARN entries."
MAX_DESCRIBE = 100


class ClusterOps(EcsBase):
    # -- helpers ----------------------------------------------------------------
    def _active_cluster(self, ctx: RequestContext, ref: str | None) -> dict[str, Any]:
        return clusters.active_cluster(self.store, ctx, ref)

    def _cluster_view(self, doc: dict[str, Any], inc: clusters.Include) -> dict[str, Any]:
        tags = get_tags(self.store, doc["clusterArn"]) if inc.tags else []
        return clusters.view(doc, tags, inc)

    def _save(self, ctx: RequestContext, doc: dict[str, Any]) -> None:
        self.store.put(clusters.TABLE, clusters.key(ctx, doc["clusterName"]), doc)

    # -- operations -------------------------------------------------------------
    def create_cluster(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name = rules.check_cluster_name(req.get("clusterName", "default"))
        tags = check_tags(req.get("tags") or [])
        settings = rules.cluster_settings(req.get("settings") or [])
        configuration = rules.cluster_configuration(req.get("configuration") or {})
        providers = rules.capacity_providers(self.store, ctx, req.get("capacityProviders") or [])
        strategy = rules.capacity_provider_strategy(
            req.get("defaultCapacityProviderStrategy") or [], providers
        )
        sc = req.get("serviceConnectDefaults")
        connect = rules.service_connect_defaults(ctx, sc["namespace"]) if sc else None

        existing = self.store.get(clusters.TABLE, clusters.key(ctx, name))
        if existing is not None and existing["status"] == clusters.ACTIVE:
            # CreateCluster is idempotent: the cluster as it is, unchanged; but a request
            # that asks for other capacity providers is inconsistent with the first one
            if ("capacityProviders" in req and providers != existing["capacityProviders"]) or (
                "defaultCapacityProviderStrategy" in req
                and strategy != existing["defaultCapacityProviderStrategy"]
            ):
                raise InvalidParameterException(rules.INCONSISTENT)
            return {"cluster": self._cluster_view(existing, clusters.WRITE_VIEW)}

        if not any(s["name"] == "containerInsights" for s in settings):
            default = effective_value(self.store, ctx, "containerInsights")
            settings.append({"name": "containerInsights", "value": default})
        doc = clusters.new_cluster(ctx, name)
        doc["settings"] = settings
        doc["capacityProviders"] = providers
        doc["defaultCapacityProviderStrategy"] = strategy
        doc["createdAt"] = self.clock.now()
        if configuration:
            doc["configuration"] = configuration
        if connect is not None:
            doc["serviceConnectDefaults"] = connect
        with self.store.batch():
            self._save(ctx, doc)
            set_tags(self.store, doc["clusterArn"], tags)
        return {"cluster": self._cluster_view(doc, clusters.WRITE_VIEW)}

    def describe_clusters(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        refs: list[str] = req.get("clusters") or ["default"]
        if len(refs) > MAX_DESCRIBE:
            raise InvalidParameterException(
                f"The clusters parameter can contain at most {MAX_DESCRIBE} clusters."
            )
        inc = clusters.Include.of(req.get("include") or [])
        found: list[dict[str, Any]] = []
        failures: list[dict[str, str]] = []
        for text in refs:
            ref = clusters.parse_ref(ctx, text)
            doc = clusters.find(self.store, ctx, ref)
            if doc is None:
                failures.append({"arn": ref.arn, "reason": "MISSING"})
            else:
                found.append(self._cluster_view(doc, inc))
        return {"clusters": found, "failures": failures}

    def list_clusters(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        size = page_size(req.get("maxResults"))
        prefix = clusters.key(ctx, "")
        after = decode_token(req.get("nextToken"))
        if after is not None and not after.startswith(prefix):
            raise InvalidParameterException("Invalid nextToken.")
        items = (
            (k, doc["clusterArn"])
            for k, doc in self.store.scan(clusters.TABLE, prefix, after)
            if doc["status"] == clusters.ACTIVE
        )
        page, token = take_page(items, size)
        out: dict[str, Any] = {"clusterArns": page}
        if token is not None:
            out["nextToken"] = token
        return out

    def update_cluster(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self._active_cluster(ctx, req["cluster"])
        if "settings" in req:
            doc["settings"] = rules.merge_settings(
                doc["settings"], rules.cluster_settings(req["settings"])
            )
        if "configuration" in req:
            doc["configuration"] = rules.merge_configuration(
                doc.get("configuration"), rules.cluster_configuration(req["configuration"])
            )
        if "serviceConnectDefaults" in req:
            namespace = req["serviceConnectDefaults"]["namespace"]
            connect = rules.service_connect_defaults(ctx, namespace)
            if connect is None:
                doc.pop("serviceConnectDefaults", None)
            else:
                doc["serviceConnectDefaults"] = connect
        self._save(ctx, doc)
        return {"cluster": self._cluster_view(doc, clusters.WRITE_VIEW)}

    def update_cluster_settings(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = self._active_cluster(ctx, req["cluster"])
        doc["settings"] = rules.merge_settings(
            doc["settings"], rules.cluster_settings(req["settings"])
        )
        self._save(ctx, doc)
        return {"cluster": self._cluster_view(doc, clusters.WRITE_VIEW)}

    def put_cluster_capacity_providers(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self._active_cluster(ctx, req["cluster"])
        providers = rules.capacity_providers(self.store, ctx, req["capacityProviders"])
        strategy = rules.capacity_provider_strategy(
            req["defaultCapacityProviderStrategy"], providers
        )
        # "You can only disassociate an existing capacity provider from a cluster if it's
        # not being used by any existing tasks."
        removed = set(doc.get("capacityProviders") or []) - set(providers)
        if cps.in_use_in_cluster(self.store, clusters.key(ctx, doc["clusterName"]), removed):
            raise cps.ResourceInUseException(cps.IN_USE)
        doc["capacityProviders"] = providers
        doc["defaultCapacityProviderStrategy"] = strategy
        self._save(ctx, doc)
        return {"cluster": self._cluster_view(doc, clusters.WRITE_VIEW)}

    def delete_cluster(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        doc = clusters.find(self.store, ctx, clusters.parse_ref(ctx, req["cluster"]))
        if doc is None:
            raise ClusterNotFoundException()
        if doc["status"] == clusters.INACTIVE:
            # deleting a deleted cluster answers with it, as it is
            return {"cluster": self._cluster_view(doc, clusters.WRITE_VIEW)}
        if cluster_stats.services_held(doc):
            raise ClusterContainsServicesException(
                "The Cluster cannot be deleted while Services are active."
            )
        if cluster_stats.instances_held(doc):
            raise ClusterContainsContainerInstancesException(
                "The Cluster cannot be deleted while Container Instances are active or "
                "draining."
            )
        if cluster_stats.tasks_held(doc):
            raise ClusterContainsTasksException(
                "The Cluster cannot be deleted while Tasks are active."
            )
        doc["status"] = clusters.INACTIVE
        doc["deletedAt"] = self.clock.now()
        with self.store.batch():
            self._save(ctx, doc)
            # "When a resource is deleted, the tags that are associated with that
            # resource are deleted as well." (TagResource)
            drop_tags(self.store, doc["clusterArn"])
        return {"cluster": self._cluster_view(doc, clusters.WRITE_VIEW)}
