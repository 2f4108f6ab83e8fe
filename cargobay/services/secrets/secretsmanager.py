"""AWS Secrets Manager (json 1.1): one class, its operations in mixins.

Secrets live in the store (:mod:`secret_store`), one document per secret with its
versions (:mod:`versions`). Values are kept as given: there is no KMS encryption
(``KmsKeyId`` is stored and reported). A sweep on the app clock purges secrets whose
recovery window has ended; a lookup purges them too, so the window is exact.
Rotation and replication are not served.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from cargobay.services.secrets.secret_meta_ops import SecretMetaOps
from cargobay.services.secrets.secret_ops import SecretOps
from cargobay.services.secrets.secret_store import SecretStore

if TYPE_CHECKING:
    from cargobay.app import App

log = logging.getLogger("cargobay.secretsmanager")

SWEEP_INTERVAL = 3600.0


class SecretsManagerService(SecretOps, SecretMetaOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.clock = app.clock
        self.secrets = SecretStore(app.store)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _sweep_forever(self) -> None:
        while True:
            await self.clock.sleep(SWEEP_INTERVAL)
            try:
                self.secrets.sweep(self.clock.now())
            except Exception:  # the sweep must outlive a bad document
                log.exception("secret sweep failed")
