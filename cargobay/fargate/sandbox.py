"""A Fargate task's sandbox: the fleet's runtime, with every container sized to the task.

Fargate gives a task exactly its cpu and memory.  Each container the task runner
creates through :class:`SizedRuntime` gets:

- memory: the task's memory as its hard limit (or the container's own ``memory`` when
  that is smaller).  On Docker the engine enforces it (OOM kill: exit 137); on the
  process runtime the resident-memory watcher does (SIGKILL: 137, OutOfMemoryError);
- cpu: a quota of cpu/1024 cores: Docker's NanoCpus; on the process runtime a CFS
  quota on a cgroup of the task's own, which every container joins before it execs
  (cpu_quota.py), where the host lets the server write one (else none:
  docs/differences.md).

The limits apply to each container, not to the sum of a task's containers
(docs/differences.md).  Everything else goes to the shared runtime unchanged.
"""

from __future__ import annotations

from cargobay.agent.runtime import (
    ContainerHandle,
    ContainerSpec,
    ContainerStats,
    ContainerStatus,
    Runtime,
)
from cargobay.fargate import cpu_quota

NANOS_PER_CPU = 1_000_000_000
CPU_UNITS = 1024


class SizedRuntime:
    """``inner`` with each created container limited to ``cpu`` units and ``memory`` MiB."""

    def __init__(self, inner: Runtime, *, cpu: int, memory: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.cpu = cpu
        self.memory = memory
        #: the process runtime's CPU group of the task (cpu_quota), once made
        self.cpu_group: str | None = None
        self._group_tried = False

    def size(self, spec: ContainerSpec) -> ContainerSpec:
        spec.memory = min(spec.memory, self.memory) if spec.memory else self.memory
        if spec.memory_reservation is not None and spec.memory_reservation > spec.memory:
            spec.memory_reservation = spec.memory
        spec.nano_cpus = self.cpu * NANOS_PER_CPU // CPU_UNITS
        if self.inner.name == "process" and spec.argv:
            if not self._group_tried:
                self._group_tried = True
                self.cpu_group = cpu_quota.create(spec.task_id, self.cpu)
            if self.cpu_group is not None:
                spec.entry_point = cpu_quota.wrap(spec.entry_point, self.cpu_group)
        return spec

    def release(self) -> None:
        """The task is over: its CPU group goes (if it had one)."""
        if self.cpu_group is not None:
            cpu_quota.remove(self.cpu_group)

    async def pull(self, image: str) -> None:
        await self.inner.pull(image)

    async def create(self, spec: ContainerSpec) -> ContainerHandle:
        return await self.inner.create(self.size(spec))

    async def start(self, handle: ContainerHandle) -> None:
        await self.inner.start(handle)

    async def status(self, handle: ContainerHandle) -> ContainerStatus:
        return await self.inner.status(handle)

    async def wait(self, handle: ContainerHandle) -> ContainerStatus:
        return await self.inner.wait(handle)

    async def stop(self, handle: ContainerHandle, timeout: float | None = None) -> None:
        await self.inner.stop(handle, timeout)

    async def remove(self, handle: ContainerHandle) -> None:
        await self.inner.remove(handle)

    async def stats(self, handle: ContainerHandle) -> ContainerStats:
        return await self.inner.stats(handle)

    async def close(self) -> None:
        """The shared runtime is the fleet's: nothing of it closes with one task."""


class AdoptingSizedRuntime(SizedRuntime):
    """A sized runtime over one that can follow containers again after a restart."""

    async def adopt(self, handle: ContainerHandle, spec: ContainerSpec) -> None:
        await self.inner.adopt(handle, self.size(spec))  # type: ignore[attr-defined]


def sized(inner: Runtime, *, cpu: int, memory: int) -> SizedRuntime:
    """The sandbox runtime for one task (with ``adopt`` when ``inner`` has it)."""
    if getattr(inner, "adopt", None) is not None:
        return AdoptingSizedRuntime(inner, cpu=cpu, memory=memory)
    return SizedRuntime(inner, cpu=cpu, memory=memory)
