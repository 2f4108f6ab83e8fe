from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import ServerProcess, client, post


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """One in-memory ``cargobay server`` for the whole run."""
    srv = ServerProcess().start()
    try:
        yield srv.url
    finally:
        srv.stop()


@pytest.fixture
def url(server_url: str) -> str:
    """The shared server, wiped clean before the test."""
    assert post(server_url + "/_cargobay/reset") == 200
    return server_url


@pytest.fixture
def ecs(url: str) -> Any:
    return client("ecs", url)
