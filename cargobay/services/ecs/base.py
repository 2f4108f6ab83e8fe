"""What every ECS mixin may use: the store and the clock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.clock import Clock
from cargobay.store import Store

if TYPE_CHECKING:
    from cargobay.app import App


class EcsBase:
    app: App
    store: Store
    clock: Clock
