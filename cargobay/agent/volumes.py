"""A task's volumes on the agent, and the mounts of each container.

What each kind of ``volumes[]`` entry of a task definition becomes:

- ``host.sourcePath``: that host directory (created when missing, as Docker does).
  ``..`` is refused; when ``CARGOBAY_HOST_VOLUME_ROOTS`` (colon-separated) is set the
  path, symlinks resolved, must lie under one of those roots.
- ``host`` without sourcePath, or no configuration: an empty directory for the task,
  ``<volume root>/tasks/<task id>/<name>``, removed when the task stops.
- ``dockerVolumeConfiguration``: on the docker runtime a real Docker volume — scope
  ``task`` (the default): created for the task (``ecs-<family>-<revision>-<name>-<task
  id>``) with its driver, driverOpts and labels, removed when the task stops; scope
  ``shared``: the volume named like the task definition's volume, created when missing
  only with ``autoprovision``, kept after the task.  On the process runtime the same
  lifecycles with directories: ``<volume root>/shared/<name>`` and the task's own;
  only the ``local`` driver.
- ``configuredAtLaunch`` (RunTask/StartTask/CreateService ``volumeConfigurations``;
  ECS: a new EBS volume): a new directory ``<volume root>/managed/<task id>-<name>``,
  removed when the task stops unless its terminationPolicy keeps it.
- ``efsVolumeConfiguration``: the directory the control plane resolved and authorized
  at launch (the assignment's ``volumes``, see cargobay/services/efs/mounts.py): a
  refusal there stops the task with its reason; read-only when the task role lacks
  ClientWrite; an access point's PosixUser becomes the user of the containers mounting
  it.

Containers get them through ``mountPoints`` (sourceVolume, containerPath, readOnly)
and ``volumesFrom`` (every mount point of the named container, read-only if asked).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from cargobay.agent.assignment import Assignment
from cargobay.agent.runtime import ContainerSpec, Mount, Runtime
from cargobay.agent.task_iam import TaskStartError

HOST_ROOTS_ENV = "CARGOBAY_HOST_VOLUME_ROOTS"
#: the shared EFS root as this host mounts it (cargobay/services/efs/paths.py)
EFS_ROOT_ENV = "CARGOBAY_EFS_ROOT"
Doc = dict[str, Any]


@dataclass
class Volume:
    name: str
    source: str
    docker_volume: bool = False
    read_only: bool = False
    posix_user: Doc | None = None
    #: removed when the task stops (a task-scoped Docker volume or directory)
    task_scoped: bool = False


def check_host_path(path: str, roots: list[str] | None = None) -> str:
    """A host volume's sourcePath, checked: ValueError with the reason when refused."""
    if not path.startswith("/"):
        raise ValueError(f"host sourcePath {path!r} must be an absolute path")
    if any(part == ".." for part in path.split("/")):
        raise ValueError(f"host sourcePath {path!r} must not contain '..'")
    allowed = roots if roots is not None else _env_roots()
    if allowed:
        real = os.path.realpath(path)
        for root in allowed:
            base = os.path.realpath(root)
            if real == base or os.path.commonpath([base, real]) == base:
                return real
        raise ValueError(
            f"host sourcePath {path!r} resolves to {real}, outside the allowed roots "
            f"({HOST_ROOTS_ENV}={':'.join(allowed)})"
        )
    return path


def _env_roots() -> list[str]:
    return [r for r in os.environ.get(HOST_ROOTS_ENV, "").split(":") if r]


class TaskVolumes:
    """The volumes of one task: ``prepare`` before the containers are created,
    ``apply`` to each container's spec, ``release`` once the task has stopped."""

    def __init__(self, runtime: Runtime, root: str, task: Assignment) -> None:
        self.runtime = runtime
        self.root = root
        self.task = task
        self.volumes: dict[str, Volume] = {}

    @property
    def _docker(self) -> Any:
        return getattr(self.runtime, "api", None) if self.runtime.name == "docker" else None

    def _task_dir(self, name: str) -> str:
        return os.path.join(self.root, "tasks", self.task.task_id, name)

    async def prepare(self) -> None:
        """Resolve and create every volume; TaskStartError (the task's stoppedReason)."""
        resolved = {str(v.get("name")): v for v in self.task.volumes}
        for v in self.task.task_definition.get("volumes") or []:
            name = str(v.get("name", ""))
            if v.get("configuredAtLaunch"):
                self.volumes[name] = self._managed(name, resolved.get(name))
                continue
            if v.get("efsVolumeConfiguration") is not None:
                self.volumes[name] = self._efs(name, resolved.get(name))
            elif v.get("dockerVolumeConfiguration") is not None:
                self.volumes[name] = await self._docker_volume(name, v["dockerVolumeConfiguration"])
            elif (v.get("host") or {}).get("sourcePath"):
                self.volumes[name] = self._host(name, str(v["host"]["sourcePath"]))
            elif v.get("fsxWindowsFileServerVolumeConfiguration") is not None:
                raise TaskStartError(
                    f"ResourceInitializationError: volume {name}: FSx for Windows File "
                    "Server volumes are not supported"
                )
            else:
                path = self._task_dir(name)
                os.makedirs(path, exist_ok=True)
                self.volumes[name] = Volume(name, path, task_scoped=True)

    def _efs(self, name: str, entry: Doc | None) -> Volume:
        if entry is None:
            raise TaskStartError(
                f"ResourceInitializationError: EFS volume {name} was not resolved by the "
                "control plane"
            )
        if entry.get("error"):
            raise TaskStartError(str(entry["error"]))
        efs = entry.get("efs") or {}
        path = _efs_path(efs)
        if not os.path.isdir(path):
            raise TaskStartError(
                f"ResourceInitializationError: EFS volume {name}: {path} is not reachable "
                "from this agent (CARGOBAY_EFS_ROOT must be shared by every host)"
            )
        return Volume(
            name,
            path,
            read_only=bool(efs.get("readOnly")),
            posix_user=efs.get("posixUser"),
        )

    def _managed(self, name: str, entry: Doc | None) -> Volume:
        """A volume configured at launch: a new directory for the task (ECS: a new EBS
        volume), kept after the task only when its termination policy says so."""
        managed = (entry or {}).get("managed")
        if managed is None:
            raise TaskStartError(
                f"ResourceInitializationError: volume {name} is configuredAtLaunch and the "
                "task was launched without a configuration for it"
            )
        path = os.path.join(self.root, "managed", f"{self.task.task_id}-{name}")
        os.makedirs(path, exist_ok=True)
        return Volume(name, path, task_scoped=bool(managed.get("deleteOnTermination", True)))

    def _host(self, name: str, source: str) -> Volume:
        try:
            path = check_host_path(source)
        except ValueError as e:
            raise TaskStartError(f"ResourceInitializationError: volume {name}: {e}") from None
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as e:
            raise TaskStartError(
                f"CannotCreateContainerError: volume {name}: cannot create {path}: {e.strerror}"
            ) from None
        return Volume(name, path)

    async def _docker_volume(self, name: str, cfg: Doc) -> Volume:
        scope = str(cfg.get("scope") or "task")
        driver = str(cfg.get("driver") or "local")
        shared = scope == "shared"
        api = self._docker
        if api is None:
            if driver != "local":
                raise TaskStartError(
                    f"CannotCreateContainerError: volume {name}: driver {driver} needs the "
                    "docker runtime"
                )
            if not shared:
                path = self._task_dir(name)
                os.makedirs(path, exist_ok=True)
                return Volume(name, path, task_scoped=True)
            path = os.path.join(self.root, "shared", name)
            if not os.path.isdir(path):
                if not cfg.get("autoprovision"):
                    raise TaskStartError(_no_such_volume(name))
                os.makedirs(path, exist_ok=True)
            return Volume(name, path)
        engine_name = name if shared else self._task_volume_name(name)
        loop = asyncio.get_running_loop()
        exists = await loop.run_in_executor(None, _volume_exists, api, engine_name)
        if not exists:
            if shared and not cfg.get("autoprovision"):
                raise TaskStartError(_no_such_volume(engine_name))
            try:
                await loop.run_in_executor(
                    None,
                    lambda: api.create_volume(
                        name=engine_name,
                        driver=driver,
                        driver_opts=dict(cfg.get("driverOpts") or {}) or None,
                        labels=dict(cfg.get("labels") or {}) or None,
                    ),
                )
            except Exception as e:  # docker.errors.APIError and friends
                raise TaskStartError(f"CannotCreateContainerError: volume {name}: {e}") from None
        return Volume(name, engine_name, docker_volume=True, task_scoped=not shared)

    def _task_volume_name(self, name: str) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in name)
        return f"ecs-{self.task.family}-{self.task.revision}-{safe}-{self.task.task_id}"

    def apply(self, spec: ContainerSpec, container: Doc) -> None:
        """Set ``spec.mounts`` (and the access point's user) from the container's
        mountPoints and volumesFrom."""
        by_name = {str(c.get("name")): c for c in self.task.container_definitions}
        mounts: list[Mount] = []
        users: list[Doc] = []

        def add(points: list[Doc], force_ro: bool) -> None:
            for mp in points:
                vol = self.volumes.get(str(mp.get("sourceVolume", "")))
                target = str(mp.get("containerPath", ""))
                if vol is None or not target:
                    continue
                ro = force_ro or bool(mp.get("readOnly")) or vol.read_only
                mounts.append(Mount(vol.source, target, ro, vol.docker_volume))
                if vol.posix_user:
                    users.append(vol.posix_user)

        add(list(container.get("mountPoints") or []), False)
        for vf in container.get("volumesFrom") or []:
            other = by_name.get(str(vf.get("sourceContainer", "")))
            if other is not None and other is not container:
                add(list(other.get("mountPoints") or []), bool(vf.get("readOnly")))
        spec.mounts = mounts
        if users:
            spec.user = f"{int(users[0]['Uid'])}:{int(users[0]['Gid'])}"
            spec.supplementary_groups = [int(g) for g in users[0].get("SecondaryGids") or []]

    async def release(self) -> None:
        """Remove what belonged to the task alone (best effort)."""
        api = self._docker
        for vol in self.volumes.values():
            if not vol.task_scoped:
                continue
            if vol.docker_volume and api is not None:
                loop = asyncio.get_running_loop()
                # already gone, or still in use by a lost container: leave it
                with contextlib.suppress(Exception):
                    await loop.run_in_executor(None, _remove_volume, api, vol.source)
            elif not vol.docker_volume and vol.source.startswith(
                os.path.join(self.root, "managed") + os.sep
            ):
                shutil.rmtree(vol.source, ignore_errors=True)
        shutil.rmtree(os.path.join(self.root, "tasks", self.task.task_id), ignore_errors=True)


def _efs_path(efs: Doc) -> str:
    """The EFS volume's directory on this host: under this agent's own
    ``CARGOBAY_EFS_ROOT`` when it has one (the shared root, mounted here), else the
    control plane's ``hostPath`` (same machine)."""
    root = os.environ.get(EFS_ROOT_ENV)
    rel = str(efs.get("path") or "")
    if root and rel and not rel.startswith("/") and ".." not in rel.split("/"):
        base = os.path.realpath(root)
        real = os.path.realpath(os.path.join(base, rel))
        if os.path.commonpath([base, real]) == base:
            return real
    return str(efs.get("hostPath", ""))


def _volume_exists(api: Any, name: str) -> bool:
    try:
        api.inspect_volume(name)
        return True
    except Exception:  # docker.errors.NotFound
        return False


def _no_such_volume(name: str) -> str:
    return (
        f"CannotCreateContainerError: Error response from daemon: get {name}: no such volume "
        "(a shared volume without autoprovision must exist)"
    )


def default_volume_root() -> str:
    """Volume directories when the agent keeps no data directory."""
    return os.path.join(tempfile.gettempdir(), f"cargobay-volumes-{os.getuid()}")


def _remove_volume(api: Any, name: str) -> None:
    api.remove_volume(name, force=True)
