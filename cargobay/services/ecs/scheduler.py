"""The service scheduler: a reconcile loop on the app's clock.

Each pass looks at every service (a full pass, once a second) or at the services whose
tasks changed since the last one (woken by the task index, service_tasks.py, or by the
service API) and, from what exists (the store: the service documents and the service's
tasks, each carrying the id of the deployment that started it), decides what to start
and what to stop:

- REPLICA: deployments.plan (desired count, rolling update within minimumHealthyPercent
  / maximumPercent, replacement of stopped and unhealthy tasks, tasks on DRAINING
  instances replaced first); DAEMON: daemon.plan (one task per eligible instance).
- It places new tasks on the cluster's instances (placement_rules: the service's
  constraints and strategies, by default spread over Availability Zones then instances)
  and starts them in-process (service_launch.py); a FARGATE service's tasks need no
  instance (fargate_service.py); stops with ServiceSchedulerInitiated.
- Bookkeeping: a deployment's first healthy task, the circuit breaker (rollback),
  deployments done (COMPLETED) or emptied (INACTIVE), the steady state, a deleted
  service becoming INACTIVE, the service events and EventBridge events of each.

Because the pass counts what exists rather than remembering what it did, a restart
(even a kill -9) resumes where the store stands and starts nothing twice: a task is
stored before the pass moves on.

Throttling: when a service's tasks keep failing before they reach RUNNING, the
scheduler waits between attempts (after 3 in a row: 5 s, doubling, at most 15 min) and
writes "(service NAME) is unable to consistently start tasks successfully.".
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from cargobay.clock import wait_event
from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.ecs import (
    capacity_launch,
    circuit_breaker,
    daemon,
    deployments,
    fargate_run,
    fargate_service,
    placement,
    placement_rules,
    service_events,
    service_launch,
    tag_store,
)
from cargobay.services.ecs import cluster_store as clusters
from cargobay.services.ecs import instance_store as instances
from cargobay.services.ecs import service_store as services
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.deployments import TaskView
from cargobay.services.ecs.events_out import (
    deployment_state_change,
    service_action,
    task_state_change,
)
from cargobay.services.ecs.service_store import ServiceBook
from cargobay.services.ecs.service_tasks import ServiceTasks, TaskState

log = logging.getLogger("cargobay.ecs.scheduler")

Doc = dict[str, Any]

#: seconds between full passes while a service has work in progress (or waits for an
#: instance, resources, a throttle to pass...)
PERIOD = 1.0
#: seconds between full passes when every service is at its steady state, INACTIVE or
#: quiet until a known time (the safety net for a missed wake-up; see scheduler_loop)
IDLE_PERIOD = 30.0
#: tasks started in one pass at most (the rest in the next one, at once)
LAUNCH_BUDGET = 500
#: HEALTHY tasks with health checks re-read on each full pass (see service_tasks.py)
HEALTH_PER_PASS = 256
#: instance statuses re-read on each full pass (the instance operations keep them)
STATUS_VERIFY = 16
#: index entries checked against the store on each full pass
VERIFY_PER_PASS = 256
#: seconds between two "has reached a steady state" events of a service that stays steady
STEADY_REPEAT = 6 * 3600.0
#: throttling of services whose tasks fail to start
THROTTLE_FREE = 3
THROTTLE_BASE = 5.0
THROTTLE_MAX = 900.0

NO_INSTANCES = "No Container Instances were found in your cluster."


def cluster_key_of(service_key: str) -> str:
    return service_key.rsplit("/", 1)[0]


def service_kind(doc: Doc) -> str:
    """EC2 or Fargate: which per-launch-type counters the service counts in."""
    if doc.get("launchType") == "FARGATE":
        return "Fargate"
    strategy = doc.get("capacityProviderStrategy") or []
    if strategy and all(
        s.get("capacityProvider") in ("FARGATE", "FARGATE_SPOT") for s in strategy
    ):
        return "Fargate"
    return "EC2"


def adjust_service_counters(store: Any, doc: Doc, before: str | None, after: str | None) -> None:
    """The cluster's service counters for a service going from ``before`` to ``after``
    (ACTIVE, DRAINING, or None for none)."""
    kind = service_kind(doc)
    deltas: dict[str, int] = {}
    for status, sign in ((before, -1), (after, 1)):
        if status == services.ACTIVE:
            deltas["activeServicesCount"] = deltas.get("activeServicesCount", 0) + sign
            name = f"active{kind}ServiceCount"
            deltas[name] = deltas.get(name, 0) + sign
        elif status == services.DRAINING:
            name = f"draining{kind}ServiceCount"
            deltas[name] = deltas.get(name, 0) + sign
    clusters.adjust_counters(store, cluster_key_of(services.key_of(doc)), deltas)


@dataclass
class _Cluster:
    """One cluster's instances, read once per pass when needed."""

    key: str
    docs: list[placement_rules.Candidate] | None = None
    definitions: dict[str, Doc | None] = field(default_factory=dict)
    daemon_groups: set[str] | None = None
    zones: dict[str, str] = field(default_factory=dict)


@dataclass
class _Outcome:
    placed: list[Doc] = field(default_factory=list)
    stopped: list[Doc] = field(default_factory=list)
    notify: set[str] = field(default_factory=set)
    #: (message, reason) of a task that could not be placed
    unplaced: tuple[str, str] | None = None


class SchedulerOps(EcsBase):
    """The scheduler's state and loop, mixed into the ECS service."""

    _book: ServiceBook
    _index: ServiceTasks
    _wake: asyncio.Event | None
    _pending: set[str]
    _statuses: dict[str, dict[str, str]]
    _status_queue: list[tuple[str, str]]
    #: per cluster, how many times its instances changed (DAEMON services follow it)
    _epoch: dict[str, int]
    _daemon_epoch: dict[str, int]
    _placement_ok: set[str]
    _rng: random.Random
    #: the earliest wall-clock time a service needs a full pass (see scheduler_loop)
    _soonest: float

    def init_scheduler(self) -> None:
        self._book = ServiceBook(self.store)
        self._index = ServiceTasks(self.store)
        self._index.on_change = self._poke
        self._wake = None
        self._pending = set()
        self._statuses = {}
        self._status_queue = []
        self._epoch = {}
        self._daemon_epoch = {}
        self._placement_ok = set()
        self._rng = random.Random()
        self._soonest = float("-inf")

    def reset_scheduler(self) -> None:
        self._book.clear()
        self._index.clear()
        self._pending.clear()
        self._statuses.clear()
        self._status_queue.clear()
        self._epoch.clear()
        self._daemon_epoch.clear()
        self._placement_ok.clear()
        self._soonest = float("-inf")

    def _poke(self, service_key: str | None = None) -> None:
        if service_key is not None:
            self._pending.add(service_key)
        if self._wake is not None:
            self._wake.set()

    # -- the loop ---------------------------------------------------------------------------

    async def scheduler_loop(self) -> None:
        """Passes over the services woken by what changed (the task index, the service
        and instance operations), and full passes: every PERIOD while some service has
        work in progress, else at the earliest time a service is known to need one
        (its steady state to repeat, a STOPPED task to forget, an INACTIVE service to
        purge), at most IDLE_PERIOD apart."""
        self._wake = asyncio.Event()
        last_full = next_full = float("-inf")
        while True:
            self._wake.clear()
            more = False
            try:
                now = self.clock.monotonic()
                if now >= next_full:
                    span = now - last_full
                    last_full = now
                    next_full = now + PERIOD
                    more = self.reconcile(span=span)
                else:
                    more = self.reconcile(self._take_dirty())
            except Exception:  # keep the loop alive; the next pass tries again
                log.exception("scheduler pass failed")
                self._soonest = float("-inf")
            if more:
                await self.clock.sleep(0)
                continue
            # the earliest a service needs a full pass, on the monotonic clock
            due = self.clock.monotonic() + (self._soonest - self.clock.now())
            next_full = max(last_full + PERIOD, min(last_full + IDLE_PERIOD, due))
            await self._nap(max(0.0, next_full - self.clock.monotonic()))

    async def _nap(self, seconds: float) -> None:
        assert self._wake is not None
        await wait_event(self.clock, self._wake, seconds)

    def _due(self, when: float) -> None:
        """A service needs a full pass at ``when`` (wall clock) at the latest."""
        if when < self._soonest:
            self._soonest = when

    def _take_dirty(self) -> set[str]:
        out = self._index.dirty | self._pending
        self._index.dirty = set()
        self._pending = set()
        return out

    # -- one pass ---------------------------------------------------------------------------

    def reconcile(self, only: set[str] | None = None, budget: int = LAUNCH_BUDGET,
                  span: float = PERIOD) -> bool:
        """One pass over every service (``only``: over those).  Returns True when it
        stopped for its launch budget (more to do at once).  ``span``: the seconds since
        the last full pass; the store is re-read at the same rate per second however
        far apart full passes are."""
        now = self.clock.now()
        if only is None:
            self._take_dirty()
            self._soonest = float("inf")
            scale = max(1.0, min(span, IDLE_PERIOD) / PERIOD)
            self._index.verify(int(VERIFY_PER_PASS * scale))
            self._index.watch_health(int(HEALTH_PER_PASS * scale))
            self._verify_statuses(int(STATUS_VERIFY * scale))
            keys = self._book.keys()
        else:
            keys = sorted(k for k in only if self._book.peek(k) is not None)
        full = only is None
        left = budget
        for ckey, group in itertools.groupby(keys, key=cluster_key_of):
            cluster = _Cluster(ckey)
            skeys = list(group)
            for i, skey in enumerate(skeys):
                svc = self._book.peek(skey)
                if svc is None:
                    continue
                try:
                    left -= self._service_pass(cluster, skey, svc, now, left, full)
                except Exception:
                    log.exception("scheduler: service %s", skey)
                    self._book.reload(skey)
                    self._due(now)
                if left <= 0:
                    self._pending |= set(skeys[i + 1:])
                    self._pending |= {k for k in keys if cluster_key_of(k) > ckey}
                    return True
        return False

    def _service_pass(
        self, cluster: _Cluster, skey: str, svc: Doc, now: float, budget: int, full: bool
    ) -> int:
        """Reconcile one service; returns how many tasks it started."""
        if svc["status"] == services.INACTIVE:
            inactive_at = float(svc.get("_inactiveAt", now))
            if full and now - inactive_at > services.INACTIVE_RETENTION:
                self._purge(skey, svc)
            else:
                self._due(inactive_at + services.INACTIVE_RETENTION)
            return 0
        states = self._index.of(skey)
        stale: list[TaskState] | None = None
        for st in states.values():
            if (st.last_status == "STOPPED"
                and now - float(st.stopped_at or now) > tasks.STOPPED_RETENTION) or (
                # not HEALTHY yet: its health is written by the agent channel, read it
                st.checked and st.last_status == "RUNNING" and st.desired == "RUNNING"
                and st.health != "HEALTHY"
            ):
                if stale is None:
                    stale = []
                stale.append(st)
        for st in stale or []:
            if st.last_status == "STOPPED":
                self._index.forget(skey, st.task_id)
            else:
                self._index.refresh(skey, st)
        if self._quiet(cluster, svc, states, now, full):
            # nothing to do until its steady state is said again or a STOPPED task of
            # it is to be forgotten (or a change wakes the loop)
            self._due(float(svc["_steadyAt"]) + STEADY_REPEAT)
            for st in states.values():
                if st.last_status == "STOPPED":
                    self._due(float(st.stopped_at or now) + tasks.STOPPED_RETENTION)
            return 0
        out = _Outcome()
        changed = False
        if svc.get("schedulingStrategy") == deployments.DAEMON:
            changed |= self._daemon(cluster, skey, svc, now, budget, out)
        else:
            changed |= self._replica(cluster, skey, svc, now, budget, out, full)
        self._announce(skey, svc, out, now)
        changed |= self._bookkeeping(cluster, skey, svc, now)
        if changed:
            self._book.put(skey, svc)
        if out.unplaced is not None and out.unplaced[1] == NO_INSTANCES and not any(
                st.live for st in self._index.of(skey).values()):
            # nothing running in a cluster with no instance: it waits for one to
            # register (instance_changed wakes the loop), or to say so again
            said = (self.store.get(service_events.TABLE, skey) or {}).get("_last") or {}
            when = said.get(out.unplaced[0])
            self._due(now if when is None else float(when) + service_events.DUPLICATE_WINDOW)
        else:  # work in progress: looked at again on the next full pass (a second on)
            self._due(now)
        return len(out.placed)

    # -- REPLICA ----------------------------------------------------------------------------

    def _quiet(self, cluster: _Cluster, svc: Doc, states: dict[str, TaskState], now: float,
               full: bool) -> bool:
        """A service at its steady state with nothing to write: its one deployment
        COMPLETED, exactly its desired count of healthy tasks of it on ACTIVE instances
        (every task looked at), the steady state written less than six hours ago; for a
        DAEMON, no instance changed since its tasks were planned."""
        if svc["status"] != services.ACTIVE:
            return False
        if svc.get("schedulingStrategy") == deployments.DAEMON and (
            self._daemon_epoch.get(svc["serviceArn"]) != self._epoch.get(cluster.key, 0)
        ):
            return False  # an instance joined, left or changed since it was looked at
        deps = svc.get("deployments") or []
        if len(deps) != 1:
            return False
        primary = deps[0]
        desired = int(svc.get("desiredCount", 0))
        steady_at = svc.get("_steadyAt")
        if (
            primary.get("rolloutState") != deployments.COMPLETED
            or primary.get("desiredCount") != desired
            or steady_at is None
            or now - float(steady_at) >= STEADY_REPEAT
            or (desired and "_succeededAt" not in primary)
        ):
            return False
        if any(st.last_status != "STOPPED" and st.desired != "RUNNING" for st in states.values()):
            return False  # one still stopping
        return _settled(states, primary["id"], desired,
                        self._instance_statuses(cluster))

    @staticmethod
    def _views(svc: Doc, states: dict[str, TaskState], statuses: dict[str, str],
               now: float) -> list[TaskView]:
        grace = float(svc.get("healthCheckGracePeriodSeconds") or 0)
        out: list[TaskView] = []
        for st in states.values():
            if not st.live:
                continue
            started = st.started_at if st.started_at is not None else now
            out.append(TaskView(
                task_id=st.task_id,
                deployment=st.deployment,
                healthy=st.healthy,
                unhealthy=(st.checked and st.health == "UNHEALTHY"
                           and st.last_status == "RUNNING" and now - started >= grace),
                draining=statuses.get(st.instance_key, instances.ACTIVE) != instances.ACTIVE,
                instance=st.instance_key,
                zone=st.zone,
                created_at=st.created_at,
            ))
        return out

    def _replica(self, cluster: _Cluster, skey: str, svc: Doc, now: float, budget: int,
                 out: _Outcome, full: bool) -> bool:
        primary = deployments.primary(svc)
        if primary is None:
            return False
        states = self._index.of(skey)
        active = svc["status"] == services.ACTIVE
        desired = int(svc.get("desiredCount", 0)) if active else 0
        statuses = self._instance_statuses(cluster)
        if _settled(states, primary["id"], desired, statuses):
            return False
        cfg = svc.get("deploymentConfiguration") or {}
        if primary.get("rolloutState") == deployments.FAILED and active:
            return False  # a failed deployment launches no more (and keeps what runs)
        p = deployments.plan(
            desired,
            int(cfg.get("minimumHealthyPercent", 100)) if active else 0,
            int(cfg.get("maximumPercent", 200)),
            primary["id"],
            self._views(svc, states, statuses, now),
            can_start=active,
        )
        if p.start and not self._not_throttled(skey, svc, states, now):
            p.start = 0
        self._stop(skey, svc, states, p.stop, primary["id"], now, out)
        count = min(p.start, budget)
        if count > 0:
            self._start_replica(cluster, skey, svc, primary, count, now, out)
        if p.stuck:
            self._event(skey, svc, service_events.deployment_stuck(svc["serviceName"]), now,
                        dedupe=True)
        return False

    def _start_replica(self, cluster: _Cluster, skey: str, svc: Doc, primary: Doc,
                       count: int, now: float, out: _Outcome,
                       provider: str | None = None) -> None:
        name = svc["serviceName"]
        td = self._launchable(cluster, skey, svc, primary, out)
        if td is None:
            return
        strategy = capacity_launch.strategy_of(svc, primary)
        if strategy and provider is None:
            # each provider's share (capacity_strategy.py); a managed-scaling group's
            # tasks that fit nowhere wait for its scale-out (capacity_scaling.py)
            for name_, n in capacity_launch.plan(self.store, cluster.key, svc, strategy,
                                                 count):
                before, started = out.unplaced, len(out.placed)
                self._start_replica(cluster, skey, svc, primary, n, now, out, name_)
                ctx = services.context_of(skey)
                if out.unplaced is not before and capacity_launch.managed_scaling_on(
                        self.store, ctx, name_):
                    out.unplaced = before
                    out.placed += capacity_launch.wait_for_capacity(
                        self.store, ctx, service=svc, deployment_id=primary["id"], td=td,
                        provider=name_, count=n - (len(out.placed) - started), now=now)
            return
        if fargate_service.is_fargate(svc, primary) or capacity_launch.is_fargate(provider):
            self._start_fargate(skey, svc, primary, td, count, now, out, provider)
            return
        registered = self._instances(cluster)
        if provider is not None:
            registered = [c for c in registered
                          if c.doc.get("capacityProviderName") == provider]
        if not registered:
            self._placement_failed(skey, out, service_events.unable_to_place(
                name, why=NO_INSTANCES), NO_INSTANCES)
            return
        strategies = svc.get("placementStrategy") or []
        rules = placement_rules.rules(svc.get("placementConstraints") or [], strategies, td)
        overrides = service_launch.service_overrides(td)
        needs = placement.task_needs(td, overrides)
        tags = service_launch.task_tags(self.store, svc, td)
        group = f"service:{name}"
        ctx = services.context_of(skey)
        # what does not change while tasks are placed: the agent, attributes, memberOf
        # (and distinctInstance, followed as tasks are placed)
        static = placement_rules.Rules(rules.member_of, False, (), rules.required)
        fixed: list[tuple[placement_rules.Candidate, str]] = []
        open_: list[placement_rules.Candidate] = []
        for c in registered:
            if c.doc["status"] != instances.ACTIVE:
                continue
            why = placement_rules.reason_against(c, placement.Needs(), group, static)
            if why is None and rules.distinct and group in placement.groups(c.doc):
                why = placement_rules.DISTINCT
            if why is None:
                open_.append(c)
            else:
                fixed.append((c, why))
        spread = _Spread(cluster, self._index.of(skey)) if not strategies else None
        for _ in range(count):
            chosen: placement_rules.Candidate | None = None
            if spread is not None:
                # best first; one that lacks resources now lacks them for the whole pass
                while open_ and chosen is None:
                    best = spread.best(open_, self._rng)
                    why = placement.shortfall(best.doc, needs)
                    if why is None:
                        chosen = best
                    else:
                        open_.remove(best)
                        fixed.append((best, why))
                refusals = fixed
            else:
                fits: list[placement_rules.Candidate] = []
                refusals = list(fixed)
                for c in open_:
                    why = placement.shortfall(c.doc, needs)
                    if why is None:
                        fits.append(c)
                    else:
                        refusals.append((c, why))
                if fits:
                    chosen = placement_rules.order(fits, group, rules, self._rng)[0]
            if chosen is None:
                closest, reason = _closest(refusals)
                self._placement_failed(skey, out, service_events.unable_to_place(
                    name, reason=reason, closest=closest), reason or "")
                return
            self._launch_one(ctx, skey, svc, primary["id"], chosen, td, overrides, needs,
                             tags, now, out)
            if spread is not None:
                spread.add(chosen)
            if rules.distinct:
                open_.remove(chosen)
                fixed.append((chosen, placement_rules.DISTINCT))

    def _launch_one(self, ctx: RequestContext, skey: str, svc: Doc, deployment_id: str,
                    chosen: placement_rules.Candidate, td: Doc, overrides: Doc,
                    needs: placement.Needs, tags: list[dict[str, str]], now: float,
                    out: _Outcome) -> None:
        task, ikey = service_launch.launch(
            self.store, ctx, service=svc, deployment_id=deployment_id, chosen=chosen,
            td=td, overrides=overrides, needs=needs, tags=tags, now=now,
        )
        out.placed.append(task)
        if ikey is not None:
            out.notify.add(ikey)
        if skey not in self._placement_ok:
            service_events.resolve(self.store, skey, f"(service {svc['serviceName']}) was "
                                   "unable to place a task")
            self._placement_ok.add(skey)

    def _start_fargate(self, skey: str, svc: Doc, primary: Doc, td: Doc, count: int,
                       now: float, out: _Outcome, provider: str | None = None) -> None:
        """Start ``count`` Fargate tasks of the service: no instance, each its own sandbox."""
        name = svc["serviceName"]
        tags = service_launch.task_tags(self.store, svc, td)
        ctx = services.context_of(skey)
        for _ in range(count):
            try:
                task = fargate_service.launch(self.store, ctx, service=svc, deployment=primary,
                                              td=td, tags=tags, now=now, rng=self._rng,
                                              provider=provider)
            except AwsError as e:
                self._placement_failed(skey, out, service_events.unable_to_launch(
                    name, e.message), e.message)
                return
            if task is None:
                self._placement_failed(skey, out, service_events.unable_to_place(
                    name, why=fargate_run.NO_ADDRESS_DETAIL), fargate_run.NO_ADDRESS_DETAIL)
                return
            out.placed.append(task)
        if skey not in self._placement_ok:
            service_events.resolve(self.store, skey, f"(service {name}) was "
                                   "unable to place a task")
            self._placement_ok.add(skey)

    def _launchable(self, cluster: _Cluster, skey: str, svc: Doc, deployment: Doc,
                    out: _Outcome) -> Doc | None:
        """The deployment's task definition if its tasks can run here, else None (and the
        service's event saying why)."""
        name = svc["serviceName"]
        reason: str | None = None
        launch_type = deployment.get("launchType", svc.get("launchType"))
        if launch_type not in (None, "EC2", "FARGATE"):
            reason = f"cargobay does not run tasks with the {launch_type} launch type yet."
        td = self._definition(cluster, skey, deployment["taskDefinition"])
        if reason is None and td is None:
            reason = "TaskDefinition not found."
        if reason is not None:
            self._placement_failed(skey, out, service_events.unable_to_launch(name, reason),
                                   reason)
            return None
        return td

    def _definition(self, cluster: _Cluster, skey: str, arn: str) -> Doc | None:
        if arn not in cluster.definitions:
            ctx = services.context_of(skey)
            cluster.definitions[arn] = self.find_task_definition(  # type: ignore[attr-defined]
                ctx, arn
            )
        td: Doc | None = cluster.definitions[arn]
        return td

    def _placement_failed(self, skey: str, out: _Outcome, message: str, reason: str) -> None:
        self._placement_ok.discard(skey)
        out.unplaced = (message, reason)

    # -- DAEMON -----------------------------------------------------------------------------

    def _daemon(self, cluster: _Cluster, skey: str, svc: Doc, now: float, budget: int,
                out: _Outcome) -> bool:
        primary = deployments.primary(svc)
        if primary is None:
            return False
        active = svc["status"] == services.ACTIVE
        td = self._definition(cluster, skey, primary["taskDefinition"])
        states = self._index.of(skey)
        registered = self._instances(cluster)
        rules = placement_rules.rules(svc.get("placementConstraints") or [], [], td or {})
        daemons = self._daemon_groups(cluster)
        self._daemon_epoch[svc["serviceArn"]] = self._epoch.get(cluster.key, 0)
        stopping = {st.instance_key for st in states.values()
                    if not st.live and not st.stopped}
        hosts: list[daemon.Host] = []
        for c in registered:
            status = c.doc["status"]
            if status == instances.INACTIVE:
                continue
            hosts.append(daemon.Host(
                key=c.key,
                status=status,
                eligible=status == instances.ACTIVE and _meets(c, rules),
                only_daemons=all(g in daemons for g in placement.groups(c.doc)),
                stopping=c.key in stopping,
            ))
        views = self._views(svc, states, self._instance_statuses(cluster), now)
        cfg = svc.get("deploymentConfiguration") or {}
        p = daemon.plan(primary["id"], int(cfg.get("minimumHealthyPercent", 0)),
                        int(cfg.get("maximumPercent", 100)), hosts, views,
                        can_start=active and primary.get("rolloutState") != deployments.FAILED,
                        active=active)
        if p.start_on and not self._not_throttled(skey, svc, states, now):
            p.start_on = []
        changed = False
        if active and int(svc.get("desiredCount", 0)) != p.desired:
            svc["desiredCount"] = p.desired
            changed = True
        self._stop(skey, svc, states, p.stop, primary["id"], now, out)
        violated = [tid for tid, why in p.stop if why == "constraint"]
        if violated:
            self._event(skey, svc, service_events.daemon_constraint_violated(
                svc["serviceName"], violated), now)
            service_action(self.app, service_arn=svc["serviceArn"],
                           cluster_arn=svc["clusterArn"],
                           event_name="SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED",
                           event_type="ERROR")
        targets = p.start_on[:budget]
        if targets:
            td = self._launchable(cluster, skey, svc, primary, out)
        if targets and td is not None:
            overrides = service_launch.service_overrides(td)
            needs = placement.task_needs(td, overrides)
            tags = service_launch.task_tags(self.store, svc, td)
            by_key = {c.key: c for c in registered}
            ctx = services.context_of(skey)
            for key in targets:
                c = by_key[key]
                why = placement_rules.reason_against(c, needs, f"service:{svc['serviceName']}",
                                                     rules)
                if why is not None:
                    self._placement_failed(skey, out, service_events.unable_to_place(
                        svc["serviceName"], reason=why,
                        closest=c.doc["containerInstanceArn"].rsplit("/", 1)[-1]), why)
                    continue
                self._launch_one(ctx, skey, svc, primary["id"], c, td, overrides, needs,
                                 tags, now, out)
        return changed

    def _daemon_groups(self, cluster: _Cluster) -> set[str]:
        if cluster.daemon_groups is None:
            cluster.daemon_groups = set()
            for skey in self._book.keys(cluster.key + "/"):
                doc = self._book.peek(skey)
                if doc is not None and doc.get("schedulingStrategy") == deployments.DAEMON:
                    cluster.daemon_groups.add(f"service:{doc['serviceName']}")
        return cluster.daemon_groups

    # -- shared -----------------------------------------------------------------------------

    def _instances(self, cluster: _Cluster) -> list[placement_rules.Candidate]:
        """The cluster's registered instances, read fresh (once per pass)."""
        if cluster.docs is None:
            cluster.docs = [
                placement_rules.Candidate(k, doc)
                for k, doc in self.store.scan(instances.TABLE, cluster.key + "/")
                if doc["status"] != instances.INACTIVE
            ]
            known = self._statuses.setdefault(cluster.key, {})
            known.clear()
            known.update((c.key, c.doc["status"]) for c in cluster.docs)
        return cluster.docs

    def _instance_statuses(self, cluster: _Cluster) -> dict[str, str]:
        """Which instances are ACTIVE or DRAINING: read once, then kept by the instance
        operations (instance_changed) and checked a few at a time on each full pass."""
        if cluster.key not in self._statuses:
            self._instances(cluster)
        return self._statuses.get(cluster.key, {})

    def instance_changed(self, cluster_key: str, instance_key: str | None = None,
                         status: str | None = None) -> None:
        """An instance of the cluster registered, changed status or attributes, or was
        deregistered (called by the instance operations): the cluster's services are
        looked at again."""
        self._epoch[cluster_key] = self._epoch.get(cluster_key, 0) + 1
        if instance_key is not None and status is not None:
            known = self._statuses.get(cluster_key)
            if known is not None:
                known[instance_key] = status
        self._pending.update(self._book.keys(cluster_key + "/"))
        self._poke()

    def _verify_statuses(self, count: int) -> None:
        """Re-read ``count`` instances whose status is kept (round robin)."""
        if not self._status_queue:
            self._status_queue = [(c, k) for c, known in self._statuses.items() for k in known]
        for _ in range(min(count, len(self._status_queue))):
            ckey, ikey = self._status_queue.pop()
            doc = self.store.get(instances.TABLE, ikey)
            status = instances.INACTIVE if doc is None else str(doc["status"])
            known = self._statuses.get(ckey)
            if known is not None and known.get(ikey) != status:
                self.instance_changed(ckey, ikey, status)

    def _not_throttled(self, skey: str, svc: Doc, states: dict[str, TaskState],
                       now: float) -> bool:
        """Whether the service may start tasks now (throttling, see the module doc): the
        primary deployment's tasks that failed to start since it began (or rolled back)
        and since the last task of the service started."""
        primary = deployments.primary(svc) or {}
        since = float(primary.get("_since") or 0.0)
        last_run = max([since, *(st.started_at or 0.0 for st in states.values())])
        failures = [
            float(st.stopping_at or st.stopped_at or 0.0)
            for st in states.values()
            if not st.live and not st.ran and st.deployment == primary.get("id")
            and st.stop_code not in (circuit_breaker.SERVICE_SCHEDULER_INITIATED,
                                     circuit_breaker.USER_INITIATED)
            and float(st.stopping_at or st.stopped_at or 0.0) >= last_run
        ]
        if len(failures) <= THROTTLE_FREE:
            return True
        delay = min(THROTTLE_MAX, THROTTLE_BASE * 2 ** (len(failures) - THROTTLE_FREE - 1))
        if now >= max(failures) + delay:
            return True
        if self._event(skey, svc, service_events.start_impaired(svc["serviceName"]), now,
                       dedupe=True):
            service_action(self.app, service_arn=svc["serviceArn"],
                           cluster_arn=svc["clusterArn"],
                           event_name="SERVICE_TASK_START_IMPAIRED", event_type="WARN")
        return False

    def _stop(self, skey: str, svc: Doc, states: dict[str, TaskState],
              stops: list[tuple[str, str]], primary_id: str, now: float,
              out: _Outcome) -> None:
        for task_id, why in stops:
            st = states.get(task_id)
            if st is None:
                continue
            doc = self.store.get(tasks.TABLE, st.key)
            if doc is None:
                self._index.forget(skey, task_id)
                continue
            reason = (circuit_breaker.HEALTH_CHECK_REASON if why == "unhealthy"
                      else service_launch.scaling_reason(primary_id))
            done, ikey = service_launch.stop(self.store, doc, reason, now)
            if done:
                out.stopped.append(doc)
                if ikey is not None:
                    out.notify.add(ikey)

    def _event(self, skey: str, svc: Doc, message: str, now: float, *,
               dedupe: bool = False) -> bool:
        return service_events.add(self.store, skey, message, now, dedupe=dedupe)

    def _announce(self, skey: str, svc: Doc, out: _Outcome, now: float) -> None:
        name = svc["serviceName"]
        if out.stopped:
            ids = [t["taskArn"].rsplit("/", 1)[-1] for t in out.stopped]
            self._event(skey, svc, service_events.stopped(name, ids), now)
            service_action(self.app, service_arn=svc["serviceArn"],
                           cluster_arn=svc["clusterArn"], event_name="TASKS_STOPPED",
                           event_type="INFO")
        if out.placed:
            ids = [t["taskArn"].rsplit("/", 1)[-1] for t in out.placed]
            self._event(skey, svc, service_events.started(name, ids), now)
        if out.unplaced is not None:
            message, reason = out.unplaced
            if self._event(skey, svc, message, now, dedupe=True):
                service_action(self.app, service_arn=svc["serviceArn"],
                               cluster_arn=svc["clusterArn"],
                               event_name="SERVICE_TASK_PLACEMENT_FAILURE",
                               event_type="ERROR", reason=reason)
        for k in out.notify:
            self.app.agent_channel.notify(k)
        for t in (*out.stopped, *out.placed):
            task_state_change(self.app, t)

    # -- bookkeeping ------------------------------------------------------------------------

    def _bookkeeping(self, cluster: _Cluster, skey: str, svc: Doc, now: float) -> bool:
        """Deployments' states, the circuit breaker, the steady state, a deleted service
        going INACTIVE.  Changes ``svc`` in place; True if it changed."""
        name = svc["serviceName"]
        states = self._index.of(skey)
        statuses = self._statuses.get(cluster.key, {})
        changed = False
        # one look at every task: by deployment, live (desired RUNNING) and unfinished
        # (not STOPPED yet), healthy, and on an ACTIVE instance
        alive: dict[str, int] = {}
        unfinished: dict[str, int] = {}
        healthy: dict[str, int] = {}
        placed_ok: dict[str, int] = {}
        live = 0
        for st in states.values():
            if st.last_status == "STOPPED":
                continue
            d = st.deployment
            unfinished[d] = unfinished.get(d, 0) + 1
            if st.desired != "RUNNING":
                continue
            live += 1
            alive[d] = alive.get(d, 0) + 1
            if st.last_status == "RUNNING" and (not st.checked or st.health == "HEALTHY"):
                healthy[d] = healthy.get(d, 0) + 1
                if statuses.get(st.instance_key, instances.ACTIVE) == instances.ACTIVE:
                    placed_ok[d] = placed_ok.get(d, 0) + 1
        total_unfinished = sum(unfinished.values())

        for d in svc.get("deployments", []):
            if "_succeededAt" not in d and healthy.get(d["id"]):
                d["_succeededAt"] = now
                changed = True

        trip = circuit_breaker.check(svc, states.values(), now)
        if trip is not None:
            changed = True
            self._event(skey, svc, service_events.deployment_failed(name, trip.failed), now)
            deployment_state_change(self.app, service_arn=svc["serviceArn"],
                                    deployment_id=trip.failed,
                                    event_name="SERVICE_DEPLOYMENT_FAILED",
                                    reason=deployments.FAILED_REASON, event_type="ERROR")
            if trip.rolled_back_to is not None:
                self._event(skey, svc, service_events.rolling_back(name, trip.rolled_back_to),
                            now)
                deployment_state_change(self.app, service_arn=svc["serviceArn"],
                                        deployment_id=trip.rolled_back_to,
                                        event_name="SERVICE_DEPLOYMENT_IN_PROGRESS",
                                        reason=deployments.rollback_reason(
                                            trip.rolled_back_to))
            self._poke(skey)

        primary = deployments.primary(svc)
        active = svc["status"] == services.ACTIVE
        desired = int(svc.get("desiredCount", 0)) if active else 0
        mine = alive.get(primary["id"], 0) if primary is not None else 0
        if primary is not None:
            # every task the primary's, on an ACTIVE instance and healthy; nothing else left
            done = (mine == desired == placed_ok.get(primary["id"], 0)
                    and total_unfinished == mine)
            if active and done and primary.get("rolloutState") == deployments.IN_PROGRESS:
                primary.update(rolloutState=deployments.COMPLETED,
                               rolloutStateReason=deployments.completed_reason(primary["id"]),
                               updatedAt=now)
                svc["_lastCompleted"] = {k: v for k, v in primary.items() if k != "status"}
                changed = True
                self._event(skey, svc, service_events.deployment_completed(
                    name, primary["id"]), now)
                deployment_state_change(self.app, service_arn=svc["serviceArn"],
                                        deployment_id=primary["id"],
                                        event_name="SERVICE_DEPLOYMENT_COMPLETED",
                                        reason=deployments.completed_reason(primary["id"]))
            if primary.get("desiredCount") != desired:
                primary.update(desiredCount=desired, updatedAt=now)
                changed = True

        kept: list[Doc] = []
        settled = primary is not None and primary.get("rolloutState") == deployments.COMPLETED
        for d in svc.get("deployments", []):
            if d["status"] == deployments.PRIMARY:
                kept.append(d)
                continue
            n = alive.get(d["id"], 0)
            # a FAILED deployment stays in view until the one after it completes
            gone = n == 0 and not unfinished.get(d["id"])
            if gone and (settled or d.get("rolloutState") != deployments.FAILED):
                changed = True  # INACTIVE: completely replaced
                continue
            if d.get("desiredCount") != n:
                d.update(desiredCount=n, updatedAt=now)
                changed = True
            kept.append(d)
        if len(kept) != len(svc.get("deployments", [])):
            svc["deployments"] = kept

        steady = (
            active
            and settled
            and len(kept) == 1
            and live == desired == total_unfinished == mine
            and healthy.get(primary["id"] if primary else "", 0) == desired
        )
        if steady:
            last = svc.get("_steadyAt")
            if last is None or now - float(last) >= STEADY_REPEAT:
                svc["_steadyAt"] = now
                changed = True
                self._event(skey, svc, service_events.steady(name), now)
                service_action(self.app, service_arn=svc["serviceArn"],
                               cluster_arn=svc["clusterArn"],
                               event_name="SERVICE_STEADY_STATE", event_type="INFO")
        elif svc.get("_steadyAt") is not None:
            svc["_steadyAt"] = None
            changed = True

        if svc["status"] == services.DRAINING and not live:
            svc["status"] = services.INACTIVE
            svc["_inactiveAt"] = now
            adjust_service_counters(self.store, svc, services.DRAINING, None)
            changed = True
        return changed

    def _purge(self, skey: str, svc: Doc) -> None:
        with self.store.batch():
            self._book.delete(skey)
            service_events.drop(self.store, skey)
            tag_store.drop_tags(self.store, svc["serviceArn"])
        self._index.drop_service(skey)
        self._placement_ok.discard(skey)


class _Spread:
    """The default placement (spread over Availability Zones, then instances) counted
    from the service's own tasks: the instance in the zone with the fewest of them,
    then with the fewest itself, first (ties at random)."""

    def __init__(self, cluster: _Cluster, states: dict[str, TaskState]) -> None:
        self.cluster = cluster
        self.hosts: dict[str, int] = {}
        self.zones: dict[str, int] = {}
        for st in states.values():
            if st.live:
                self.hosts[st.instance_key] = self.hosts.get(st.instance_key, 0) + 1
                self.zones[st.zone] = self.zones.get(st.zone, 0) + 1

    def zone(self, c: placement_rules.Candidate) -> str:
        z = self.cluster.zones.get(c.key)
        if z is None:
            z = str(instances.attributes_map(c.doc).get("ecs.availability-zone") or "")
            self.cluster.zones[c.key] = z
        return z

    def best(self, fits: list[placement_rules.Candidate],
             rng: random.Random) -> placement_rules.Candidate:
        return min(fits, key=lambda c: (self.zones.get(self.zone(c), 0),
                                        self.hosts.get(c.key, 0), rng.random()))

    def add(self, c: placement_rules.Candidate) -> None:
        self.hosts[c.key] = self.hosts.get(c.key, 0) + 1
        z = self.zone(c)
        self.zones[z] = self.zones.get(z, 0) + 1


def _settled(states: dict[str, TaskState], primary_id: str, desired: int,
             statuses: dict[str, str]) -> bool:
    """Nothing for the rolling update to do: exactly ``desired`` tasks not asked to stop,
    every one the primary deployment's, RUNNING, healthy, on an ACTIVE instance (the
    common case, checked without building the plan's views)."""
    n = 0
    for st in states.values():
        if st.desired != "RUNNING" or st.last_status == "STOPPED":
            continue
        n += 1
        if (
            st.deployment != primary_id
            or st.last_status != "RUNNING"
            or (st.checked and st.health != "HEALTHY")
            or statuses.get(st.instance_key, instances.ACTIVE) != instances.ACTIVE
        ):
            return False
    return n == desired


def _closest(refusals: list[tuple[placement_rules.Candidate, str]]) -> tuple[str | None,
                                                                            str | None]:
    """The instance that came closest (a resource short, rather than failing a rule) and
    its reason."""
    if not refusals:
        return None, None
    ranked = sorted(refusals, key=lambda r: (not r[1].startswith("RESOURCE:"),
                                             r[1] == placement_rules.AGENT))
    c, why = ranked[0]
    return str(c.doc["containerInstanceArn"]).rsplit("/", 1)[-1], why


def _meets(c: placement_rules.Candidate, rules: placement_rules.Rules) -> bool:
    """Whether an instance meets the service's constraints and the task definition's
    required attributes (resources and the agent aside)."""
    probe = placement_rules.Candidate(c.key, {**c.doc, "agentConnected": True})
    rule = placement_rules.Rules(rules.member_of, False, (), rules.required)
    return placement_rules.reason_against(probe, placement.Needs(), "", rule) is None
