"""AWS Secrets Manager (json 1.1): one class, its operations in mixins.

Secrets live in the store (:mod:`secret_store`), one document per secret with its
versions (:mod:`versions`). Values are kept as given: there is no KMS encryption
(``KmsKeyId`` is stored and reported). A sweep on the app clock purges secrets whose
recovery window has ended; a lookup purges them too, so the window is exact.
Rotation and replication are not served.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cargobay.services.periodic import Periodic
from cargobay.services.secrets.secret_meta_ops import SecretMetaOps
from cargobay.services.secrets.secret_ops import SecretOps
from cargobay.services.secrets.secret_store import SecretStore

if TYPE_CHECKING:
    from cargobay.app import App

SWEEP_INTERVAL = 3600.0


class SecretsManagerService(SecretOps, SecretMetaOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.clock = app.clock
        self.secrets = SecretStore(app.store)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._sweeps = Periodic(app.clock, SWEEP_INTERVAL,
                                lambda: self.secrets.sweep(self.clock.now()), "secrets-sweep")

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self._sweeps.start()

    async def stop(self) -> None:
        await self._sweeps.stop()
