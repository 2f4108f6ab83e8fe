"""The agent's long poll is SigV4-signed like an API call (cargobay/agent/channel.py);
``Authorizer.authenticate_request`` verifies it outside the AWS protocols."""

from __future__ import annotations

import pytest

from cargobay.agent.channel import POLL_PATH, PollClient
from cargobay.app import App
from cargobay.config import Config
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest


def _poll_request(endpoint: str, body: bytes) -> HttpRequest:
    client = PollClient(endpoint, "us-east-1")
    headers = {k.lower(): v for k, v in client._sign(body).items()}
    headers["host"] = f"{client.host}:{client.port}"
    return HttpRequest("POST", POLL_PATH, "", headers, body, raw_path=POLL_PATH)


def test_the_agents_signed_poll_authenticates_as_its_key_owner() -> None:
    app = App(Config(data_dir=None))
    req = _poll_request("http://127.0.0.1:4747", b'{"containerInstanceArn": "x"}')
    identity = app.authorizer.authenticate_request(req, "ecs")
    assert identity.arn == "arn:aws:iam::000000000000:root"


def test_a_tampered_poll_is_refused() -> None:
    app = App(Config(data_dir=None))
    req = _poll_request("http://127.0.0.1:4747", b'{"containerInstanceArn": "x"}')
    req.body = b'{"containerInstanceArn": "y"}'
    with pytest.raises(AwsError) as info:
        app.authorizer.authenticate_request(req, "ecs")
    assert (info.value.code, info.value.status) == ("InvalidSignatureException", 400)
    with pytest.raises(AwsError) as info:
        app.authorizer.authenticate_request(HttpRequest("POST", POLL_PATH), "ecs")
    assert info.value.code == "MissingAuthenticationTokenException"
