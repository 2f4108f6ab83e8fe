"""PLACEHOLDER (being written): ``POST /_cargobay/agent/poll``, the long poll through
which an agent receives its instance's desired tasks.  See docs/agent-protocol.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.protocol.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from cargobay.app import App


class AgentChannel:
    def __init__(self, app: App) -> None:
        self.app = app

    async def handle(self, req: HttpRequest) -> HttpResponse:
        return HttpResponse(404, [], b"")

    def notify(self, instance_key: str) -> None:
        """Wake the poll of the instance stored under ``instance_key`` (its version changed)."""
