"""The ``awslogs`` log driver: each container's stdout/stderr lines as CloudWatch Logs events.

A container definition with ``logConfiguration: {logDriver: awslogs, options: {…}}``:

- ``awslogs-group`` (required), ``awslogs-region`` (default: the agent's Region),
  ``awslogs-stream-prefix`` → the stream ``prefix/container-name/task-id`` (without a
  prefix: ``container-name/task-id``), ``awslogs-create-group: "true"`` → CreateLogGroup
  first (an existing group is fine).
- Before the containers start (the task is PENDING) the agent fetches the task's
  EXECUTION-role credentials from the control plane (never given to the containers) and
  creates the group (if asked) and the streams, as the ECS agent validates its logger.
  If that fails (no execution role, the role cannot be assumed, AccessDenied on
  logs:CreateLogGroup / logs:CreateLogStream, no such group) the task stops before
  starting with ECS's ``ResourceInitializationError: failed to validate logger args: …``.
- While the containers run, the lines the runtime writes to the container's log file
  (both runtimes write one: cargobay/agent/logs.py) are read every ``interval`` seconds
  of clock time, stamped with the clock, and sent with PutLogEvents in batches within
  AWS's limits (10,000 events, 1,048,576 bytes counting 26 bytes per event; lines
  longer than an event are split).  The container never waits for logging: it writes
  its file, the shipper follows it.
- A failed PutLogEvents (AccessDenied: the role lacks logs:PutLogEvents; a deleted
  stream…) does not stop the task, as with Docker's awslogs driver: the error goes to the
  agent log (once per stream and error code) and the batch is dropped.  An unreachable
  endpoint keeps the batch for the next pass (up to ``MAX_PENDING_BYTES`` per stream).
- When the task's containers have stopped, the rest of their output is sent
  (:meth:`AwsLogs.finish_task`), then the task's keys are revoked (``release``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.awslogs_client import LogsClient, LogsError, LogsUnreachable, credentials_of
from cargobay.agent.ecs_client import Unreachable
from cargobay.agent.task_iam import ControlPlane, PlaneRefused, TaskStartError
from cargobay.clock import Clock

log = logging.getLogger("cargobay.agent.awslogs")

DRIVER = "awslogs"
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
#: Docker's awslogs driver splits lines at 256 KiB less the per-event overhead
MAX_EVENT_BYTES = 262_144 - EVENT_OVERHEAD
#: bytes read from one file per pass
READ_CHUNK = 4 << 20
#: unsent bytes kept per stream while the endpoint is unreachable (oldest dropped beyond)
MAX_PENDING_BYTES = 8 << 20
#: seconds finish_task may spend sending what is left
FINAL_FLUSH_TIMEOUT = 15.0
#: refresh the execution-role credentials this many seconds before they expire
CREDS_MARGIN = 120.0

LOGGER_ARGS = "ResourceInitializationError: failed to validate logger args: "


def awslogs_options(definition: dict[str, Any]) -> dict[str, str] | None:
    """The awslogs options of a container definition, or None if it uses another driver."""
    cfg = definition.get("logConfiguration") or {}
    if cfg.get("logDriver") != DRIVER:
        return None
    return {str(k): str(v) for k, v in (cfg.get("options") or {}).items()}


def stream_name(options: dict[str, str], container: str, task_id: str) -> str:
    prefix = options.get("awslogs-stream-prefix")
    return f"{prefix}/{container}/{task_id}" if prefix else f"{container}/{task_id}"


def execution_role(task: Assignment) -> str | None:
    value = task.overrides.get("executionRoleArn") or task.task_definition.get(
        "executionRoleArn"
    )
    return str(value) if value else None


@dataclass
class _Stream:
    task_arn: str
    group: str
    region: str
    name: str
    path: str | None = None
    offset: int = 0
    partial: bytes = b""
    pending: list[tuple[int, str]] = field(default_factory=list)
    pending_bytes: int = 0
    last_ts: int = 0
    reported: set[str] = field(default_factory=set)


@dataclass
class _Creds:
    doc: dict[str, Any]

    @property
    def expires_at(self) -> float:
        return float(self.doc.get("expiresAt") or 0)


class AwsLogs:
    """Ships the output of every awslogs container the agent runs."""

    def __init__(
        self,
        clock: Clock,
        plane: ControlPlane,
        *,
        endpoint: str,
        region: str,
        instance_arn: Callable[[], str | None],
        interval: float = 1.0,
    ) -> None:
        self.clock = clock
        self.plane = plane
        self.region = region
        self.interval = interval
        self._instance_arn = instance_arn
        self._client = LogsClient(endpoint)
        self._lock = asyncio.Lock()
        #: (task id, container name) → stream
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._creds: dict[str, _Creds] = {}

    # -- for the task runner -----------------------------------------------------------

    async def prepare(self, task: Assignment) -> None:
        """Create the task's log groups (if asked) and streams with its execution role;
        TaskStartError with ECS's reason if they cannot be."""
        wanted = [
            (str(c.get("name", "")), opts)
            for c in task.container_definitions
            if (opts := awslogs_options(c)) is not None
        ]
        if not wanted:
            return
        if execution_role(task) is None:
            raise TaskStartError(
                LOGGER_ARGS + "the awslogs log driver needs the task's executionRoleArn to "
                "send logs with"
            )
        await self._credentials(task.task_arn, fresh=True)
        for container, opts in wanted:
            group = opts.get("awslogs-group")
            if not group:
                raise TaskStartError(LOGGER_ARGS + "must specify a value for log opt "
                                     "'awslogs-group'")
            region = opts.get("awslogs-region") or self.region
            name = stream_name(opts, container, task.task_id)
            if opts.get("awslogs-create-group", "").lower() == "true":
                await self._create(task.task_arn, "CreateLogGroup", {"logGroupName": group},
                                   region, "failed to create Cloudwatch log group: ")
            await self._create(
                task.task_arn, "CreateLogStream",
                {"logGroupName": group, "logStreamName": name}, region,
                "create stream has been retried 1 times: failed to create Cloudwatch log "
                "stream: ",
            )
            self._streams[(task.task_id, container)] = _Stream(task.task_arn, group, region,
                                                               name)

    def follow(self, path: str, task_id: str, container: str) -> None:
        """The container started and writes ``path``: ship its lines."""
        s = self._streams.get((task_id, container))
        if s is not None and s.path is None:
            s.path = path

    async def finish_task(self, task: Assignment) -> None:
        """The task's containers have stopped: send what is left, then forget the task."""
        keys = [k for k in self._streams if k[0] == task.task_id]
        if keys:
            try:
                await asyncio.wait_for(self._flush([self._streams[k] for k in keys]),
                                       FINAL_FLUSH_TIMEOUT)
            except TimeoutError:
                log.warning("awslogs: the last lines of task %s were not all sent",
                            task.task_arn)
            for k in keys:
                self._streams.pop(k, None)
        if self._creds.pop(task.task_arn, None) is not None:
            # the execution role's keys die with the task (TaskIam.release revokes only
            # when the task also has a task role)
            body = {"containerInstanceArn": self._instance_arn(), "taskArn": task.task_arn}
            try:
                await self.plane.post("release", body)
            except (PlaneRefused, Unreachable) as e:
                log.warning("could not revoke the execution-role keys of %s (they expire): %s",
                            task.task_arn, e)

    # -- the loop ----------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            await self.clock.sleep(self.interval)
            try:
                await self._flush(list(self._streams.values()))
            except Exception:  # keep shipping; the next pass retries
                log.exception("awslogs pass failed")

    def close(self) -> None:
        self._client.close()

    async def _flush(self, streams: list[_Stream]) -> None:
        async with self._lock:
            for s in streams:
                if s.path is None:
                    continue
                self._read(s)
                while s.pending:
                    if not await self._send(s):
                        break

    # -- reading -----------------------------------------------------------------------

    def _read(self, s: _Stream) -> None:
        assert s.path is not None
        try:
            with open(s.path, "rb") as fh:
                fh.seek(s.offset)
                data = fh.read(READ_CHUNK)
        except OSError:
            return
        if not data:
            return
        s.offset += len(data)
        *lines, rest = (s.partial + data).split(b"\n")
        s.partial = rest
        if len(rest) > MAX_EVENT_BYTES:
            lines.append(rest)
            s.partial = b""
        ts = max(int(self.clock.now() * 1000), s.last_ts)
        s.last_ts = ts
        for raw in lines:
            text = raw.decode("utf-8", "replace").rstrip("\r")
            for piece in _split(text):
                s.pending.append((ts, piece))
                s.pending_bytes += len(piece.encode("utf-8")) + EVENT_OVERHEAD
        while s.pending_bytes > MAX_PENDING_BYTES and s.pending:
            _, dropped = s.pending.pop(0)
            s.pending_bytes -= len(dropped.encode("utf-8")) + EVENT_OVERHEAD

    # -- sending -----------------------------------------------------------------------

    async def _send(self, s: _Stream) -> bool:
        """Send one batch from the front of ``pending``; False to stop for this pass."""
        batch: list[dict[str, Any]] = []
        size = 0
        for ts, message in s.pending[:MAX_BATCH_EVENTS]:
            n = len(message.encode("utf-8")) + EVENT_OVERHEAD
            if batch and size + n > MAX_BATCH_BYTES:
                break
            batch.append({"timestamp": ts, "message": message})
            size += n
        body = {"logGroupName": s.group, "logStreamName": s.name, "logEvents": batch}
        try:
            out = await self._call(s.task_arn, "PutLogEvents", body, s.region)
        except LogsUnreachable as e:
            self._report(s, "unreachable", f"CloudWatch Logs is unreachable (will retry): {e}")
            return False
        except (LogsError, TaskStartError) as e:
            code = e.code if isinstance(e, LogsError) else "credentials"
            self._report(s, code, f"PutLogEvents failed, {len(batch)} events dropped: {e}")
            out = {}
        del s.pending[: len(batch)]
        s.pending_bytes -= size
        if out.get("rejectedLogEventsInfo"):
            self._report(s, "rejected", f"events rejected: {out['rejectedLogEventsInfo']}")
        return True

    def _report(self, s: _Stream, code: str, message: str) -> None:
        if code not in s.reported:
            s.reported.add(code)
            log.warning("awslogs %s/%s: %s", s.group, s.name, message)

    async def _create(
        self, task_arn: str, operation: str, body: dict[str, Any], region: str, what: str
    ) -> None:
        try:
            await self._call(task_arn, operation, body, region)
        except LogsError as e:
            if e.code != "ResourceAlreadyExistsException":
                raise TaskStartError(LOGGER_ARGS + what + f"{e.code}: {e.message}") from None
        except LogsUnreachable as e:
            raise TaskStartError(LOGGER_ARGS + what + str(e)) from None

    async def _call(
        self, task_arn: str, operation: str, body: dict[str, Any], region: str
    ) -> dict[str, Any]:
        creds = await self._credentials(task_arn)
        try:
            return await self._client.call(operation, body, credentials_of(creds.doc), region)
        except LogsError as e:
            if e.code not in ("ExpiredTokenException", "UnrecognizedClientException",
                              "InvalidClientTokenId"):
                raise
        creds = await self._credentials(task_arn, fresh=True)
        return await self._client.call(operation, body, credentials_of(creds.doc), region)

    async def _credentials(self, task_arn: str, *, fresh: bool = False) -> _Creds:
        c = self._creds.get(task_arn)
        if c is not None and not fresh and c.expires_at - CREDS_MARGIN > self.clock.now():
            return c
        body = {"containerInstanceArn": self._instance_arn(), "taskArn": task_arn,
                "role": "execution"}
        try:
            doc = await self.plane.post("credentials", body)
        except PlaneRefused as e:
            raise TaskStartError(LOGGER_ARGS + e.message) from None
        except Unreachable as e:
            raise TaskStartError(LOGGER_ARGS + f"execution role credentials: {e}") from None
        c = self._creds[task_arn] = _Creds(doc)
        return c


def _split(text: str) -> list[str]:
    """A line as events: none if empty (CloudWatch Logs takes no empty message), several
    if longer than one event may be."""
    if not text:
        return []
    data = text.encode("utf-8")
    if len(data) <= MAX_EVENT_BYTES:
        return [text]
    out: list[str] = []
    for i in range(0, len(data), MAX_EVENT_BYTES):
        piece = data[i : i + MAX_EVENT_BYTES].decode("utf-8", "ignore")
        if piece:
            out.append(piece)
    return out

