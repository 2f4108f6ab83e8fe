"""CreateService, UpdateService, DeleteService, DescribeServices, ListServices,
ListServicesByNamespace (the scheduler that keeps services running: scheduler.py).

ECS API Reference rules followed here:

- CreateService: a name unique in the cluster among ACTIVE and DRAINING services ("Up to
  255 letters (uppercase and lowercase), numbers, underscores, and hyphens"); the same
  request again (same clientToken) answers with the service, any other is
  InvalidParameterException "Creation of service was not idempotent."; a DRAINING one
  "Unable to Start a service that is still Draining.".  schedulingStrategy REPLICA
  (desiredCount required) or DAEMON (no desiredCount: one task per instance; no
  placement strategies; not on Fargate).  launchType or capacityProviderStrategy (not
  both; neither: the cluster's default strategy, else EC2); EC2 and FARGATE tasks run
  here (FARGATE: fargate_rules.check_service), the others are stored and their tasks
  refused at launch (service events say so).
  deploymentConfiguration with ECS's defaults (deployments.configuration); only the
  ECS (rolling update) deployment controller.  loadBalancers, serviceRegistries,
  healthCheckGracePeriodSeconds, serviceConnectConfiguration and the like are stored.
- UpdateService: desiredCount (REPLICA), deploymentConfiguration and the grace period
  change in place; a new task definition, forceNewDeployment, or new network,
  placement, capacity provider, tag-propagation, execute-command or load balancer
  settings start a new deployment.  DRAINING: ServiceNotActiveException.
- DeleteService: refused while a REPLICA service is scaled above 0, unless ``force``;
  the service goes DRAINING (desired count 0) and INACTIVE once its tasks are stopping
  or stopped.
- DescribeServices: up to 10 services, MISSING failures, ``include`` TAGS;
  ListServices: ACTIVE services, 10 per page by default (at most 100).
"""

from __future__ import annotations

from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import (
    arns,
    capacity_strategy,
    deployments,
    fargate_rules,
    placement_rules,
    service_events,
    tag_store,
)
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import service_store as services
from cargobay.services.ecs.circuit_breaker import failed_tasks
from cargobay.services.ecs.cluster_settings import service_connect_defaults
from cargobay.services.ecs.errors import ClientException, InvalidParameterException
from cargobay.services.ecs.events_out import deployment_state_change
from cargobay.services.ecs.launch_volumes import check_launch_volumes
from cargobay.services.ecs.pagination import decode_token, page_size, take_page
from cargobay.services.ecs.scheduler import SchedulerOps, adjust_service_counters
from cargobay.services.ecs.service_errors import (
    NamespaceNotFoundException,
    ServiceNotActiveException,
    ServiceNotFoundException,
)
from cargobay.services.ecs.service_store import Counts
from cargobay.services.ecs.task_errors import UnsupportedFeatureException
from cargobay.services.ecs.task_launch import check_network

Doc = dict[str, Any]

MAX_DESCRIBE = 10
LIST_DEFAULT = 10
MAX_CLIENT_TOKEN = 36
NOT_IDEMPOTENT = "Creation of service was not idempotent."
STILL_DRAINING = "Unable to Start a service that is still Draining."
SCALED_ABOVE_ZERO = "The service cannot be stopped while it is scaled above 0."

#: stored as given, shown as stored
_KEPT = ("loadBalancers", "serviceRegistries", "serviceConnectConfiguration",
         "volumeConfigurations", "vpcLatticeConfigurations", "availabilityZoneRebalancing")
#: UpdateService members that start a new deployment when they change
_REDEPLOY = ("networkConfiguration", "placementConstraints", "placementStrategy",
             "capacityProviderStrategy", "platformVersion", "enableECSManagedTags",
             "propagateTags", "enableExecuteCommand", "loadBalancers", "serviceRegistries",
             "serviceConnectConfiguration", "volumeConfigurations",
             "vpcLatticeConfigurations")


class ServiceOps(SchedulerOps):
    # -- seams ------------------------------------------------------------------------------

    def task_definition_in_use(self, ctx: RequestContext, task_definition_arn: str) -> bool:
        """A revision is in use while a service's deployment runs it (or a task does)."""
        for skey in self._book.keys(f"{ctx.account_id}/{ctx.region}/"):
            doc = self._book.peek(skey)
            if doc is None or doc["status"] == services.INACTIVE:
                continue
            if any(d["taskDefinition"] == task_definition_arn for d in doc["deployments"]):
                return True
        used: bool = super().task_definition_in_use(  # type: ignore[misc]
            ctx, task_definition_arn
        )
        return used

    def reset(self) -> None:
        self.reset_scheduler()

    # -- what the scheduler hears from the instance operations --------------------------------

    def register_container_instance(self, ctx: RequestContext, req: Doc) -> Doc:
        out: Doc = super().register_container_instance(ctx, req)  # type: ignore[misc]
        self._instances_told([out["containerInstance"]])
        return out

    def deregister_container_instance(self, ctx: RequestContext, req: Doc) -> Doc:
        out: Doc = super().deregister_container_instance(ctx, req)  # type: ignore[misc]
        self._instances_told([out["containerInstance"]])
        return out

    def update_container_instances_state(self, ctx: RequestContext, req: Doc) -> Doc:
        out: Doc = super().update_container_instances_state(ctx, req)  # type: ignore[misc]
        self._instances_told(out["containerInstances"])
        return out

    def put_attributes(self, ctx: RequestContext, req: Doc) -> Doc:
        out: Doc = super().put_attributes(ctx, req)  # type: ignore[misc]
        self._cluster_told(ctx, req)
        return out

    def delete_attributes(self, ctx: RequestContext, req: Doc) -> Doc:
        out: Doc = super().delete_attributes(ctx, req)  # type: ignore[misc]
        self._cluster_told(ctx, req)
        return out

    def _instances_told(self, shown: list[Doc]) -> None:
        for ci in shown:
            parsed = arns.parse_arn(ci["containerInstanceArn"])
            if parsed is None:
                continue
            ikey = f"{parsed.account_id}/{parsed.region}/{parsed.resource}"
            self.instance_changed(ikey.rsplit("/", 1)[0], ikey, ci["status"])

    def _cluster_told(self, ctx: RequestContext, req: Doc) -> None:
        ref = clusters.parse_ref(ctx, req.get("cluster") or "default")
        self.instance_changed(clusters.key(ctx, ref.name))

    # -- helpers ----------------------------------------------------------------------------

    def _service(self, ctx: RequestContext, cluster: Doc, text: str) -> tuple[str, Doc]:
        """The (non-purged) service ``text`` names in ``cluster``, or ServiceNotFound."""
        ref = services.parse_ref(ctx, cluster["clusterName"], text)
        if ref is None:
            raise ServiceNotFoundException()
        skey = services.key(ctx, cluster["clusterName"], ref.name)
        doc = self._book.get(skey)
        if doc is None:
            raise ServiceNotFoundException()
        return skey, doc

    def _view(self, skey: str, doc: Doc, *, tags: list[dict[str, str]] | None) -> Doc:
        counts: dict[str, Counts] = {}
        running: dict[str, int] = {}
        pending: dict[str, int] = {}
        states = list(self._index.of(skey).values())
        for st in states:
            if st.last_status == "RUNNING":
                running[st.deployment] = running.get(st.deployment, 0) + 1
            elif st.last_status in ("PROVISIONING", "PENDING", "ACTIVATING"):
                pending[st.deployment] = pending.get(st.deployment, 0) + 1
        failed: dict[str, int] = {}
        for d in doc.get("deployments", []):
            counts[d["id"]] = Counts(running.get(d["id"], 0), pending.get(d["id"], 0))
            failed[d["id"]] = failed_tasks(d, states)
        return services.view(doc, counts=counts, failed=failed,
                             events=service_events.events(self.store, skey), tags=tags)

    def _check_launch(self, cluster: Doc, td: Doc, req: Doc, strategy: str) -> Doc:
        """launchType / capacityProviderStrategy as the service keeps them."""
        launch_type, providers = capacity_strategy.requested(cluster, req)
        out: Doc = {}
        if providers:
            capacity_strategy.check(providers)
            capacity_strategy.check_associated(cluster, providers)
            out["capacityProviderStrategy"] = providers
        else:
            assert launch_type is not None
            kind = "EC2" if launch_type == "EXTERNAL" else launch_type
            if kind not in td.get("compatibilities", []) or (
                td.get("requiresCompatibilities")
                and kind not in td["requiresCompatibilities"]
            ):
                raise InvalidParameterException(
                    f"Task definition does not support launch_type {launch_type}."
                )
            out["launchType"] = launch_type
        if strategy == deployments.DAEMON and (
            launch_type == "FARGATE"
            or any(p.get("capacityProvider", "").startswith("FARGATE") for p in providers)
        ):
            raise InvalidParameterException(
                "Fargate does not support the DAEMON scheduling strategy."
            )
        if req.get("platformVersion"):
            if launch_type != "FARGATE" and not providers:
                raise InvalidParameterException(
                    "The platform version can only be specified for services using the "
                    "FARGATE launch type."
                )
            out["platformVersion"] = req["platformVersion"]
        elif launch_type == "FARGATE":
            out["platformVersion"] = "LATEST"
        return out

    @staticmethod
    def _check_placement(req: Doc, td: Doc, strategy: str) -> None:
        if strategy == deployments.DAEMON and req.get("placementStrategy"):
            raise InvalidParameterException(
                "Placement strategies are not supported with the DAEMON scheduling strategy."
            )
        placement_rules.rules(req.get("placementConstraints") or [],
                              req.get("placementStrategy") or [], td)
        if req.get("launchType") == "FARGATE":
            fargate_rules.check_service(req, td)

    # -- CreateService ----------------------------------------------------------------------

    def create_service(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        name = req["serviceName"]
        if not services.NAME.match(name):
            raise InvalidParameterException(
                "Service names can have up to 255 letters (uppercase and lowercase), "
                "numbers, underscores, and hyphens."
            )
        token = req.get("clientToken")
        if token is not None and not (0 < len(token) <= MAX_CLIENT_TOKEN
                                      and all(33 <= ord(ch) <= 126 for ch in token)):
            raise InvalidParameterException(
                "The client token can have up to 36 ASCII characters in the range 33-126."
            )
        fingerprint = orjson.dumps(
            {k: v for k, v in req.items() if k != "clientToken"}, option=orjson.OPT_SORT_KEYS
        ).decode()
        skey = services.key(ctx, cluster["clusterName"], name)
        existing = self._book.get(skey)
        if existing is not None and existing["status"] == services.ACTIVE:
            if token is not None and existing.get("_clientToken") == token and (
                existing.get("_fingerprint") == fingerprint
            ):
                tags = tag_store.get_tags(self.store, existing["serviceArn"])
                return {"service": self._view(skey, existing, tags=tags)}
            raise InvalidParameterException(NOT_IDEMPOTENT)
        if existing is not None and existing["status"] == services.DRAINING:
            raise InvalidParameterException(STILL_DRAINING)

        strategy = req.get("schedulingStrategy") or deployments.REPLICA
        controller = (req.get("deploymentController") or {}).get("type", "ECS")
        if controller != "ECS":
            raise UnsupportedFeatureException(
                f"cargobay supports only the ECS (rolling update) deployment controller, "
                f"not {controller}."
            )
        if not req.get("taskDefinition"):
            raise InvalidParameterException(
                "A task definition is required for services using the ECS deployment "
                "controller."
            )
        td = self.runnable_task_definition(  # type: ignore[attr-defined]
            ctx, req["taskDefinition"])
        if strategy == deployments.REPLICA:
            if "desiredCount" not in req:
                raise InvalidParameterException(
                    "The desired count is required for a service with the REPLICA "
                    "scheduling strategy."
                )
            desired = int(req["desiredCount"])
            if desired < 0:
                raise InvalidParameterException("The desired count cannot be negative.")
        else:
            if req.get("desiredCount"):
                raise InvalidParameterException(
                    "The DAEMON scheduling strategy does not support a desired count."
                )
            desired = 0
        launch = self._check_launch(cluster, td, req, strategy)
        check_network(td, req)
        check_launch_volumes(td, req.get("volumeConfigurations"))
        self._check_placement(req, td, strategy)
        config = deployments.configuration(req.get("deploymentConfiguration"), strategy)
        tags = tag_store.check_tags(req.get("tags") or [])
        if len({t["key"] for t in tags}) > tag_store.MAX_TAGS:
            raise InvalidParameterException(
                f"The tag limit of {tag_store.MAX_TAGS} tags per resource has been exceeded."
            )
        grace = req.get("healthCheckGracePeriodSeconds")
        if grace is not None and grace < 0:
            raise InvalidParameterException(
                "The health check grace period cannot be negative."
            )

        now = self.clock.now()
        doc: Doc = {
            "serviceArn": services.service_arn(ctx, cluster["clusterName"], name),
            "serviceName": name,
            "clusterArn": cluster["clusterArn"],
            "loadBalancers": list(req.get("loadBalancers") or []),
            "serviceRegistries": list(req.get("serviceRegistries") or []),
            "status": services.ACTIVE,
            "desiredCount": desired,
            **launch,
            "taskDefinition": td["taskDefinitionArn"],
            "deploymentConfiguration": config,
            "deployments": [],
            "createdAt": now,
            "placementConstraints": list(req.get("placementConstraints") or []),
            "placementStrategy": list(req.get("placementStrategy") or []),
            "schedulingStrategy": strategy,
            "deploymentController": {"type": controller},
            "enableECSManagedTags": bool(req.get("enableECSManagedTags", False)),
            "propagateTags": req.get("propagateTags", "NONE"),
            "enableExecuteCommand": bool(req.get("enableExecuteCommand", False)),
            "_cluster": cluster["clusterName"],
            "_fingerprint": fingerprint,
        }
        for k in ("networkConfiguration", "healthCheckGracePeriodSeconds", *_KEPT):
            if req.get(k) is not None and k not in doc:
                doc[k] = req[k]
        if req.get("role"):
            doc["roleArn"] = req["role"]
        if ctx.principal_arn:
            doc["createdBy"] = ctx.principal_arn
        if token is not None:
            doc["_clientToken"] = token
        deployment = deployments.start_deployment(doc, td["taskDefinitionArn"], now)
        try:
            with self.store.batch():
                self._book.put(skey, doc)
                tag_store.set_tags(self.store, doc["serviceArn"], tags)
                service_events.drop(self.store, skey)
                adjust_service_counters(self.store, doc, None, services.ACTIVE)
        except BaseException:
            self._book.reload(skey)
            raise
        self._index.drop_service(skey)  # a deleted service's tasks are not this one's
        self._poke(skey)
        deployment_state_change(self.app, service_arn=doc["serviceArn"],
                                deployment_id=deployment["id"],
                                event_name="SERVICE_DEPLOYMENT_IN_PROGRESS",
                                reason=deployment["rolloutStateReason"])
        return {"service": self._view(skey, doc, tags=tags)}

    # -- UpdateService ----------------------------------------------------------------------

    def update_service(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        skey, doc = self._service(ctx, cluster, req["service"])
        if doc["status"] != services.ACTIVE:
            raise ServiceNotActiveException()
        strategy = doc.get("schedulingStrategy", deployments.REPLICA)
        controller = (req.get("deploymentController") or {}).get("type")
        if controller not in (None, "ECS"):
            raise UnsupportedFeatureException(
                "cargobay supports only the ECS (rolling update) deployment controller, "
                f"not {controller}."
            )
        redeploy = bool(req.get("forceNewDeployment"))
        td_arn = doc["taskDefinition"]
        if req.get("taskDefinition"):
            td = self.runnable_task_definition(  # type: ignore[attr-defined]
                ctx, req["taskDefinition"])
            redeploy = redeploy or td["taskDefinitionArn"] != td_arn
            td_arn = td["taskDefinitionArn"]
        else:
            td = self.find_task_definition(ctx, td_arn)  # type: ignore[attr-defined]
            if td is None:
                raise ClientException("TaskDefinition not found.")
        if "desiredCount" in req:
            if strategy == deployments.DAEMON:
                raise InvalidParameterException(
                    "The desired count of a service with the DAEMON scheduling strategy "
                    "cannot be changed."
                )
            if req["desiredCount"] < 0:
                raise InvalidParameterException("The desired count cannot be negative.")
            doc["desiredCount"] = int(req["desiredCount"])
        if "capacityProviderStrategy" in req:
            launch = self._check_launch(
                cluster, td, {"capacityProviderStrategy": req["capacityProviderStrategy"],
                              "platformVersion": req.get("platformVersion")}, strategy)
            if launch.get("capacityProviderStrategy") != doc.get("capacityProviderStrategy"):
                redeploy = True
            doc.pop("launchType", None)
            doc.update(launch)
        merged = {**doc, **{k: req[k] for k in _REDEPLOY if k in req}}
        check_network(td, merged)
        check_launch_volumes(td, merged.get("volumeConfigurations"))
        self._check_placement(merged, td, strategy)
        for k in _REDEPLOY:
            if k in req and k != "capacityProviderStrategy" and req[k] != doc.get(k):
                doc[k] = req[k]
                redeploy = True
        if "deploymentConfiguration" in req:
            doc["deploymentConfiguration"] = deployments.configuration(
                req["deploymentConfiguration"], strategy, doc.get("deploymentConfiguration")
            )
        if "healthCheckGracePeriodSeconds" in req:
            if req["healthCheckGracePeriodSeconds"] < 0:
                raise InvalidParameterException(
                    "The health check grace period cannot be negative."
                )
            doc["healthCheckGracePeriodSeconds"] = req["healthCheckGracePeriodSeconds"]
        if "availabilityZoneRebalancing" in req:
            doc["availabilityZoneRebalancing"] = req["availabilityZoneRebalancing"]
        now = self.clock.now()
        started: Doc | None = None
        if redeploy:
            started = deployments.start_deployment(doc, td_arn, now)
        primary = deployments.primary(doc)
        if primary is not None and strategy == deployments.REPLICA:
            primary["desiredCount"] = int(doc["desiredCount"])
        try:
            self._book.put(skey, doc)
        except BaseException:
            self._book.reload(skey)
            raise
        self._poke(skey)
        if started is not None:
            deployment_state_change(self.app, service_arn=doc["serviceArn"],
                                    deployment_id=started["id"],
                                    event_name="SERVICE_DEPLOYMENT_IN_PROGRESS",
                                    reason=started["rolloutStateReason"])
        return {"service": self._view(skey, doc, tags=None)}

    # -- DeleteService ----------------------------------------------------------------------

    def delete_service(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        skey, doc = self._service(ctx, cluster, req["service"])
        if doc["status"] == services.INACTIVE:
            raise ServiceNotFoundException()
        if doc["status"] == services.DRAINING:
            return {"service": self._view(skey, doc, tags=None)}
        replica = doc.get("schedulingStrategy", deployments.REPLICA) == deployments.REPLICA
        if replica and int(doc.get("desiredCount", 0)) > 0 and not req.get("force"):
            raise InvalidParameterException(SCALED_ABOVE_ZERO)
        doc["status"] = services.DRAINING
        doc["desiredCount"] = 0
        for d in doc.get("deployments", []):
            if d["status"] == deployments.PRIMARY:
                d["desiredCount"] = 0
        try:
            with self.store.batch():
                self._book.put(skey, doc)
                adjust_service_counters(self.store, doc, services.ACTIVE, services.DRAINING)
        except BaseException:
            self._book.reload(skey)
            raise
        self._poke(skey)
        return {"service": self._view(skey, doc, tags=None)}

    # -- DescribeServices / ListServices ----------------------------------------------------

    def describe_services(self, ctx: RequestContext, req: Doc) -> Doc:
        refs: list[str] = req["services"]
        if not refs:
            raise InvalidParameterException("Services cannot be empty.")
        if len(refs) > MAX_DESCRIBE:
            raise InvalidParameterException(
                f"services can have at most {MAX_DESCRIBE} items."
            )
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        with_tags = "TAGS" in (req.get("include") or [])
        found: list[Doc] = []
        failures: list[Doc] = []
        for text in refs:
            ref = services.parse_ref(ctx, cluster["clusterName"], text)
            skey = None if ref is None else services.key(ctx, cluster["clusterName"], ref.name)
            doc = None if skey is None else self._book.peek(skey)
            if doc is None or skey is None:
                failures.append({"arn": ref.arn if ref else text, "reason": "MISSING"})
                continue
            tags = tag_store.get_tags(self.store, doc["serviceArn"]) if with_tags else None
            found.append(self._view(skey, doc, tags=tags))
        return {"services": found, "failures": failures}

    def list_services(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        size = page_size(req.get("maxResults"), default=LIST_DEFAULT)
        prefix = services.prefix(ctx, cluster["clusterName"])
        after = decode_token(req.get("nextToken"))
        if after is not None and not after.startswith(prefix):
            raise InvalidParameterException("Invalid nextToken.")
        launch_type = req.get("launchType")
        strategy = req.get("schedulingStrategy")
        managed = req.get("resourceManagementType")

        def wanted(doc: Doc) -> bool:
            return (
                doc["status"] == services.ACTIVE
                and (launch_type is None or doc.get("launchType") == launch_type)
                and (strategy is None or doc.get("schedulingStrategy") == strategy)
                and managed in (None, "CUSTOMER")
            )

        items = (
            (k, doc["serviceArn"])
            for k in self._book.keys(prefix)
            if (after is None or k > after)
            and (doc := self._book.peek(k)) is not None and wanted(doc)
        )
        page, token = take_page(items, size)
        out: Doc = {"serviceArns": page}
        if token is not None:
            out["nextToken"] = token
        return out

    def list_services_by_namespace(self, ctx: RequestContext, req: Doc) -> Doc:
        """ACTIVE services whose Service Connect configuration uses the namespace (by name
        or ARN; a service without one uses its cluster's default); a namespace that no
        cluster or service uses is NamespaceNotFoundException."""
        target = _namespace_arn(ctx, req["namespace"])
        if target is None:
            raise NamespaceNotFoundException("The namespace was not found.")
        size = page_size(req.get("maxResults"), default=LIST_DEFAULT)
        scope = f"{ctx.account_id}/{ctx.region}/"
        after = decode_token(req.get("nextToken"))
        if after is not None and not after.startswith(scope):
            raise InvalidParameterException("Invalid nextToken.")
        defaults: dict[str, str | None] = {}
        known = False
        for _, cdoc in self.store.scan(clusters.TABLE, scope):
            ns = (cdoc.get("serviceConnectDefaults") or {}).get("namespace")
            defaults[cdoc["clusterArn"]] = ns
            known = known or ns == target
        matches: list[tuple[str, str]] = []
        for k in self._book.keys(scope):
            doc = self._book.peek(k)
            connect = (doc or {}).get("serviceConnectConfiguration") or {}
            if doc is None or not connect.get("enabled"):
                continue
            given = connect.get("namespace")
            ns = _namespace_arn(ctx, given) if given else defaults.get(doc["clusterArn"])
            if ns == target:
                known = True
                if doc["status"] == services.ACTIVE and (after is None or k > after):
                    matches.append((k, doc["serviceArn"]))
        if not known:
            raise NamespaceNotFoundException("The namespace was not found.")
        page, token = take_page(matches, size)
        out: Doc = {"serviceArns": page}
        if token is not None:
            out["nextToken"] = token
        return out


def _namespace_arn(ctx: RequestContext, namespace: str) -> str | None:
    """A Cloud Map namespace name or ARN as clusters store it (cluster_settings)."""
    try:
        found = service_connect_defaults(ctx, namespace)
    except AwsError:
        return None
    return None if found is None else found["namespace"]
