"""Amazon EFS (rest-json): file systems are directories on this host (or on a root
every host shares: CARGOBAY_EFS_ROOT), with access points, mount targets, a file
system policy and tags.  Operations in mixins: file_systems.py, access_points.py,
mount_targets.py, tags.py, settings.py; what a task's mount may do in mounts.py.  State lives in
the store (tables ``efs.*``, keys ``<account>/<region>/…``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.services.efs.access_points import AccessPointOps
from cargobay.services.efs.file_systems import FileSystemOps
from cargobay.services.efs.mount_targets import MountTargetOps
from cargobay.services.efs.settings import SettingsOps
from cargobay.services.efs.tags import TagOps

if TYPE_CHECKING:
    from cargobay.app import App


class EfsService(FileSystemOps, AccessPointOps, MountTargetOps, TagOps, SettingsOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
