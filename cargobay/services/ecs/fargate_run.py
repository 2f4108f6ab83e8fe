"""RunTask with launchType FARGATE: no container instance, each task its own sandbox.

The request is checked as ECS checks it (fargate_rules.check_task); each of ``count``
tasks gets its own 127.1.x.y address and ENI attachment (fargate_launch) and is stored
PENDING with task_writes.commit, which lists it in the Fargate fleet's desired set
(fargate_index): the fleet (cargobay/fargate/) runs it and reports through
SubmitTaskStateChange like an agent.  When no address is free the rest come back in
``failures`` (reason ``RESOURCE:ENI``).  ``clientToken`` works as for EC2.
"""

from __future__ import annotations

import random
from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import fargate_launch, fargate_rules, tag_store
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.task_writes import commit

Doc = dict[str, Any]

NO_ADDRESS_DETAIL = "No free address in 127.1.0.0/16 for the task's network interface."


class FargateRunOps(EcsBase):
    def _run_fargate(
        self,
        ctx: RequestContext,
        cluster: Doc,
        req: Doc,
        count: int,
        token_key: str | None,
        fingerprint: str,
        provider: str | None = None,
    ) -> Doc:
        td, overrides, group, tags = self._prepare(  # type: ignore[attr-defined]
            ctx, cluster, req, "FARGATE"
        )
        checked = fargate_rules.check_task(td, overrides, req)
        rng = random.Random()
        placed: list[Doc] = []
        failures: list[Doc] = []
        now = self.clock.now()
        with self.store.batch():
            for _ in range(count):
                task = fargate_launch.new_task(
                    self.store, ctx, cluster=cluster, td=td, overrides=overrides,
                    group=group, req=req, checked=checked, now=now, rng=rng,
                )
                if task is None:
                    failures.append(
                        {"reason": fargate_launch.NO_ADDRESS, "detail": NO_ADDRESS_DETAIL}
                    )
                    break
                if provider is not None:  # FARGATE or FARGATE_SPOT from a strategy
                    task["capacityProviderName"] = provider
                commit(self.store, task, None, new=True)
                tag_store.set_tags(self.store, task["taskArn"], tags)
                placed.append(task)
            if token_key is not None:
                self._remember_token(  # type: ignore[attr-defined]
                    token_key, fingerprint, placed, failures, now
                )
        for t in placed:
            task_state_change(self.app, t)
        return {"tasks": [tasks.view(t, tags) for t in placed], "failures": failures}
