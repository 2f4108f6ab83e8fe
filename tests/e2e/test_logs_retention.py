"""Retention on the clock (CloudWatch Logs User Guide, "Change log data retention"): a
group's events older than retentionInDays stop being returned, and the sweep deletes
them and their storedBytes.  An in-process server on a SimClock; the test moves it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from cargobay.services.logs.retention import SWEEP_INTERVAL
from tests.support import client, post, threaded_server

START = 1_700_000_000.0
DAY = 86_400.0


class Sim:
    def __init__(self, app: App, url: str) -> None:
        self.app = app
        self.url = url
        self.clock: SimClock = app.clock  # type: ignore[assignment]
        self.logs = client("logs", url)

    def advance(self, seconds: float) -> None:
        loop = self.app.services["logs"].loop  # type: ignore[attr-defined]
        asyncio.run_coroutine_threadsafe(self.clock.advance(seconds), loop).result(60)

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)


@pytest.fixture(scope="module")
def server() -> Iterator[Sim]:
    config = Config(data_dir=None)
    config.auth_mode = "off"  # requests are signed with the wall clock
    app = App(config, clock=SimClock(START))
    with threaded_server(app) as url:
        yield Sim(app, url)


@pytest.fixture
def sim(server: Sim) -> Sim:
    assert post(server.url + "/_cargobay/reset") == 200
    return server


def messages(logs: Any, group: str = "g", stream: str = "s") -> list[str]:
    out = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    return [e["message"] for e in out["events"]]


def test_events_past_retention_disappear_and_are_swept(sim: Sim) -> None:
    logs = sim.logs
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    logs.create_log_group(logGroupName="keep")
    logs.create_log_stream(logGroupName="keep", logStreamName="s")
    logs.put_retention_policy(logGroupName="g", retentionInDays=1)
    t = sim.now_ms()
    for group in ("g", "keep"):
        logs.put_log_events(logGroupName=group, logStreamName="s",
                            logEvents=[{"timestamp": t, "message": "old"}])
    sim.advance(DAY / 2)
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": sim.now_ms(), "message": "new"}])
    assert messages(logs) == ["old", "new"]
    sim.advance(DAY / 2 + 1)
    # hidden the moment it passes the retention period …
    assert messages(logs) == ["new"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName="g")["events"]] == ["new"]
    # … and deleted by the next sweep
    sim.advance(SWEEP_INTERVAL)
    stream = logs.describe_log_streams(logGroupName="g")["logStreams"][0]
    assert stream["storedBytes"] == len("new")
    assert messages(logs, "keep") == ["old"]  # no retention policy: kept forever
    sim.advance(DAY)
    assert messages(logs) == []
    logs.delete_retention_policy(logGroupName="g")
    logs.put_log_events(logGroupName="g", logStreamName="s",
                        logEvents=[{"timestamp": sim.now_ms() - 3 * 86_400_000,
                                    "message": "three days old"}])
    assert messages(logs) == ["three days old"]
