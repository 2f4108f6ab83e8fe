"""Amazon ECS (json 1.1): one class, its operations grouped by resource in mixins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.services.ecs.account_settings import AccountSettingOps
from cargobay.services.ecs.clusters import ClusterOps
from cargobay.services.ecs.tags import TagOps
from cargobay.services.ecs.task_definitions import TaskDefinitionOps

if TYPE_CHECKING:
    from cargobay.app import App


class EcsService(ClusterOps, TaskDefinitionOps, TagOps, AccountSettingOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store
        self.clock = app.clock
