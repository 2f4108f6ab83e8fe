"""CreateCapacityProvider, UpdateCapacityProvider, DeleteCapacityProvider and
DescribeCapacityProviders (Auto Scaling group providers; FARGATE and FARGATE_SPOT are
built in).

- Create: the name rules of capacity_provider_store; the group must exist, be used by
  no other provider, and with managedTerminationProtection ENABLED have
  NewInstancesProtectedFromScaleIn; managedScaling and managedDraining get ECS's
  defaults (managedDraining ENABLED, managedTerminationProtection DISABLED).
- Update: managedScaling members merge over the stored ones; the same protection rule.
- Delete: refused (ClientException) while a cluster has the provider associated or a
  service names it in its strategy; else the provider is gone (status INACTIVE in the
  answer) and its name can be used again.
- Describe: named providers (MISSING failures for unknown ones) or all of them, FARGATE
  and FARGATE_SPOT first, paged by maxResults (1–10) / nextToken; ``include: TAGS``.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import arns, service_store
from cargobay.services.ecs import capacity_provider_store as cps
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.cluster_settings import FARGATE_PROVIDERS
from cargobay.services.ecs.errors import ClientException, InvalidParameterException
from cargobay.services.ecs.pagination import decode_token, page_size, take_page
from cargobay.services.ecs.tag_store import check_tags, drop_tags, get_tags, set_tags

Doc = dict[str, Any]

#: DescribeCapacityProviders.maxResults: "between 1 and 10"
MAX_DESCRIBE_PAGE = 10


class CapacityProviderOps(EcsBase):
    def create_capacity_provider(self, ctx: RequestContext, req: Doc) -> Doc:
        if req.get("managedInstancesProvider") is not None or req.get("cluster"):
            raise InvalidParameterException(
                "cargobay serves Auto Scaling group capacity providers only (managed "
                "instances providers are not served)."
            )
        asg = req.get("autoScalingGroupProvider")
        if asg is None:
            raise InvalidParameterException(
                "An autoScalingGroupProvider must be specified for the capacity provider."
            )
        name = cps.check_name(req["name"])
        tags = check_tags(req.get("tags") or [])
        if self.store.get(cps.TABLE, cps.key(ctx, name)) is not None:
            raise ClientException(cps.EXISTS)
        group = cps.group_doc(self.store, ctx, asg["autoScalingGroupArn"])
        group_arn = group["AutoScalingGroupARN"]
        if cps.group_taken(self.store, ctx, group_arn):
            raise ClientException(cps.GROUP_IN_USE)
        provider = {
            "autoScalingGroupArn": group_arn,
            "managedScaling": cps.managed_scaling(asg.get("managedScaling")),
            "managedTerminationProtection": asg.get("managedTerminationProtection")
            or "DISABLED",
            "managedDraining": asg.get("managedDraining") or "ENABLED",
        }
        cps.check_protection(provider, group)
        doc: Doc = {
            "capacityProviderArn": cps.provider_arn(ctx, name),
            "name": name,
            "status": "ACTIVE",
            "type": "EC2_AUTOSCALING",
            "autoScalingGroupProvider": provider,
            "updateStatus": "CREATE_COMPLETE",
        }
        with self.store.batch():
            self.store.put(cps.TABLE, cps.key(ctx, name), doc)
            set_tags(self.store, doc["capacityProviderArn"], tags)
        return {"capacityProvider": cps.view(doc, tags)}

    def update_capacity_provider(self, ctx: RequestContext, req: Doc) -> Doc:
        doc = self._provider(ctx, req["name"])
        given = req.get("autoScalingGroupProvider")
        if given is None:
            raise InvalidParameterException(
                "An autoScalingGroupProvider must be specified for the capacity provider."
            )
        provider = dict(doc["autoScalingGroupProvider"])
        if "managedScaling" in given:
            provider["managedScaling"] = cps.managed_scaling(
                given["managedScaling"], provider["managedScaling"]
            )
        for member in ("managedTerminationProtection", "managedDraining"):
            if given.get(member):
                provider[member] = given[member]
        group = cps.group_doc(self.store, ctx, provider["autoScalingGroupArn"])
        cps.check_protection(provider, group)
        doc["autoScalingGroupProvider"] = provider
        doc["updateStatus"] = "UPDATE_COMPLETE"
        self.store.put(cps.TABLE, cps.key(ctx, doc["name"]), doc)
        return {"capacityProvider": cps.view(doc)}

    def delete_capacity_provider(self, ctx: RequestContext, req: Doc) -> Doc:
        ref = req["capacityProvider"]
        if cps.name_of(ref) in FARGATE_PROVIDERS:
            raise InvalidParameterException(
                "The FARGATE and FARGATE_SPOT capacity providers cannot be deleted."
            )
        doc = self._provider(ctx, ref)
        name = doc["name"]
        if self._provider_in_use(ctx, name):
            raise ClientException(cps.IN_USE)
        with self.store.batch():
            self.store.delete(cps.TABLE, cps.key(ctx, name))
            drop_tags(self.store, doc["capacityProviderArn"])
        doc["status"] = "INACTIVE"
        doc["updateStatus"] = "DELETE_COMPLETE"
        return {"capacityProvider": cps.view(doc)}

    def describe_capacity_providers(self, ctx: RequestContext, req: Doc) -> Doc:
        with_tags = "TAGS" in (req.get("include") or [])
        refs: list[str] | None = req.get("capacityProviders")
        found: list[Doc] = []
        failures: list[Doc] = []
        if refs:
            for ref in refs:
                name = cps.name_of(ref)
                doc = (
                    cps.fargate_view(ctx, name)
                    if cps.is_fargate(name)
                    else self.store.get(cps.TABLE, cps.key(ctx, name))
                )
                if doc is None:
                    arn = ref if ref.startswith("arn:") else cps.provider_arn(ctx, ref)
                    failures.append({"arn": arn, "reason": "MISSING"})
                else:
                    found.append(self._describe_view(doc, with_tags))
            return {"capacityProviders": found, "failures": failures}
        size = page_size(req.get("maxResults"), default=MAX_DESCRIBE_PAGE,
                         limit=MAX_DESCRIBE_PAGE)
        after = decode_token(req.get("nextToken"))
        # FARGATE providers sort before every stored key ("0" < any account id digit
        # is not guaranteed, so they carry keys of their own before the scope prefix)
        prefix = arns.scope_prefix(ctx)
        items: list[tuple[str, Doc]] = [
            (f"{prefix}\x00{i}", cps.fargate_view(ctx, n)) for i, n in enumerate(FARGATE_PROVIDERS)
        ]
        items += [(k, d) for k, d in self.store.scan(cps.TABLE, prefix)]
        if after is not None:
            if not after.startswith(prefix):
                raise InvalidParameterException("Invalid nextToken.")
            items = [(k, d) for k, d in items if k > after]
        page, token = take_page(
            ((k, self._describe_view(d, with_tags)) for k, d in items), size
        )
        out: Doc = {"capacityProviders": page, "failures": []}
        if token is not None:
            out["nextToken"] = token
        return out

    # -- helpers ---------------------------------------------------------------------

    def _describe_view(self, doc: Doc, with_tags: bool) -> Doc:
        if not with_tags:
            return cps.view(doc)
        return cps.view(doc, get_tags(self.store, doc["capacityProviderArn"]))

    def _provider(self, ctx: RequestContext, ref: str) -> Doc:
        doc = cps.find(self.store, ctx, ref)
        if doc is None:
            raise ClientException(cps.NOT_FOUND)
        return doc

    def _provider_in_use(self, ctx: RequestContext, name: str) -> bool:
        prefix = arns.scope_prefix(ctx)
        for _, cluster in self.store.scan(clusters.TABLE, prefix):
            if cluster["status"] == clusters.ACTIVE and name in (
                cluster.get("capacityProviders") or []
            ):
                return True
        for _, svc in self.store.scan(service_store.TABLE, prefix):
            if svc.get("status") == service_store.INACTIVE:
                continue
            strategy = svc.get("capacityProviderStrategy") or []
            if any(item.get("capacityProvider") == name for item in strategy):
                return True
        return False
