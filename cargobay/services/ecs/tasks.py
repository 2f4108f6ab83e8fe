"""RunTask, StartTask, StopTask, DescribeTasks, ListTasks (agent reports: task_reports.py).

- RunTask places ``count`` (1–10) copies of an ACTIVE task definition on the cluster's
  ACTIVE instances whose agent is connected (placement_rules.py), holding their
  resources at once; what cannot be placed comes back in ``failures`` with ECS's reason
  per instance.  ``clientToken`` makes it idempotent: the same token with the same
  parameters answers with the tasks it started; with other parameters it is
  ConflictException.  EC2 tasks are placed here; FARGATE ones need no instance
  (fargate_run.py); a capacity provider strategy (the request's, else the cluster's
  default) splits them across its providers (capacity_run.py); EXTERNAL and
  MANAGED_INSTANCES are UnsupportedFeatureException until their issues.
- StartTask places one task on each named instance (≤ 10).
- StopTask sets desiredStatus STOPPED (stopCode UserInitiated, stoppedReason as given,
  default "Task stopped by user"); the agent stops the containers and reports STOPPED.
- DescribeTasks (≤ 100, failures MISSING) and ListTasks (filters, pagination) see
  STOPPED tasks for an hour.
"""

from __future__ import annotations

import random
from typing import Any

import orjson

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import (
    arns,
    capacity_strategy,
    fargate_rules,
    placement,
    placement_index,
    placement_rules,
    service_store,
    tag_store,
    task_launch,
)
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.capacity_run import CapacityRunOps
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.fargate_run import FargateRunOps
from cargobay.services.ecs.launch_volumes import check_launch_volumes
from cargobay.services.ecs.pagination import decode_token, page_size, take_page
from cargobay.services.ecs.service_errors import ServiceNotFoundException
from cargobay.services.ecs.task_errors import ConflictException, UnsupportedFeatureException
from cargobay.services.ecs.task_lifecycle import (
    USER_INITIATED,
    USER_STOP_REASON,
    category,
    desire_stop,
    place,
)
from cargobay.services.ecs.task_reports import TaskReportOps
from cargobay.services.ecs.task_writes import Deferred, commit

Doc = dict[str, Any]

MAX_COUNT = 10
MAX_START_INSTANCES = 10
MAX_DESCRIBE = 100
MAX_REASON = 255
NO_INSTANCES = "No Container Instances were found in your cluster."
TASK_NOT_FOUND = "The referenced task was not found."
TASK_ID_INVALID = "Task Identifier is invalid"


class TaskOps(CapacityRunOps, FargateRunOps, TaskReportOps, EcsBase):
    # -- seams ------------------------------------------------------------------------

    def task_definition_in_use(self, ctx: RequestContext, task_definition_arn: str) -> bool:
        """A revision is in use while a task started from it is not STOPPED."""
        return any(
            doc["taskDefinitionArn"] == task_definition_arn and doc["lastStatus"] != "STOPPED"
            for _, doc in self.store.scan(tasks.TABLE, arns.scope_prefix(ctx))
        )

    def _notify(self, keys: set[str | None]) -> None:
        for k in keys:
            if k is not None:
                self.app.agent_channel.notify(k)

    # -- RunTask / StartTask ----------------------------------------------------------

    def run_task(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        count = req.get("count", 1)
        if not 1 <= count <= MAX_COUNT:
            raise InvalidParameterException(f"count must be between 1 and {MAX_COUNT}.")
        token = req.get("clientToken")
        token_key = tasks.key(ctx, cluster["clusterName"], token) if token else None
        fingerprint = orjson.dumps(
            {k: v for k, v in req.items() if k != "clientToken"}, option=orjson.OPT_SORT_KEYS
        ).decode()
        if token_key is not None:
            replay = self._replay(ctx, token_key, fingerprint)
            if replay is not None:
                return replay
        launch_type = self._launch_type(cluster, req)
        if launch_type == "FARGATE":
            return self._run_fargate(ctx, cluster, req, count, token_key, fingerprint)
        if launch_type == "STRATEGY":
            return self._run_by_strategy(ctx, cluster, req, count, token_key, fingerprint)
        td, overrides, group, tags = self._prepare(ctx, cluster, req)
        rules = placement_rules.rules(
            req.get("placementConstraints") or [], req.get("placementStrategy") or [], td
        )
        needs = placement.task_needs(td, overrides)
        index = placement_index.cluster_index(
            self.store, instances.prefix(ctx, cluster["clusterName"])
        )
        if not index.any_active():
            raise InvalidParameterException(NO_INSTANCES)
        rng = random.Random()
        placed: list[Doc] = []
        failures: list[Doc] = []
        notify: set[str | None] = set()
        now = self.clock.now()
        checked: set[str] = set()  # instances read and checked in this batch
        deferred = Deferred()  # instance and counter writes: once each, at the end
        with self.store.batch():
            for _ in range(count):
                found = index.verified(self.store, needs, group, rules, rng, checked)
                if found is None:
                    failures += index.refusals(needs, group, rules)
                    break
                chosen = placement_rules.Candidate(*found)
                task = self._launch(ctx, cluster, chosen, td, overrides, group, req, needs, now)
                notify.add(
                    commit(self.store, task, None, instance=chosen.doc, new=True,
                           deferred=deferred)
                )
                if tags:
                    tag_store.set_tags(self.store, task["taskArn"], tags)
                placed.append(task)
            deferred.flush(self.store)
            if token_key is not None:
                self._remember_token(token_key, fingerprint, placed, failures, now)
        self._notify(notify)
        for t in placed:
            task_state_change(self.app, t)
        return {"tasks": [tasks.view(t, tags) for t in placed], "failures": failures}

    def start_task(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        refs: list[str] = req["containerInstances"]
        if not refs:
            raise InvalidParameterException("Container instances cannot be empty.")
        if len(refs) > MAX_START_INSTANCES:
            raise InvalidParameterException(
                f"containerInstances can have at most {MAX_START_INSTANCES} items."
            )
        td, overrides, group, tags = self._prepare(ctx, cluster, req)
        rules = placement_rules.rules([], [], td)
        needs = placement.task_needs(td, overrides)
        name = cluster["clusterName"]
        placed: list[Doc] = []
        failures: list[Doc] = []
        notify: set[str | None] = set()
        seen: dict[str, placement_rules.Candidate] = {}
        now = self.clock.now()
        with self.store.batch():
            for text in refs:
                ref = instances.parse_ref(ctx, name, text)
                if ref is None:
                    failures.append({"arn": text, "reason": "MISSING"})
                    continue
                k = instances.key(ctx, name, ref.instance_id)
                cand = seen.get(k)
                if cand is None:
                    doc = self.store.get(instances.TABLE, k)
                    if doc is None:
                        failures.append({"arn": ref.arn, "reason": "MISSING"})
                        continue
                    cand = seen[k] = placement_rules.Candidate(k, doc)
                if cand.doc["status"] == instances.INACTIVE:
                    failures.append({"arn": ref.arn, "reason": "INACTIVE"})
                    continue
                why = placement_rules.reason_against(cand, needs, group, rules)
                if why is not None:
                    failures.append({"arn": cand.doc["containerInstanceArn"], "reason": why})
                    continue
                task = self._launch(ctx, cluster, cand, td, overrides, group, req, needs, now)
                notify.add(commit(self.store, task, None, instance=cand.doc, new=True))
                tag_store.set_tags(self.store, task["taskArn"], tags)
                placed.append(task)
        self._notify(notify)
        for t in placed:
            task_state_change(self.app, t)
        return {"tasks": [tasks.view(t, tags) for t in placed], "failures": failures}

    def _launch(
        self,
        ctx: RequestContext,
        cluster: Doc,
        chosen: placement_rules.Candidate,
        td: Doc,
        overrides: Doc,
        group: str,
        req: Doc,
        needs: placement.Needs,
        now: float,
    ) -> Doc:
        task = task_launch.new_task(
            ctx,
            cluster=cluster,
            instance=chosen.doc,
            instance_key=chosen.key,
            td=td,
            overrides=overrides,
            group=group,
            req=req,
            needs=needs,
            now=now,
        )
        place(task, now)
        return task

    def _remember_token(
        self, token_key: str, fingerprint: str, placed: list[Doc], failures: list[Doc],
        now: float,
    ) -> None:
        self.store.put(
            tasks.TOKENS,
            token_key,
            {
                "fingerprint": fingerprint,
                "taskArns": [t["taskArn"] for t in placed],
                "failures": failures,
                "createdAt": now,
            },
        )

    def _prepare(
        self, ctx: RequestContext, cluster: Doc, req: Doc, launch_type: str = "EC2"
    ) -> tuple[Doc, Doc, str, list[dict[str, str]]]:
        """The checked task definition, overrides, group and tags of a Run/StartTask."""
        td = self.runnable_task_definition(  # type: ignore[attr-defined]
            ctx, req["taskDefinition"])
        required = td.get("requiresCompatibilities") or []
        if launch_type == "FARGATE":
            fargate_rules.check_definition(td)
        elif "EC2" not in td.get("compatibilities", []) or (required and "EC2" not in required):
            raise InvalidParameterException("Task definition does not support launch_type EC2.")
        task_launch.check_network(td, req)
        check_launch_volumes(td, req.get("volumeConfigurations"))
        overrides = task_launch.check_overrides(td, req.get("overrides") or {})
        task_launch.check_started_by(req.get("startedBy"))
        group = req.get("group") or f"family:{td['family']}"
        if len(group) > 255:
            raise InvalidParameterException("group must be 255 characters or fewer.")
        if req.get("enableExecuteCommand") and not (
            overrides.get("taskRoleArn") or td.get("taskRoleArn")
        ):
            raise InvalidParameterException(
                "The task definition must have a task role (or one given as an override) "
                "for execute command."
            )
        tags = task_launch.task_tags(self.store, cluster, td, req)
        return td, overrides, group, tags

    def _launch_type(self, cluster: Doc, req: Doc) -> str:
        """EC2 or FARGATE; the others are refused (their issues come later)."""
        launch_type, strategy = capacity_strategy.requested(cluster, req)
        if strategy:
            capacity_strategy.check_associated(cluster, strategy)
            return "STRATEGY"  # capacity_run.py
        if launch_type == "FARGATE":
            return "FARGATE"
        if launch_type != "EC2":
            raise UnsupportedFeatureException(
                f"cargobay does not run tasks with the {launch_type} launch type yet."
            )
        if req.get("platformVersion"):
            raise InvalidParameterException(
                "The platform version can only be specified for tasks using the FARGATE "
                "launch type."
            )
        return "EC2"

    def _replay(self, ctx: RequestContext, token_key: str, fingerprint: str) -> Doc | None:
        """The answer to a RunTask retried with the same clientToken, or None if new."""
        record = self.store.get(tasks.TOKENS, token_key)
        if record is None or self.clock.now() - record["createdAt"] > tasks.TOKEN_RETENTION:
            return None
        if record["fingerprint"] != fingerprint:
            raise ConflictException(
                "The clientToken is already in use with a different RunTask request. "
                f"Existing tasks: {', '.join(record['taskArns']) or 'none'}.",
                fields={"resourceIds": list(record["taskArns"])},
            )
        shown: list[Doc] = []
        for task_arn in record["taskArns"]:
            doc = self.store.get(tasks.TABLE, _key_of_arn(task_arn))
            if doc is not None:
                shown.append(tasks.view(doc, tag_store.get_tags(self.store, task_arn)))
        return {"tasks": shown, "failures": record["failures"]}

    # -- StopTask ---------------------------------------------------------------------

    def stop_task(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        reason = req.get("reason")
        if reason is not None and len(reason) > MAX_REASON:
            raise InvalidParameterException(
                f"The reason must be {MAX_REASON} characters or fewer."
            )
        _, task = self._task(ctx, cluster, req["task"])
        before = category(task)
        if desire_stop(task, USER_INITIATED, reason or USER_STOP_REASON, self.clock.now()):
            with self.store.batch():
                ikey = commit(self.store, task, before, desired_changed=True)
                # "Stops a running task. Any tags associated with the task will be deleted."
                tag_store.drop_tags(self.store, task["taskArn"])
            self._notify({ikey})
            task_state_change(self.app, task)
        return {"task": tasks.view(task, None)}

    def _task(self, ctx: RequestContext, cluster: Doc, text: str) -> tuple[str, Doc]:
        """The task ``text`` names in ``cluster`` (StopTask, agent reports)."""
        try:
            ref = tasks.parse_ref(ctx, cluster["clusterName"], text)
        except tasks.BadTaskId:
            raise InvalidParameterException(TASK_ID_INVALID) from None
        doc = None if ref is None else self.store.get(tasks.TABLE, tasks.key(ctx, *ref))
        if doc is None or ref is None or tasks.expired(doc, self.clock.now()):
            raise InvalidParameterException(TASK_NOT_FOUND)
        return tasks.key(ctx, *ref), doc

    # -- DescribeTasks / ListTasks ----------------------------------------------------

    def describe_tasks(self, ctx: RequestContext, req: Doc) -> Doc:
        refs: list[str] = req["tasks"]
        if not refs:
            raise InvalidParameterException("Tasks cannot be empty.")
        if len(refs) > MAX_DESCRIBE:
            raise InvalidParameterException(
                f"tasks can have at most {MAX_DESCRIBE} items."
            )
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        name = cluster["clusterName"]
        with_tags = "TAGS" in (req.get("include") or [])
        now = self.clock.now()
        found: list[Doc] = []
        failures: list[Doc] = []
        for text in refs:
            try:
                ref = tasks.parse_ref(ctx, name, text)
            except tasks.BadTaskId:
                ref = None
            doc = None if ref is None else self.store.get(tasks.TABLE, tasks.key(ctx, *ref))
            if doc is None or tasks.expired(doc, now):
                shown = tasks.task_arn(ctx, name, text) if ref is not None and (
                    not text.startswith("arn:")) else text
                failures.append({"arn": shown, "reason": "MISSING"})
                continue
            tags = tag_store.get_tags(self.store, doc["taskArn"]) if with_tags else None
            found.append(tasks.view(doc, tags))
        return {"tasks": found, "failures": failures}

    def list_tasks(self, ctx: RequestContext, req: Doc) -> Doc:
        cluster = clusters.active_cluster(self.store, ctx, req.get("cluster"))
        name = cluster["clusterName"]
        size = page_size(req.get("maxResults"))
        prefix = tasks.prefix(ctx, name)
        after = decode_token(req.get("nextToken"))
        if after is not None and not after.startswith(prefix):
            raise InvalidParameterException("Invalid nextToken.")
        desired = req.get("desiredStatus", "RUNNING")
        instance_id: str | None = None
        if req.get("containerInstance"):
            ref = instances.parse_ref(ctx, name, req["containerInstance"])
            instance_id = ref.instance_id if ref is not None else ""
        family = req.get("family")
        started_by = req.get("startedBy")
        group = None
        if req.get("serviceName"):
            sref = service_store.parse_ref(ctx, name, req["serviceName"])
            if sref is None or self.store.get(
                service_store.TABLE, service_store.key(ctx, name, sref.name)
            ) is None:
                raise ServiceNotFoundException()
            group = f"service:{sref.name}"
        launch_type = req.get("launchType")
        daemon = req.get("daemonName")
        now = self.clock.now()

        def wanted(doc: Doc) -> bool:
            return (
                doc["desiredStatus"] == desired
                and not tasks.expired(doc, now)
                and (instance_id is None or doc.get("_instanceId") == instance_id)
                and (family is None or doc["_taskDefinition"]["family"] == family)
                and (started_by is None or doc.get("startedBy") == started_by)
                and (group is None or doc["group"] == group)
                and (launch_type is None or doc.get("launchType") == launch_type)
                and daemon is None
            )

        items = (
            (k, doc["taskArn"]) for k, doc in self.store.scan(tasks.TABLE, prefix, after)
            if wanted(doc)
        )
        page, token = take_page(items, size)
        out: Doc = {"taskArns": page}
        if token is not None:
            out["nextToken"] = token
        return out


def _key_of_arn(task_arn: str) -> str:
    parsed = arns.parse_arn(task_arn)
    assert parsed is not None
    return f"{parsed.account_id}/{parsed.region}/{parsed.resource}"
