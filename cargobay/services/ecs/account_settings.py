"""PLACEHOLDER: being written."""

from __future__ import annotations

from cargobay.services.ecs.base import EcsBase


class AccountSettingOps(EcsBase):
    pass
