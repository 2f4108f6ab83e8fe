"""The task metadata endpoint, version 4, served by the agent on 127.0.0.1.

Each container gets ``ECS_CONTAINER_METADATA_URI_V4=http://127.0.0.1:<port>/v4/<id>``
(and the same as ``ECS_CONTAINER_METADATA_URI``), where ``<id>`` names that container.
Paths, as ECS documents them:

- ``${ECS_CONTAINER_METADATA_URI_V4}``: the container's metadata;
- ``…/task`` (and ``…/taskWithTags``, without tags here): the task's metadata with all
  its containers;
- ``…/stats``: the container's stats in Docker's stats shape;
- ``…/task/stats``: every container's stats, keyed by DockerId.

The same port serves the task-role credentials endpoint (``/v2/credentials/<id>``,
``/v1/credentials?id=``: cargobay/agent/task_iam.py) with the request's headers.

Shapes follow "Amazon ECS task metadata v4 examples" for EC2 tasks; times are RFC 3339
in UTC.  Stats come from the runtime (cgroups through Docker, or /proc for the process
runtime); ``precpu_stats`` is the previous reading this endpoint took.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from cargobay.agent.runtime import ContainerHandle, ContainerRuntimeError, ContainerStats

if TYPE_CHECKING:
    from cargobay.agent.container_run import ContainerRun
    from cargobay.agent.task_runner import TaskRunner

log = logging.getLogger("cargobay.agent.metadata")

NANOS = 1_000_000_000

#: token → (runner, container) for the container the token was given to
Lookup = Callable[[str], "tuple[TaskRunner, ContainerRun] | None"]
#: a running container's stats from the runtime
StatsOf = Callable[[ContainerHandle], Awaitable[ContainerStats]]
#: (path, query, headers) → (status, body) for ``/v2/credentials/<id>``, ``/v1/credentials``
Credentials = Callable[[str, str, dict[str, str]], tuple[int, Any]]


def rfc3339(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


def container_metadata(runner: TaskRunner, c: ContainerRun) -> dict[str, Any]:
    spec = c.spec
    limits = runner.limits(c)
    logcfg = c.definition.get("logConfiguration") or {}
    doc: dict[str, Any] = {
        "DockerId": c.handle.id if c.handle is not None else None,
        "Name": c.name,
        "DockerName": c.engine_name,
        "Image": str(c.definition.get("image", "")),
        "ImageID": None,
        "Labels": dict(spec.labels) if spec is not None else None,
        "DesiredStatus": "STOPPED" if runner.desired == "STOPPED" else "RUNNING",
        # a container asking about itself is running, even before start() returned
        "KnownStatus": "RUNNING" if c.status == "PENDING" and c.start_requested else c.status,
        "ExitCode": c.exit_code if c.status == "STOPPED" else None,
        "Limits": {"CPU": limits["cpu"] or 0, "Memory": limits["memory"] or 0},
        "CreatedAt": rfc3339(c.created_at),
        "StartedAt": rfc3339(c.started_at),
        "FinishedAt": rfc3339(c.finished_at),
        "Type": "NORMAL",
        "ContainerARN": runner.task.container_arns.get(c.name),
        "LogDriver": logcfg.get("logDriver", "json-file"),
        "LogOptions": logcfg.get("options") or None,
        "Networks": [_network(runner, spec)],
    }
    if spec is not None and spec.port_mappings:
        doc["Ports"] = [
            {
                "ContainerPort": p.container_port,
                "Protocol": p.protocol,
                "HostPort": p.host_port,
                "HostIp": "0.0.0.0",
            }
            for p in spec.port_mappings
        ]
    if c.has_health_check:
        doc["Health"] = {"status": c.health.value}
    return _drop_none(doc)


def _network(runner: TaskRunner, spec: Any) -> dict[str, Any]:
    """The container's network: the task's own address for an awsvpc (Fargate) task."""
    net = runner.task.network
    if net.get("ip"):
        return _drop_none({
            "NetworkMode": "awsvpc",
            "IPv4Addresses": [net["ip"]],
            "AttachmentIndex": 0,
            "MACAddress": net.get("mac"),
            "IPv4SubnetCIDRBlock": net.get("cidr"),
            "PrivateDNSName": net.get("dns"),
        })
    return {
        "NetworkMode": spec.network_mode if spec is not None else "host",
        "IPv4Addresses": ["127.0.0.1"] if spec is None or spec.network_mode == "host" else [],
    }


def task_metadata(runner: TaskRunner, zone: str) -> dict[str, Any]:
    task = runner.task
    td = task.task_definition
    limits: dict[str, Any] = {}
    cpu = task.overrides.get("cpu") or td.get("cpu")
    memory = task.overrides.get("memory") or td.get("memory")
    if cpu:
        limits["CPU"] = int(cpu) / 1024
    if memory:
        limits["Memory"] = int(memory)
    group = task.group or ""
    doc: dict[str, Any] = {
        "Cluster": task.cluster_arn,
        "TaskARN": task.task_arn,
        "Family": task.family,
        "Revision": str(task.revision),
        "ServiceName": group[len("service:") :] if group.startswith("service:") else None,
        "DesiredStatus": runner.desired,
        "KnownStatus": runner.known if runner.known != "NONE" else "PENDING",
        "Limits": limits or None,
        "PullStartedAt": rfc3339(runner.pull_started_at),
        "PullStoppedAt": rfc3339(runner.pull_stopped_at),
        "ExecutionStoppedAt": rfc3339(runner.execution_stopped_at),
        "AvailabilityZone": task.availability_zone or zone,
        "LaunchType": task.launch_type,
        "Containers": [container_metadata(runner, runner.containers[n]) for n in runner.order],
    }
    return _drop_none(doc)


def docker_stats(
    c: ContainerRun, now: ContainerStats, before: ContainerStats | None, online_cpus: int
) -> dict[str, Any]:
    """Docker's stats document from two readings of the runtime's ContainerStats."""

    def cpu(s: ContainerStats | None) -> dict[str, Any]:
        if s is None:
            return {"cpu_usage": {"total_usage": 0}, "throttling_data": {}}
        total = round(s.cpu_seconds * NANOS)
        return {
            "cpu_usage": {
                "total_usage": total,
                "usage_in_kernelmode": 0,
                "usage_in_usermode": total,
            },
            "system_cpu_usage": round(s.read_at * NANOS * online_cpus),
            "online_cpus": online_cpus,
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
        }

    return {
        "read": rfc3339(now.read_at),
        "preread": rfc3339(before.read_at) if before is not None else "0001-01-01T00:00:00Z",
        "pids_stats": {"current": now.pids},
        "blkio_stats": {"io_service_bytes_recursive": [], "io_serviced_recursive": []},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu(now),
        "precpu_stats": cpu(before),
        "memory_stats": {
            "usage": now.memory_bytes,
            "max_usage": now.memory_bytes,
            "stats": {},
            "limit": now.memory_limit_bytes,
        },
        "name": "/" + c.engine_name,
        "id": c.handle.id if c.handle is not None else "",
    }


class MetadataServer:
    """An HTTP/1.1 server (one request per connection) for the v4 endpoint."""

    def __init__(
        self,
        lookup: Lookup,
        stats_of: StatsOf,
        *,
        zone: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.lookup = lookup
        self.stats_of = stats_of
        self.zone = zone
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._last: dict[str, ContainerStats] = {}
        #: the task-role credentials endpoint (task_iam.TaskIam.answer), when served
        self.credentials: Credentials | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def uri(self, token: str) -> str:
        return f"{self.base_url}/v4/{token}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
            headers: dict[str, str] = {}
            for _ in range(100):
                header = await reader.readuntil(b"\r\n")
                if header == b"\r\n":
                    break
                name, _, value = header.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            parts = line.decode("latin-1").split()
            method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
            status, body = await self.answer(method, target, headers)
            payload = orjson.dumps(body)
            head = (
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + payload)
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    async def answer(
        self, method: str, target: str, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """(HTTP status, JSON body) for a request."""
        if method not in ("GET", "HEAD"):
            return 405, {"error": "method not allowed"}
        path, _, query = target.partition("?")
        path = path.rstrip("/")
        if self.credentials is not None and (
            path == "/v1/credentials" or path.startswith("/v2/credentials")
        ):
            return self.credentials(path, query, headers or {})
        parts = path.split("/")[1:]  # ["v4", token, ...]
        if len(parts) < 2 or parts[0] not in ("v3", "v4"):
            return 404, {"error": "not found"}
        found = self.lookup(parts[1])
        if found is None:
            return 404, {"error": f"unable to find container for id {parts[1]}"}
        runner, c = found
        rest = parts[2:]
        if rest == []:
            return 200, container_metadata(runner, c)
        if rest in (["task"], ["taskWithTags"]):
            return 200, task_metadata(runner, self.zone)
        if rest == ["stats"]:
            return 200, await self._stats(c)
        if rest == ["task", "stats"]:
            out: dict[str, Any] = {}
            for name in runner.order:
                other = runner.containers[name]
                if other.handle is not None:
                    out[other.handle.id] = await self._stats(other)
            return 200, out
        return 404, {"error": "not found"}

    async def _stats(self, c: ContainerRun) -> dict[str, Any] | None:
        if c.handle is None or c.status != "RUNNING":
            return None
        try:
            now = await self.stats_of(c.handle)
        except ContainerRuntimeError as e:
            log.debug("stats of %s: %s", c.name, e)
            return None
        before = self._last.get(c.handle.id)
        self._last[c.handle.id] = now
        return docker_stats(c, now, before, os.cpu_count() or 1)

    def forget(self, handle_id: str) -> None:
        self._last.pop(handle_id, None)
