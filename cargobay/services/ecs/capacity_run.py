"""RunTask with a capacity provider strategy (the request's, else the cluster's default
when neither launchType nor a strategy is given).

``count`` tasks are split across the strategy's providers by base and weight
(capacity_strategy.split); FARGATE and FARGATE_SPOT tasks start as Fargate tasks
carrying that provider's name; an Auto Scaling group provider's tasks are placed, with
the request's constraints and strategies, only on the container instances of that
provider (their ``capacityProviderName``), and carry its name.  What cannot be placed
comes back in ``failures`` with ECS's reason per instance (``RESOURCE:CPU`` when the
provider has no instance), unless the provider has managed scaling: then the rest wait
in PROVISIONING for its scale-out (capacity_waiting.py).
"""

from __future__ import annotations

import random
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import (
    capacity_launch,
    capacity_strategy,
    capacity_waiting,
    placement,
    placement_rules,
)
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.tag_store import get_tags, set_tags
from cargobay.services.ecs.task_writes import commit

Doc = dict[str, Any]

#: the failure of a provider's share when the provider has no container instance yet
NO_PROVIDER_INSTANCE = "RESOURCE:CPU"


class CapacityRunOps(EcsBase):
    def _run_by_strategy(self, ctx: RequestContext, cluster: Doc, req: Doc, count: int,
                         token_key: str | None, fingerprint: str) -> Doc:
        strategy = list(req.get("capacityProviderStrategy")
                        or cluster.get("defaultCapacityProviderStrategy") or [])
        capacity_strategy.check(strategy)
        split = capacity_strategy.tally(capacity_strategy.split(strategy, count))
        shown: list[Doc] = []
        failures: list[Doc] = []
        placed: list[Doc] = []
        for item in strategy:
            name = item["capacityProvider"]
            n = split.get(name, 0)
            if not n:
                continue
            if capacity_launch.is_fargate(name):
                out = self._run_fargate(  # type: ignore[attr-defined]
                    ctx, cluster, req, n, None, fingerprint, provider=name)
                shown += out["tasks"]
                failures += out["failures"]
                for t in out["tasks"]:
                    doc = self.store.get(tasks.TABLE, tasks.key(
                        ctx, cluster["clusterName"], t["taskArn"].rsplit("/", 1)[-1]))
                    if doc is not None:
                        placed.append(doc)
            else:
                got, why = self._run_on_provider(ctx, cluster, req, name, n)
                placed += got
                failures += why
                tags = self._tags_of(got)
                shown += [tasks.view(t, tags) for t in got]
        if token_key is not None:
            self._remember_token(  # type: ignore[attr-defined]
                token_key, fingerprint, placed, failures, self.clock.now())
        return {"tasks": shown, "failures": failures}

    def _tags_of(self, placed: list[Doc]) -> list[dict[str, str]]:
        return get_tags(self.store, placed[0]["taskArn"]) if placed else []

    def _run_on_provider(self, ctx: RequestContext, cluster: Doc, req: Doc, provider: str,
                         count: int) -> tuple[list[Doc], list[Doc]]:
        td, overrides, group, tags = self._prepare(ctx, cluster, req)  # type: ignore[attr-defined]
        rules = placement_rules.rules(
            req.get("placementConstraints") or [], req.get("placementStrategy") or [], td)
        needs = placement.task_needs(td, overrides)
        cands = [
            placement_rules.Candidate(k, doc)
            for k, doc in self.store.scan(instances.TABLE,
                                          instances.prefix(ctx, cluster["clusterName"]))
            if doc.get("capacityProviderName") == provider
            and doc["status"] == instances.ACTIVE
        ]
        rng = random.Random()
        placed: list[Doc] = []
        failures: list[Doc] = []
        notify: set[str | None] = set()
        now = self.clock.now()
        with self.store.batch():
            for _ in range(count):
                fits: list[placement_rules.Candidate] = []
                refused: list[Doc] = []
                for c in cands:
                    why = placement_rules.reason_against(c, needs, group, rules)
                    if why is None:
                        fits.append(c)
                    else:
                        refused.append({"arn": c.doc["containerInstanceArn"], "reason": why})
                if not fits:
                    left = count - len(placed)
                    if capacity_launch.managed_scaling_on(self.store, ctx, provider):
                        # waits in PROVISIONING for the provider's scale-out
                        waiting = [capacity_waiting.create(
                            self.store, ctx, cluster=cluster, td=td, overrides=overrides,
                            group=group, req=req, needs=needs, provider=provider,
                            tags=tags, now=now) for _ in range(left)]
                        placed += waiting
                        break
                    failures += refused or [{"reason": NO_PROVIDER_INSTANCE,
                                             "detail": f"capacity provider {provider}"}]
                    break
                chosen = placement_rules.order(fits, group, rules, rng)[0]
                task = self._launch(  # type: ignore[attr-defined]
                    ctx, cluster, chosen, td, overrides, group, req, needs, now)
                task["capacityProviderName"] = provider
                notify.add(commit(self.store, task, None, instance=chosen.doc, new=True))
                if tags:
                    set_tags(self.store, task["taskArn"], tags)
                placed.append(task)
        for k in notify:
            if k is not None:
                self.app.agent_channel.notify(k)
        for t in placed:
            task_state_change(self.app, t)
        return placed, failures
