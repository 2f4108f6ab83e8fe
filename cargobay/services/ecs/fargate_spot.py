"""FARGATE_SPOT interruptions ("AWS Fargate capacity providers"; Knowledge Center,
"Fargate Spot termination notice"): when AWS takes the capacity back, the task gets a
two-minute warning, "sent as a task state change event to Amazon EventBridge and as a
SIGTERM signal to the running task", with stopCode SpotInterruption; its containers
then have their stopTimeout (at most 120 seconds on Fargate) before they are killed, and
a service's scheduler starts a replacement.

cargobay has no spot market, so interruptions come from:

- the operator: ``POST /_cargobay/ecs/fargate-spot/interrupt`` with a JSON body
  ``{"taskArn": "..."}`` (that task, which must be a RUNNING FARGATE_SPOT task) or
  ``{"count": N}`` (optionally ``"cluster": NAME``: the first N running FARGATE_SPOT
  tasks in store order); answers ``{"interrupted": [task ARNs]}``;
- the clock: ``CARGOBAY_FARGATE_SPOT_INTERRUPTION_RATE`` interruptions per task-hour
  (default 0: never), drawn once a simulated-or-real minute for each running
  FARGATE_SPOT task.
"""

from __future__ import annotations

import json
import logging
import os
import random
from typing import TYPE_CHECKING, Any

from cargobay.protocol.http import HttpRequest, HttpResponse
from cargobay.services.ecs import arns
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.task_lifecycle import category, desire_stop
from cargobay.services.ecs.task_writes import commit

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.ecs.spot")

Doc = dict[str, Any]

PATH = "/_cargobay/ecs/fargate-spot/interrupt"
PROVIDER = "FARGATE_SPOT"
STOP_CODE = "SpotInterruption"
REASON = "Your Spot Task was interrupted."
RATE_ENV = "CARGOBAY_FARGATE_SPOT_INTERRUPTION_RATE"
TICK = 60.0


def running_spot(store: Any, cluster: str | None = None) -> list[tuple[str, Doc]]:
    return [
        (k, t) for k, t in store.scan(tasks.TABLE, "")
        if t.get("capacityProviderName") == PROVIDER and t.get("desiredStatus") == "RUNNING"
        and t.get("lastStatus") == "RUNNING"
        and (cluster is None or t.get("_cluster") == cluster)
    ]


def interrupt(app: App, key: str, task: Doc) -> bool:
    """The warning: desiredStatus STOPPED with stopCode SpotInterruption (the runtime
    sends SIGTERM, then SIGKILL after the container's stopTimeout) and the task state
    change event."""
    store = app.store
    before = category(task)
    if not desire_stop(task, STOP_CODE, REASON, app.clock.now()):
        return False
    with store.batch():
        ikey = commit(store, task, before, desired_changed=True)
    if ikey is not None:
        app.agent_channel.notify(ikey)
    task_state_change(app, task)
    return True


def _answer(status: int, body: Doc) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")],
                        json.dumps(body).encode())


async def handle(app: App, req: HttpRequest) -> HttpResponse:
    if req.method != "POST":
        return _answer(405, {"message": "POST a JSON body with taskArn or count."})
    try:
        body = json.loads(req.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return _answer(400, {"message": "The body must be a JSON object."})
    chosen: list[tuple[str, Doc]] = []
    if "taskArn" in body:
        parsed = arns.parse_arn(str(body["taskArn"]))
        key = None
        if parsed is not None and parsed.resource_type == "task" and "/" in parsed.resource:
            key = f"{parsed.account_id}/{parsed.region}/{parsed.resource}"
        task = app.store.get(tasks.TABLE, key) if key else None
        if key is None or task is None:
            return _answer(404, {"message": "The task was not found."})
        if task.get("capacityProviderName") != PROVIDER or task["desiredStatus"] != "RUNNING":
            return _answer(400, {"message": "The task is not a running FARGATE_SPOT task."})
        chosen = [(key, task)]
    elif isinstance(body.get("count"), int) and body["count"] >= 0:
        cluster = body.get("cluster")
        chosen = running_spot(app.store, str(cluster) if cluster else None)[: body["count"]]
    else:
        return _answer(400, {"message": "Give taskArn or a count (>= 0)."})
    done = [t["taskArn"] for k, t in chosen if interrupt(app, k, t)]
    return _answer(200, {"interrupted": done})


class SpotInterrupter:
    """Random interruptions at CARGOBAY_FARGATE_SPOT_INTERRUPTION_RATE per task-hour."""

    def __init__(self, app: App, seed: int | None = None) -> None:
        self.app = app
        self.rate = float(os.environ.get(RATE_ENV, "0") or 0)
        self.rng = random.Random(seed)

    async def run(self) -> None:
        if self.rate <= 0:
            return
        chance = min(1.0, self.rate * TICK / 3600.0)
        while True:
            await self.app.clock.sleep(TICK)
            try:
                for key, task in running_spot(self.app.store):
                    if self.rng.random() < chance:
                        interrupt(self.app, key, task)
            except Exception:  # keep the loop alive; the next minute tries again
                log.exception("Fargate Spot interruption pass failed")
