"""The Fargate fleet: runs every FARGATE task, inside the control plane's process.

There is no container instance: the fleet follows the desired set the task writes
keep (fargate_index: every Fargate task not STOPPED, with its desired status) and
gives each task the agent's own supervisor (agent/task_runner.TaskRunner), over a
runtime sized to the task (sandbox.SizedRuntime).  It reports as agents do, through
SubmitTaskStateChange / SubmitContainerStateChange (plane.InProcessEcs: the
dispatcher, in-process), so the task's lifecycle, timestamps and stop codes are the
EC2 ones.  Before a new task's containers start, its ENI attachment is reported
ATTACHED; the task write that stores it STOPPED detaches it and frees its address.

- **Runtime**: ``CARGOBAY_FARGATE_RUNTIME`` = ``docker`` | ``process``; unset: Docker
  when an engine answers, else processes.  Opened when the first Fargate task appears.
- **Logs**: each container's output goes to its file, to CloudWatch Logs with the
  awslogs driver (the agent's AwsLogs, with execution-role credentials in-process), and
  under ``cargobay up`` to stdout (the embedded agent's echo).
- **Containers see their address**: ``CARGOBAY_TASK_IPV4`` in their environment,
  ``AWS_EXECUTION_ENV=AWS_ECS_FARGATE``, and the metadata endpoint v4's
  ``Networks[0].IPv4Addresses`` (the fleet's own MetadataServer on 127.0.0.1).
- **State**: each task's TaskRecord (containers' runtime ids, metadata tokens, the
  task-role credentials id and token but not the keys, what was reported) is kept in
  the store (table ``ecs.fargate_runs``), so after a ``kill -9`` of the server the
  fleet finds its tasks again: on Docker the containers kept running and are adopted,
  with the same credentials endpoint and fresh keys (the metadata endpoint's port is
  kept too, table ``ecs.fargate_fleet``); on the process runtime the containers were
  the server's children: their leftover processes are killed (orphans.py) and the task
  is STOPPED with stopCode TerminationNotice and :data:`LOST_REASON`.
- **Shutdown**: Docker containers keep running (adopted at the next start); process
  containers are stopped with their server, and their STOPPED reports stored.
- **Reset** (POST /_cargobay/reset): every task is stopped and forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import tempfile
from typing import TYPE_CHECKING, Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.awslogs import AwsLogs
from cargobay.agent.container_run import ContainerRun
from cargobay.agent.ecs_client import ApiError
from cargobay.agent.logs import LogEcho, log_path
from cargobay.agent.metadata_server import MetadataServer
from cargobay.agent.reporter import Reporter
from cargobay.agent.runtime import ContainerHandle, ContainerStats, Runtime, open_runtime
from cargobay.agent.state import TaskRecord
from cargobay.agent.task_iam import TaskIam
from cargobay.agent.task_runner import RunnerContext, TaskRunner
from cargobay.clock import wait_event
from cargobay.fargate import cpu_quota, orphans
from cargobay.fargate.plane import InProcessEcs, InProcessPlane
from cargobay.fargate.sandbox import SizedRuntime, sized
from cargobay.fargate.usage import FleetUsage
from cargobay.services.ecs import fargate_index, fargate_network, service_tasks
from cargobay.services.ecs import task_store as tasks
from cargobay.services.ecs.events_out import task_state_change
from cargobay.services.ecs.task_lifecycle import (
    TASK_FAILED_TO_START,
    TERMINATION_NOTICE,
    apply_health,
    category,
    desire_stop,
    finish,
    started,
)
from cargobay.services.ecs.task_writes import commit
from cargobay.services.efs.mounts import assignment_volumes

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.fargate")

Doc = dict[str, Any]

RUNS = "ecs.fargate_runs"
FLEET = "ecs.fargate_fleet"
RUNTIME_ENV = "CARGOBAY_FARGATE_RUNTIME"
#: the task's own address, in every container's environment
IP_VARIABLE = "CARGOBAY_TASK_IPV4"
EXECUTION_ENV = "AWS_ECS_FARGATE"
SUBNET_CIDR = "127.1.0.0/16"
#: seconds between looks at the desired set when nothing woke the fleet
RESCAN = 1.0
#: the same when the fleet runs no task
IDLE_RESCAN = 60.0
#: the most a process container gets to stop when the server shuts down
SHUTDOWN_STOP_TIMEOUT = 10.0
SHUTDOWN_REPORT_WAIT = 2.0
LOST_REASON = (
    "Task stopped: the cargobay server restarted and the task's processes were lost "
    "(Fargate on the process runtime)"
)
SHUTDOWN_REASON = "Task stopped: the cargobay server shut down (Fargate on the process runtime)"
FORGOTTEN_REASON = "Task stopped: no longer listed for the Fargate fleet"
NO_RUNTIME = "ResourceInitializationError: the Fargate fleet has no container runtime: "


class FargateFleet:
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
        self.api = InProcessEcs(app)
        self.reporter = Reporter(self.api, self.clock, lambda: "", self._on_sent)
        self.runtime: Runtime | None = None
        self.runtime_error: str | None = None
        self.metadata: MetadataServer | None = None
        self.iam: TaskIam | None = None
        #: the awslogs log driver (container output to CloudWatch Logs), as agents have
        self.awslogs: AwsLogs | None = None
        self._awslogs_task: asyncio.Task[None] | None = None
        self.runners: dict[str, TaskRunner] = {}  # by task key
        self._runner_tasks: dict[str, asyncio.Task[None]] = {}
        self._tokens: dict[str, tuple[TaskRunner, ContainerRun]] = {}
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._log_dir: str | None = None
        self._closed = False
        #: the tasks' real CPU and memory use, for ECS's service metrics
        self.usage = FleetUsage(app, lambda: self.runtime, self.runners)

    # -- life ------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closed = False
        fargate_index.listen(self.store, self.wake)
        self._main = asyncio.create_task(self._run(), name="fargate-fleet")
        self.usage.start()

    def wake(self) -> None:
        """Look at the desired set again soon (callable from any thread)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        self._closed = True
        fargate_index.unlisten(self.store, self.wake)
        await self.usage.stop()
        if self._main is not None:
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
            self._main = None
        if self.runtime is not None and getattr(self.runtime, "adopt", None) is None:
            self._desire_stop_all(SHUTDOWN_REASON)
            await self._stop_all(SHUTDOWN_REASON)
        for t in self._runner_tasks.values():
            t.cancel()
        for t in list(self._runner_tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for r in self.runners.values():
            if isinstance(r.ctx.runtime, SizedRuntime) and r.done.is_set():
                r.ctx.runtime.release()
        await self.reporter.close()
        if self.awslogs is not None:
            self.awslogs.close()
        if self._awslogs_task is not None:
            self._awslogs_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._awslogs_task
            self._awslogs_task = None
        self.awslogs = None
        if self.iam is not None:
            self.iam.close()
        if self.metadata is not None:
            await self.metadata.close()
        if self.runtime is not None:
            await self.runtime.close()
        self.runners.clear()
        self._runner_tasks.clear()
        self._tokens.clear()
        self.runtime = self.metadata = self.iam = None

    def reset(self) -> None:
        """The store was cleared: stop every task (their reports find nothing)."""
        for runner in self.runners.values():
            runner.stop(FORGOTTEN_REASON)
        self.wake()

    def _desire_stop_all(self, reason: str) -> None:
        """The control plane's side of a shutdown: every task the fleet runs is asked to
        stop (stopCode TerminationNotice, as for a host that goes away)."""
        now = self.clock.now()
        for key in list(self.runners):
            task = self.store.get(tasks.TABLE, key)
            if task is None or task["lastStatus"] == "STOPPED":
                continue
            before = category(task)
            code = TERMINATION_NOTICE if started(task) else TASK_FAILED_TO_START
            if desire_stop(task, code, reason, now):
                commit(self.store, task, before, desired_changed=True)

    async def _stop_all(self, reason: str) -> None:
        for r in self.runners.values():
            for c in r.containers.values():
                if c.spec is not None:
                    c.spec.stop_timeout = min(c.spec.stop_timeout, SHUTDOWN_STOP_TIMEOUT)
            r.stop(reason)
        waits = [t for t in self._runner_tasks.values() if not t.done()]
        if waits:
            await asyncio.wait(waits)
        with contextlib.suppress(TimeoutError):
            from cargobay.agent.runtime.clocked import wait_for

            await wait_for(
                self.clock,
                asyncio.gather(
                    *(self.reporter.drained(r.task.task_arn) for r in self.runners.values())
                ),
                SHUTDOWN_REPORT_WAIT,
            )

    async def _run(self) -> None:
        for _ in range(1_000_000_000):  # bounded: each pass waits for a change or a rescan
            self._wake.clear()
            try:
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the Fargate fleet could not reconcile")
            # with no task to follow, only a change to the desired set (which wakes the
            # fleet: fargate_index.listen) gives it work; IDLE_RESCAN is a safety net
            await wait_event(self.clock, self._wake, RESCAN if self.runners else IDLE_RESCAN)

    # -- the desired set --------------------------------------------------------------

    async def reconcile(self) -> None:
        """Start what is listed and not running, stop what is asked to stop, forget
        what has finished."""
        live = dict(fargate_index.live(self.store))
        if live and self.runtime is None and self.runtime_error is None:
            await self._open()
        for key, entry in live.items():
            runner = self.runners.get(key)
            if runner is None:
                if self.runtime is None:
                    self._fail(key, NO_RUNTIME + str(self.runtime_error))
                else:
                    await self._start_task(key)
            elif entry.get("desired") == "STOPPED" and runner.desired != "STOPPED":
                doc = runner.task.to_doc()
                doc.update(desiredStatus="STOPPED", stopReason=entry.get("stopReason") or None)
                runner.update(Assignment.from_doc(doc))
        for key in [k for k in self.runners if k not in live]:
            runner = self.runners[key]
            if runner.done.is_set():
                if not self.reporter.pending(runner.task.task_arn):
                    self._forget(key)
            else:
                runner.stop(FORGOTTEN_REASON)

    async def _open(self) -> None:
        """The runtime, the metadata endpoint and the credentials manager."""
        kind = os.environ.get(RUNTIME_ENV) or None
        try:
            self.runtime = await open_runtime(kind, self.clock)
        except (ConnectionError, ValueError) as e:
            log.error("the Fargate fleet cannot open its runtime (%s): %s", kind, e)
            self.runtime_error = str(e)
            return
        log.info("the Fargate fleet runs tasks on the %s runtime", self.runtime.name)
        saved = self.store.get(FLEET, "metadata") or {}
        ports = [int(saved["port"]), 0] if saved.get("port") else [0]
        for port in ports:
            server = MetadataServer(
                self._tokens.get, self._stats_of, zone=f"{self.app.config.region}a", port=port
            )
            try:
                await server.start()
            except OSError as e:
                log.warning("Fargate metadata endpoint cannot use port %s (%s)", port, e)
                continue
            self.metadata = server
            break
        assert self.metadata is not None
        self.store.put(FLEET, "metadata", {"port": self.metadata.port})
        metadata = self.metadata
        self.iam = TaskIam(
            self.clock,
            InProcessPlane(self.app),
            endpoint_url=self._endpoint(),
            instance_arn=lambda: "",
            base_url=lambda: metadata.base_url,
        )
        metadata.credentials = self.iam.answer
        self.awslogs = AwsLogs(
            self.clock, InProcessPlane(self.app), endpoint=self._endpoint(),
            region=self.app.config.region, instance_arn=lambda: "",
        )
        self._awslogs_task = asyncio.create_task(self.awslogs.run(), name="fargate-awslogs")

    def _endpoint(self) -> str:
        host = self.app.config.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{self.app.config.port}"

    # -- one task ---------------------------------------------------------------------

    async def _start_task(self, key: str) -> None:
        assert self.runtime is not None and self.metadata is not None
        task = self.store.get(tasks.TABLE, key)
        if task is None or task["lastStatus"] == "STOPPED" or "_fargate" not in task:
            return
        saved = self.store.get(RUNS, key)
        record = TaskRecord.from_doc(saved) if saved else None
        resumed = record is not None and any(
            c.runtime_id for c in record.containers.values()
        )
        if record is not None and resumed and getattr(self.runtime, "adopt", None) is None:
            self._lost(key, task, record)
            return
        assignment = Assignment.from_doc(assignment_doc(task) | assignment_volumes(self.app, task))
        if record is None:
            record = TaskRecord(assignment.task_arn, assignment.to_doc())
        cpu, memory = int(task["cpu"]), int(task["memory"])
        region = key.split("/", 2)[1]
        ctx = RunnerContext(
            runtime=sized(self.runtime, cpu=cpu, memory=memory),
            clock=self.clock,
            reporter=self.reporter,
            region=region,
            metadata_uri=self.metadata.uri,
            log_path=self._log_path,
            fetch_env_file=self.api.read_s3_object,
            changed=lambda: self._save(key),
            health_changed=lambda: self._health(key),
            log_started=self._log_started,
            log_finished=self._log_finished,
            iam=self.iam,
            awslogs=self.awslogs,
            volume_root=self._volume_root(),
        )
        runner = TaskRunner(ctx, assignment, record)
        self.runners[key] = runner
        for c in runner.containers.values():
            self._tokens[c.token] = (runner, c)
        self._save(key)
        attach = not resumed
        self._runner_tasks[key] = asyncio.create_task(
            self._run_task(runner, task, attach), name=f"fargate-{assignment.task_id}"
        )

    async def _run_task(self, runner: TaskRunner, task: Doc, attach: bool) -> None:
        try:
            if attach:
                attachment = task["_fargate"]["attachmentId"]
                try:
                    await self.api.call(
                        "submit_task_state_change",
                        task=runner.task.task_arn,
                        attachments=[{"attachmentArn": attachment, "status": "ATTACHED"}],
                    )
                except ApiError as e:
                    log.warning("attaching %s: %s", runner.task.task_arn, e)
            await runner.run()
        finally:
            self.wake()

    def _forget(self, key: str) -> None:
        runner = self.runners.pop(key, None)
        self._runner_tasks.pop(key, None)
        self.store.delete(RUNS, key)
        if runner is None:
            return
        self.reporter.forget(runner.task.task_arn)
        if isinstance(runner.ctx.runtime, SizedRuntime):
            runner.ctx.runtime.release()
        for c in runner.containers.values():
            self._tokens.pop(c.token, None)
            if c.handle is not None and self.metadata is not None:
                self.metadata.forget(c.handle.id)

    def _save(self, key: str) -> None:
        runner = self.runners.get(key)
        if runner is not None and not self._closed:
            self.store.put(RUNS, key, runner.record.to_doc())

    def _on_sent(self, task_arn: str, status: str) -> None:
        for key, runner in self.runners.items():
            if runner.task.task_arn == task_arn:
                runner.record.sent_status = status
                self._save(key)
        self.wake()

    def _lost(self, key: str, task: Doc, record: TaskRecord) -> None:
        """A task whose process containers died with (or outlived) a killed server."""
        killed = orphans.kill({c.token for c in record.containers.values() if c.token})
        log.warning("Fargate task %s lost with the server (%d processes killed)",
                    task["taskArn"], killed)
        cpu_quota.remove_for(key.rsplit("/", 1)[-1])
        self._stop_in_place(key, task, LOST_REASON)

    def _fail(self, key: str, reason: str) -> None:
        task = self.store.get(tasks.TABLE, key)
        if task is not None and task["lastStatus"] != "STOPPED":
            self._stop_in_place(key, task, reason)

    def _stop_in_place(self, key: str, task: Doc, reason: str) -> None:
        now = self.clock.now()
        before = category(task)
        code = TERMINATION_NOTICE if started(task) else TASK_FAILED_TO_START
        desire_stop(task, code, reason, now)
        finish(task, now)
        with self.store.batch():
            commit(self.store, task, before)
            self.store.delete(RUNS, key)
        task_state_change(self.app, task)

    def _health(self, key: str) -> None:
        """A container's health changed: the task's healthStatus, as agents' polls carry it."""
        runner = self.runners.get(key)
        task = self.store.get(tasks.TABLE, key)
        if runner is None or task is None or task["lastStatus"] == "STOPPED":
            return
        if apply_health(task, runner.health()):
            with self.store.batch():
                self.store.put(tasks.TABLE, key, task)
            service_tasks.observe(self.store, task)

    def _log_path(self, task_id: str, container: str) -> str | None:
        if self._log_dir is None:
            base = self.app.config.data_dir
            self._log_dir = (
                os.path.join(base, "fargate")
                if base
                else tempfile.mkdtemp(prefix="cargobay-fargate-")
            )
        path = log_path(self._log_dir, task_id, container)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def _volume_root(self) -> str | None:
        """Where Fargate tasks' own volumes live (agent/volumes.py)."""
        base = self.app.config.data_dir
        return os.path.join(base, "fargate", "volumes") if base else None

    def _log_started(self, path: str, task_id: str, container: str) -> None:
        if self.awslogs is not None:
            self.awslogs.follow(path, task_id, container)
        echo = self._echo()
        if echo is not None:
            echo.follow(path, task_id, container)

    def _log_finished(self, path: str) -> None:
        echo = self._echo()
        if echo is not None:
            echo.unfollow(path)

    def _echo(self) -> LogEcho | None:
        """``cargobay up`` echoes its tasks' output to stdout: Fargate tasks' too (through
        its embedded agent's echo)."""
        echo = getattr(getattr(self.app, "agent", None), "echo", None)
        return echo if isinstance(echo, LogEcho) else None

    async def _stats_of(self, handle: ContainerHandle) -> ContainerStats:
        assert self.runtime is not None
        return await self.runtime.stats(handle)


def assignment_doc(task: Doc) -> Doc:
    """What the task runner is given for a Fargate task (an agent's poll item, plus the
    task's network and the environment Fargate adds)."""
    fargate = task["_fargate"]
    ip = str(fargate["ip"])
    added = [
        {"name": "AWS_EXECUTION_ENV", "value": EXECUTION_ENV},
        {"name": IP_VARIABLE, "value": ip},
    ]
    overrides = copy.deepcopy(task.get("overrides") or {})
    by_name = {o.get("name"): o for o in overrides.get("containerOverrides") or []}
    entries: list[Doc] = []
    for c in task["_taskDefinition"].get("containerDefinitions") or []:
        o = by_name.get(c["name"]) or {"name": c["name"]}
        o["environment"] = [*added, *(o.get("environment") or [])]
        entries.append(o)
    overrides["containerOverrides"] = entries
    region = tasks.key_of(task).split("/", 2)[1]
    doc: Doc = {
        "taskArn": task["taskArn"],
        "desiredStatus": task["desiredStatus"],
        "taskDefinition": task["_taskDefinition"],
        "overrides": overrides,
        "group": task["group"],
        "launchType": "FARGATE",
        "createdAt": task["createdAt"],
        "containers": [
            {"name": c["name"], "containerArn": c["containerArn"]} for c in task["containers"]
        ],
        "network": {
            "ip": ip,
            "mac": fargate_network.mac_address(ip),
            "dns": fargate_network.dns_name(ip, region),
            "cidr": SUBNET_CIDR,
        },
    }
    if task["desiredStatus"] == "STOPPED":
        doc["stopReason"] = task.get("stoppedReason")
    for member in ("startedBy", "availabilityZone"):
        if member in task:
            doc[member] = task[member]
    return doc
