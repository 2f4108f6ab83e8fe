from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import ServerProcess, post

#: a short reconcile interval and drain bound keep the real-instance tests fast
ASG_ENV = {"CARGOBAY_ASG_INTERVAL": "0.2", "CARGOBAY_ASG_DRAIN_TIMEOUT": "3",
           "CARGOBAY_ASG_RUNTIME": "process"}


@pytest.fixture(scope="module")
def asg_server() -> Iterator[ServerProcess]:
    srv = ServerProcess(env=ASG_ENV).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def asg_url(asg_server: ServerProcess) -> str:
    assert post(asg_server.url + "/_cargobay/reset") == 200
    return asg_server.url
