"""The agent: registers the host, follows the channel, runs the tasks it is given.

The main loop (docs/agent-protocol.md):

1. **register** through the public ECS API (RegisterContainerInstance), retrying with
   bounded backoff until the control plane answers; the cluster ``default`` is created
   when absent (as the ECS agent does).  A restarted agent sends its saved
   ``containerInstanceArn`` and stays the same instance.
2. **poll** ``/_cargobay/agent/poll``: each answer is the whole desired task set; the
   agent **reconciles**: a new task gets a :class:`TaskRunner`, a known one its new
   desired status, and a finished one the control plane no longer lists is forgotten.
   A change of container health drops the held poll and polls again at once (health
   travels in the poll body).  While the control plane is unreachable the agent
   retries (0.05 s doubling to 1 s: a heartbeat must not lapse for long) and its
   containers keep running.
3. **report** through the :class:`Reporter`.

On shutdown the Docker runtime's containers keep running (a restarted agent adopts
them again from its state file); the process runtime's containers are children of
the agent, so they are stopped, and their STOPPED reports are sent (or kept in the
state file for the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.awslogs import AwsLogs
from cargobay.agent.channel import ChannelError, PollClient
from cargobay.agent.container_run import ContainerRun
from cargobay.agent.credentials import AgentCredentials
from cargobay.agent.ecs_client import ApiError, EcsApi, Unreachable
from cargobay.agent.logs import LogEcho, log_path
from cargobay.agent.metadata_server import MetadataServer
from cargobay.agent.registration import HostInfo, default_cpu, default_memory, new_instance_id
from cargobay.agent.reporter import Reporter
from cargobay.agent.runtime import DEFAULT_STOP_TIMEOUT, ContainerHandle, ContainerStats, Runtime
from cargobay.agent.state import AgentState, StateFile, TaskRecord
from cargobay.agent.task_iam import ControlPlane, TaskIam
from cargobay.agent.task_runner import RunnerContext, TaskRunner
from cargobay.agent.usage_sampler import UsageSampler
from cargobay.clock import Clock, RealClock

log = logging.getLogger("cargobay.agent")

BACKOFF_FIRST = 0.05
BACKOFF_MAX = 1.0
#: Seconds a poll may take beyond its ``wait`` before the agent gives up on it.
POLL_GRACE = 10.0
#: How long shutdown waits for final reports to get through.
SHUTDOWN_REPORT_WAIT = 2.0
#: The least time between two writes of the state file (seconds).
SAVE_INTERVAL = 0.05
#: The most a process-runtime container gets to stop when the agent shuts down.
SHUTDOWN_STOP_TIMEOUT = 10.0
#: registration errors that mean "not these credentials": logged, and retried
REFUSED_CREDENTIALS = {
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
}


@dataclass
class AgentConfig:
    endpoint: str
    cluster: str = "default"
    runtime: str | None = None  # docker | process | None: docker if an engine answers
    data_dir: str | None = None
    cpu: int | None = None
    memory: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    poll_wait: float = 20.0
    #: the least time between two answered polls: under a burst of changes one answer
    #: then covers several (each answer is the whole desired set)
    min_poll_interval: float = 0.02
    #: how often the process runtime sums its containers' memory (seconds)
    memory_poll_interval: float = 0.2
    echo_logs: bool = False
    stop_timeout: float = DEFAULT_STOP_TIMEOUT
    create_cluster: bool = True
    metadata_port: int = 0
    #: the shared config profile the agent's credentials come from (``--profile``)
    profile: str | None = None
    #: False: sign with the root keys, whatever botocore's credential chain holds
    credential_chain: bool = True


class Agent:
    def __init__(
        self, config: AgentConfig, *, clock: Clock | None = None, runtime: Runtime | None = None
    ) -> None:
        self.config = config
        self.clock: Clock = clock or RealClock()
        self.runtime: Runtime | None = runtime
        self.state_file = StateFile(config.data_dir)
        self.state = AgentState()
        #: the agent's own keys (botocore's chain, else root): cargobay/agent/credentials.py
        self.credentials = AgentCredentials.resolve(
            config.profile, chain=config.credential_chain
        )
        self.api = EcsApi(config.endpoint, config.region, self.credentials)
        self.channel = PollClient(config.endpoint, config.region, self.credentials)
        self.iam = TaskIam(
            self.clock,
            ControlPlane(config.endpoint, config.region, self.credentials),
            endpoint_url=config.endpoint,
            instance_arn=lambda: self.state.instance_arn,
            base_url=lambda: self.metadata.base_url if self.metadata is not None else "",
        )
        self.reporter = Reporter(
            self.api, self.clock, lambda: self.cluster_arn or config.cluster, self._on_sent
        )
        self.runners: dict[str, TaskRunner] = {}
        self._runner_tasks: dict[str, asyncio.Task[None]] = {}
        self._tokens: dict[str, tuple[TaskRunner, ContainerRun]] = {}
        self.host: HostInfo | None = None
        self.metadata: MetadataServer | None = None
        self.echo = LogEcho(self.clock) if config.echo_logs else None
        #: the awslogs log driver: container output to CloudWatch Logs (awslogs.py)
        self.awslogs = AwsLogs(
            self.clock, self.iam.plane, endpoint=config.endpoint, region=config.region,
            instance_arn=lambda: self.state.instance_arn,
        )
        self.cluster_arn: str | None = None
        self.version = 0
        self.registered = asyncio.Event()
        self._health_dirty = asyncio.Event()
        self._dirty = asyncio.Event()
        self._saver: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []
        self._closed = False
        self._log_dir: str | None = None
        #: real CPU and memory use of the running tasks, sent on the poll (``usage``)
        self.usage = UsageSampler(lambda: self.runtime, self.clock)

    @property
    def instance_arn(self) -> str | None:
        return self.state.instance_arn

    # -- life ------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled (then shut down: see the module docstring)."""
        try:
            await self.start()
            await self._poll_loop()
        finally:
            await self.shutdown()

    async def start(self) -> None:
        """Everything before the poll loop: runtime, state, metadata server, registration."""
        if self.runtime is None:
            from cargobay.agent.runtime import open_runtime

            self.runtime = await open_runtime(self.config.runtime, self.clock)
            if hasattr(self.runtime, "memory_poll_interval"):
                self.runtime.memory_poll_interval = self.config.memory_poll_interval
        self.state = self.state_file.load()
        if self.state.runtime not in (None, self.runtime.name) or self.state.cluster not in (
            None,
            self.config.cluster,
        ):
            log.warning("state file is for another runtime or cluster: starting afresh")
            self.state = AgentState()
        self.state.runtime = self.runtime.name
        self.state.cluster = self.config.cluster
        self.host = HostInfo(
            runtime=self.runtime.name,
            cpu=self.config.cpu or default_cpu(),
            memory=self.config.memory or default_memory(),
            region=self.config.region,
            instance_id=self.state.instance_id or new_instance_id(),
            docker_version=await self._docker_version(),
            extra_attributes=dict(self.config.attributes),
        )
        self.state.instance_id = self.host.instance_id
        self.metadata = await self._start_metadata()
        log.info(
            "signing as %s (credentials from %s)",
            self.credentials.access_key_id, self.credentials.method,
        )
        if self.echo is not None:
            self._background.append(asyncio.create_task(self.echo.run(), name="agent-log-echo"))
        self._background.append(asyncio.create_task(self.awslogs.run(), name="agent-awslogs"))
        await self.register()
        for arn, record in list(self.state.tasks.items()):
            try:
                self._start_runner(Assignment.from_doc(record.assignment), record)
            except ValueError as e:
                log.warning("dropping unreadable saved task %s: %s", arn, e)
                del self.state.tasks[arn]
        self._save()

    async def _start_metadata(self) -> MetadataServer:
        """The metadata endpoint, on the port the saved containers know if it is free."""
        assert self.host is not None
        ports = [self.config.metadata_port]
        if not self.config.metadata_port and self.state.metadata_port and self.state.tasks:
            ports.insert(0, self.state.metadata_port)
        for port in ports:
            server = MetadataServer(
                self._tokens.get, self._stats_of, zone=self.host.zone, port=port
            )
            try:
                await server.start()
            except OSError as e:
                log.warning("metadata endpoint cannot use port %s (%s)", port, e)
                continue
            self.state.metadata_port = server.port
            server.credentials = self.iam.answer
            return server
        raise OSError(f"the metadata endpoint cannot listen on {self.config.metadata_port}")

    async def register(self) -> None:
        assert self.host is not None
        delay = BACKOFF_FIRST
        for _ in range(1_000_000):  # bounded: each pass waits up to BACKOFF_MAX
            req = self.host.register_request(self.config.cluster, self.state.instance_arn)
            try:
                resp = await self.api.call("register_container_instance", **req)
            except Unreachable as e:
                log.info("control plane not answering (%s); retrying in %.2fs", e, delay)
            except ApiError as e:
                if e.code == "ClusterNotFoundException" and self.config.create_cluster:
                    with contextlib.suppress(ApiError, Unreachable):
                        await self.api.call("create_cluster", clusterName=self.config.cluster)
                    continue
                if self.state.instance_arn is not None and e.code == "ClientException":
                    log.warning("re-registration refused (%s): registering anew", e)
                    self.state.instance_arn = None
                    continue
                if e.code not in REFUSED_CREDENTIALS:
                    raise
                # the policy or the keys may be fixed (refreshable keys are re-read)
                log.error(
                    "registration refused for %s (%s); retrying in %.2fs",
                    self.credentials.method, e, delay,
                )
            else:
                inst = resp["containerInstance"]
                self.state.instance_arn = str(inst["containerInstanceArn"])
                arn = self.state.instance_arn
                prefix, _, rest = arn.partition(":container-instance/")
                self.cluster_arn = f"{prefix}:cluster/{rest.split('/')[0]}" if "/" in rest else None
                self.version = 0
                self._save()
                self.registered.set()
                log.info("registered as %s", arn)
                return
            await self.clock.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    async def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        for t in self._background:
            t.cancel()
        self.usage.close()
        stop_tasks = self.runtime is not None and getattr(self.runtime, "adopt", None) is None
        if stop_tasks:
            for r in self.runners.values():
                assert self.host is not None
                for c in r.containers.values():
                    if c.spec is not None:
                        c.spec.stop_timeout = min(c.spec.stop_timeout, SHUTDOWN_STOP_TIMEOUT)
                r.stop(f"Host EC2 (instance {self.host.instance_id}) stopped.")
            waits = [t for t in self._runner_tasks.values() if not t.done()]
            if waits:
                await asyncio.wait(waits)
            with contextlib.suppress(TimeoutError):
                from cargobay.agent.runtime.clocked import wait_for

                await wait_for(
                    self.clock,
                    asyncio.gather(*(self.reporter.drained(a) for a in list(self.runners))),
                    SHUTDOWN_REPORT_WAIT,
                )
        for t in self._runner_tasks.values():
            t.cancel()
        for t in [*self._runner_tasks.values(), *self._background]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if self._saver is not None:
            self._saver.cancel()
        self._flush_state()
        await self.reporter.close()
        self.channel.close()
        self.iam.close()
        self.awslogs.close()
        if self.metadata is not None:
            await self.metadata.close()
        if self.echo is not None:
            self.echo.pump()
        if self.runtime is not None:
            await self.runtime.close()
        self.api.close()

    # -- the channel -----------------------------------------------------------------

    async def _poll_loop(self) -> None:
        delay = BACKOFF_FIRST
        for _ in range(100_000_000):  # bounded: each pass is one poll or one backoff
            assert self.state.instance_arn is not None
            self._health_dirty.clear()
            body: dict[str, Any] = {
                "cluster": self.cluster_arn or self.config.cluster,
                "containerInstanceArn": self.state.instance_arn,
                "version": self.version,
                "wait": self.config.poll_wait,
                "health": self.health_map(),
            }
            usage = self.usage.report(self.runners)
            if usage:  # a new reading (docs/agent-protocol.md §2)
                body["usage"] = usage
            poll = asyncio.ensure_future(
                self.channel.poll(body, timeout=self.config.poll_wait + POLL_GRACE)
            )
            dirty = asyncio.ensure_future(self._health_dirty.wait())
            try:
                await asyncio.wait({poll, dirty}, return_when=asyncio.FIRST_COMPLETED)
            except BaseException:
                poll.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await poll
                raise
            finally:
                dirty.cancel()
            if not poll.done():
                poll.cancel()  # health changed: poll again now, with the new health
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await poll
                continue
            try:
                answer = poll.result()
            except Unreachable as e:
                log.info("poll: %s; retrying in %.2fs", e, delay)
                await self.clock.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            except ChannelError as e:
                if e.code == "InactiveInstanceException":
                    # deregistered: the real ECS agent stops here (docs/agent-protocol.md)
                    log.error("this container instance was deregistered: the agent stops")
                    return
                if e.code == "UnknownInstanceException":
                    log.warning("the control plane forgot this instance: registering anew")
                    self.state.instance_arn = None
                    await self.register()
                    continue
                log.warning("poll refused (%s); retrying in %.2fs", e, delay)
                await self.clock.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            delay = BACKOFF_FIRST
            answered = self.clock.monotonic()
            self.apply(answer)
            # a burst of changes: let a few gather before asking again
            rest = self.config.min_poll_interval - (self.clock.monotonic() - answered)
            if rest > 0 and answer.get("tasks"):
                await self.clock.sleep(rest)

    def apply(self, answer: dict[str, Any]) -> None:
        """Reconcile with one poll answer (the whole desired set)."""
        version = answer.get("version")
        if isinstance(version, int):
            self.version = version
        listed: set[str] = set()
        for doc in answer.get("tasks") or []:
            known = self.runners.get(str(doc.get("taskArn"))) if isinstance(doc, dict) else None
            if known is not None and doc.get("desiredStatus") == known.desired:
                listed.add(known.task.task_arn)  # nothing new for a task already held
                continue
            try:
                task = Assignment.from_doc(doc)
            except ValueError as e:
                log.warning("ignoring a task assignment: %s", e)
                continue
            listed.add(task.task_arn)
            runner = self.runners.get(task.task_arn)
            if runner is not None:
                runner.update(task)
            else:
                record = self.state.tasks.get(task.task_arn) or TaskRecord(
                    task.task_arn, task.to_doc()
                )
                self._start_runner(task, record)
        for arn in [a for a in self.runners if a not in listed]:
            runner = self.runners[arn]
            if runner.done.is_set():
                if not self.reporter.pending(arn):
                    self._forget(arn)
            else:
                runner.stop("Task stopped: no longer assigned to this container instance")
        self._save()

    def health_map(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for arn, r in self.runners.items():
            h = r.health()
            if h:
                out[arn] = h
        return out

    # -- runners ---------------------------------------------------------------------

    def _start_runner(self, task: Assignment, record: TaskRecord) -> None:
        assert self.runtime is not None and self.metadata is not None
        self.state.tasks[task.task_arn] = record
        metadata = self.metadata
        ctx = RunnerContext(
            runtime=self.runtime,
            clock=self.clock,
            reporter=self.reporter,
            region=self.config.region,
            metadata_uri=metadata.uri,
            log_path=self._log_path,
            fetch_env_file=self.api.read_s3_object,
            changed=self._save,
            health_changed=self._health_dirty.set,
            log_started=self._log_started,
            log_finished=self._log_finished,
            default_stop_timeout=self.config.stop_timeout,
            iam=self.iam,
            awslogs=self.awslogs,
            volume_root=self.config.data_dir and os.path.join(self.config.data_dir, "volumes"),
        )
        runner = TaskRunner(ctx, task, record)
        self.runners[task.task_arn] = runner
        for c in runner.containers.values():
            self._tokens[c.token] = (runner, c)
        self._runner_tasks[task.task_arn] = asyncio.create_task(
            runner.run(), name=f"task-{task.task_id}"
        )

    def _forget(self, arn: str) -> None:
        runner = self.runners.pop(arn, None)
        self._runner_tasks.pop(arn, None)
        self.state.tasks.pop(arn, None)
        self.reporter.forget(arn)
        if runner is not None:
            for c in runner.containers.values():
                self._tokens.pop(c.token, None)
                if c.handle is not None and self.metadata is not None:
                    self.metadata.forget(c.handle.id)

    def _on_sent(self, task_arn: str, status: str) -> None:
        record = self.state.tasks.get(task_arn)
        if record is not None:
            record.sent_status = status
            self._save()

    def _log_path(self, task_id: str, container: str) -> str | None:
        if self._log_dir is None:
            self._log_dir = self.config.data_dir or tempfile.mkdtemp(prefix="cargobay-agent-")
        path = log_path(self._log_dir, task_id, container)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def _log_started(self, path: str, task_id: str, container: str) -> None:
        self.awslogs.follow(path, task_id, container)
        if self.echo is not None:
            self.echo.follow(path, task_id, container)

    def _log_finished(self, path: str) -> None:
        if self.echo is not None:
            self.echo.unfollow(path)

    async def _stats_of(self, handle: ContainerHandle) -> ContainerStats:
        assert self.runtime is not None
        return await self.runtime.stats(handle)

    async def _docker_version(self) -> str | None:
        api = getattr(self.runtime, "api", None)
        if api is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            info = await loop.run_in_executor(None, api.version)
        except Exception:  # version is informational only
            return None
        return str(info.get("Version")) if isinstance(info, dict) else None

    # -- the state file --------------------------------------------------------------

    def _save(self) -> None:
        """Save the state file soon: at most once per ``SAVE_INTERVAL``, however often
        asked (the file holds every task; a burst of launches must not rewrite it for
        each container)."""
        if self._closed:
            return
        self._dirty.set()
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_loop(), name="agent-state")

    async def _save_loop(self) -> None:
        while self._dirty.is_set():
            self._dirty.clear()
            self._flush_state()
            await self.clock.sleep(SAVE_INTERVAL)

    def _flush_state(self) -> None:
        try:
            self.state_file.save(self.state)
        except OSError as e:
            log.warning("could not save the agent state: %s", e)
