"""Secrets Manager (json 1.1): PLACEHOLDER, being written."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cargobay.app import App


class SecretsManagerService:
    def __init__(self, app: App) -> None:
        self.app = app
