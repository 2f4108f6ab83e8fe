"""Helpers for tests: real servers on free ports, real clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

REGION = "us-east-1"
CREDS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(
    url: str, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not become healthy")


def client(service: str, url: str, region: str = REGION, **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        config=BotoConfig(retries={"max_attempts": 1}, **config),
        **CREDS,
    )


def expect_error(call: Callable[[], Any], code: str, status: int = 400) -> str:
    """Run ``call``; it must fail with AWS error ``code`` and HTTP ``status``.

    Returns the error message."""
    import pytest
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        call()
    resp = info.value.response
    assert resp["Error"]["Code"] == code, resp["Error"]
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == status
    return str(resp["Error"]["Message"])


def post(url: str) -> int:
    req = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(r.status)


class ServerProcess:
    """``python -m cargobay server`` as a child process on a free port."""

    def __init__(
        self,
        *args: str,
        data_dir: str | None = None,
        env: dict[str, str] | None = None,
        port: int | None = 0,
    ):
        """``port=0`` picks a free port; ``port=None`` passes no --port flag."""
        self.port = free_port() if port == 0 else port
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "cargobay", "server", *args]
        if port is not None:
            cmd += ["--port", str(self.port)]
        if data_dir:
            cmd += ["--data-dir", data_dir]
        elif "CARGOBAY_DATA_DIR" not in (env or {}):
            cmd += ["--in-memory"]
        self.cmd = cmd
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_healthy(self.url, proc=self.proc)
        return self

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()


@contextlib.contextmanager
def threaded_server(app: Any) -> Iterator[str]:
    """Serve a cargobay ``App`` (e.g. with stub services) in this process; yields its URL."""
    import uvicorn

    from cargobay.server import AsgiApp

    port = free_port()
    cfg = uvicorn.Config(AsgiApp(app), host="127.0.0.1", port=port, lifespan="on",
                         log_level="warning", access_log=False)
    server = uvicorn.Server(cfg)
    loop = asyncio.new_event_loop()
    t = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    t.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield url
    finally:
        server.should_exit = True
        t.join(timeout=10)


def aws_cli(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the AWS CLI against ``url``; JSON output."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        ["aws", "--endpoint-url", url, "--output", "json", *args],
        env=env, capture_output=True, text=True, check=check, timeout=60,
    )
