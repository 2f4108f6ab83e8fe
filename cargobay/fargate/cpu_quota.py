"""A Fargate task's CPU limit on the process runtime, where the host lets us set one.

Docker enforces a task's cpu/1024 cores itself (NanoCpus).  For plain processes the
fleet uses the kernel's CFS bandwidth control when a cpu controller is writable (the
server runs as root):

- cgroup v1 (``/sys/fs/cgroup/cpu``): a cgroup ``cargobay-fargate/<task id>`` with
  ``cpu.cfs_quota_us`` = cpu/1024 × ``cpu.cfs_period_us``;
- cgroup v2 (``/sys/fs/cgroup`` with ``cpu`` in cgroup.controllers): the same group with
  ``cpu.max`` = ``"<quota> <period>"``.

Each container's command joins the group before it execs (:func:`wrap`: ``sh -c 'echo
$$ > <group>/cgroup.procs; exec "$@"'``), so all the task's processes share the task's
CPU, as on Fargate.  The group is removed once the task's containers are gone.  Where
no controller can be written (not root, no cgroup mount) nothing is limited
(docs/differences.md); a container whose user may not join runs unlimited as well.
"""

from __future__ import annotations

import contextlib
import logging
import os

log = logging.getLogger("cargobay.fargate")

V1_ROOTS = ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct")
V2_ROOT = "/sys/fs/cgroup"
GROUP = "cargobay-fargate"
PERIOD_US = 100_000
#: the shell line that puts the container's process into the group, then runs it
JOIN = 'echo $$ > "$0/cgroup.procs" 2>/dev/null; exec "$@"'


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _v1_root() -> str | None:
    for root in V1_ROOTS:
        if os.path.exists(os.path.join(root, "cpu.cfs_quota_us")) and os.access(root, os.W_OK):
            return root
    return None


def _v2_ready() -> bool:
    try:
        with open(os.path.join(V2_ROOT, "cgroup.controllers")) as f:
            return "cpu" in f.read().split() and os.access(V2_ROOT, os.W_OK)
    except OSError:
        return False


def create(task_id: str, cpu_units: int) -> str | None:
    """The task's cgroup directory, limited to ``cpu_units``/1024 cores; None when the
    host allows no limit."""
    quota = max(1000, cpu_units * PERIOD_US // 1024)
    try:
        root = _v1_root()
        if root is not None:
            path = os.path.join(root, GROUP, task_id)
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "cpu.cfs_period_us"), str(PERIOD_US))
            _write(os.path.join(path, "cpu.cfs_quota_us"), str(quota))
            return path
        if _v2_ready():
            base = os.path.join(V2_ROOT, GROUP)
            os.makedirs(base, exist_ok=True)
            with contextlib.suppress(OSError):
                _write(os.path.join(V2_ROOT, "cgroup.subtree_control"), "+cpu")
            _write(os.path.join(base, "cgroup.subtree_control"), "+cpu")
            path = os.path.join(base, task_id)
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "cpu.max"), f"{quota} {PERIOD_US}")
            return path
    except OSError as e:
        log.info("no CPU limit for Fargate task %s: %s", task_id, e)
    return None


def wrap(argv: list[str], group: str) -> list[str]:
    """``argv``, run from inside ``group``."""
    return ["/bin/sh", "-c", JOIN, group, *argv]


def remove(group: str) -> None:
    """Remove the task's group (left in place while a process is still in it)."""
    with contextlib.suppress(OSError):
        os.rmdir(group)


def remove_for(task_id: str) -> None:
    """Remove the group of ``task_id`` wherever it was made (after a restart)."""
    for root in (*V1_ROOTS, V2_ROOT):
        remove(os.path.join(root, GROUP, task_id))
