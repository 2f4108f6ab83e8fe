"""Settings: flags win over CARGOBAY_* environment variables, which win over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str) -> str:
    return os.environ.get(f"CARGOBAY_{name}", default)


@dataclass
class Config:
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("PORT", "4747")))
    #: where state lives; None keeps everything in memory
    data_dir: str | None = field(default_factory=lambda: _env("DATA_DIR", "./data") or None)
    account_id: str = field(default_factory=lambda: _env("ACCOUNT_ID", "000000000000"))
    region: str = field(default_factory=lambda: _env("REGION", "us-east-1"))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "warning"))
    #: seconds without a poll before an instance's agent counts as disconnected
    agent_timeout: float = field(default_factory=lambda: float(_env("AGENT_TIMEOUT", "30")))
    #: seconds an agent may stay disconnected before its tasks are set STOPPED
    agent_task_timeout: float = field(
        default_factory=lambda: float(_env("AGENT_TASK_TIMEOUT", "300"))
    )
    #: the embedded agent's runtime (``cargobay up``): docker, process, None: docker if
    #: an engine answers
    runtime: str | None = field(default_factory=lambda: _env("RUNTIME", "") or None)
    #: SigV4 + IAM on every request: enforce (refuse), audit (log decisions, allow), off
    auth_mode: str = field(default_factory=lambda: _env("AUTH_MODE", "enforce"))
    #: the bootstrap root identity's keys (always accepted; root may do anything)
    root_access_key_id: str = field(default_factory=lambda: _env("ROOT_ACCESS_KEY_ID", "test"))
    root_secret_access_key: str = field(
        default_factory=lambda: _env("ROOT_SECRET_ACCESS_KEY", "test")
    )

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def store_path(self) -> str | None:
        return None if self.data_dir is None else os.path.join(self.data_dir, "state.db")
