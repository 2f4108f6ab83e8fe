"""Forged, replayed and expired requests are refused with AWS's exact errors (AWS General
Reference, "Signature Version 4 signing process" and "Troubleshoot AWS Signature Version 4
errors"; "Common errors").

Query services (STS, IAM) answer SignatureDoesNotMatch / InvalidClientTokenId /
ExpiredToken with 403; JSON services (ECS) InvalidSignatureException /
UnrecognizedClientException / ExpiredTokenException with 400.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.config import Config
from tests.e2e.iam.conftest import ACCOUNT, policy, session_client
from tests.support import client, expect_error, threaded_server

ECS_TARGET = "AmazonEC2ContainerServiceV20141113.ListClusters"
ROOT = Credentials("test", "test")


def raw(url: str, req: AWSRequest) -> tuple[int, dict[str, str], bytes]:
    """Send a prepared AWSRequest as it stands (body and headers possibly altered)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        body = req.body if isinstance(req.body, bytes) else (req.body or "").encode()
        target = urlsplit(req.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request(req.method, path or "/", body=body, headers=dict(req.headers.items()))
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def ecs_request(url: str, body: bytes = b"{}", creds: Credentials = ROOT) -> AWSRequest:
    req = AWSRequest("POST", url + "/", data=body, headers={
        "X-Amz-Target": ECS_TARGET, "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(creds, "ecs", "us-east-1").add_auth(req)
    return req


def sts_request(url: str, creds: Credentials = ROOT) -> AWSRequest:
    req = AWSRequest("POST", url + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    SigV4Auth(creds, "sts", "us-east-1").add_auth(req)
    return req


def xml_code(body: bytes) -> str:
    text = body.decode()
    return text.split("<Code>")[1].split("</Code>")[0]


def test_a_tampered_body_is_refused(url: str) -> None:
    req = ecs_request(url, b'{"maxResults": 5}')
    assert raw(url, req)[0] == 200
    req.data = b'{"maxResults": 6}'
    req.headers["Content-Length"] = str(len(req.body))
    status, _, body = raw(url, req)
    doc = json.loads(body)
    assert (status, doc["__type"]) == (400, "InvalidSignatureException")
    assert doc["message"].startswith("The request signature we calculated does not match")

    req = sts_request(url)
    req.data = b"Action=GetCallerIdentity&Version=2011-06-15&X=1"
    req.headers["Content-Length"] = str(len(req.body))
    status, _, body = raw(url, req)
    assert (status, xml_code(body)) == (403, "SignatureDoesNotMatch")


def test_a_wrong_secret_is_refused(iam: Any, url: str) -> None:
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    forged = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": "x" * 40}
    msg = expect_error(lambda: session_client("ecs", url, forged).list_clusters(),
                       "InvalidSignatureException", 400)
    assert "The Canonical String for this request should have been" in msg
    expect_error(lambda: session_client("sts", url, forged).get_caller_identity(),
                 "SignatureDoesNotMatch", 403)
    expect_error(lambda: session_client("iam", url, forged).list_roles(),
                 "SignatureDoesNotMatch", 403)


def test_an_unknown_or_deactivated_key_is_refused(iam: Any, url: str) -> None:
    unknown = {"AccessKeyId": "AKIAUNKNOWNUNKNOWN00", "SecretAccessKey": "x"}
    msg = expect_error(lambda: session_client("ecs", url, unknown).list_clusters(),
                       "UnrecognizedClientException", 400)
    assert msg == "The security token included in the request is invalid."
    expect_error(lambda: session_client("sts", url, unknown).get_caller_identity(),
                 "InvalidClientTokenId", 403)
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    session_client("sts", url, key).get_caller_identity()
    iam.update_access_key(UserName="u", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    expect_error(lambda: session_client("sts", url, key).get_caller_identity(),
                 "InvalidClientTokenId", 403)
    iam.delete_access_key(UserName="u", AccessKeyId=key["AccessKeyId"])
    expect_error(lambda: session_client("sts", url, key).get_caller_identity(),
                 "InvalidClientTokenId", 403)


def test_a_request_signed_twenty_minutes_ago_is_refused(url: str) -> None:
    """The 15-minute rule: a replayed (or badly clocked) request."""
    old = datetime.now(UTC) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=old.replace(tzinfo=None)):
        stamp = old.strftime("%Y%m%dT%H%M%SZ")
        msg = expect_error(lambda: client("ecs", url).list_clusters(),
                           "InvalidSignatureException", 400)
        assert msg.startswith(f"Signature expired: {stamp} is now earlier than ")
        assert msg.endswith(" - 15 min.)")
        msg = expect_error(lambda: client("sts", url).get_caller_identity(),
                           "SignatureDoesNotMatch", 403)
        assert msg.startswith(f"Signature expired: {stamp} is now earlier than ")
    future = datetime.now(UTC) + timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime",
                    return_value=future.replace(tzinfo=None)):
        msg = expect_error(lambda: client("sts", url).get_caller_identity(),
                           "SignatureDoesNotMatch", 403)
        assert msg.startswith("Signature not yet current: ")


def _role_creds(iam: Any, sts: Any, **kw: Any) -> dict[str, Any]:
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}))[
        "Role"]["Arn"]
    iam.put_role_policy(RoleName="r", PolicyName="ecs", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}))
    creds: dict[str, Any] = sts.assume_role(RoleArn=arn, RoleSessionName="s1", **kw)[
        "Credentials"]
    return creds


def test_temporary_keys_need_their_session_token(iam: Any, sts: Any, url: str) -> None:
    creds = _role_creds(iam, sts)
    session_client("ecs", url, creds).list_clusters()
    no_token = {k: creds[k] for k in ("AccessKeyId", "SecretAccessKey")}
    msg = expect_error(lambda: session_client("sts", url, no_token).get_caller_identity(),
                       "InvalidClientTokenId", 403)
    assert msg == "The security token included in the request is invalid."
    expect_error(lambda: session_client("ecs", url, no_token).list_clusters(),
                 "UnrecognizedClientException", 400)
    wrong = {**creds, "SessionToken": creds["SessionToken"][:-4] + "AAAA"}
    expect_error(lambda: session_client("sts", url, wrong).get_caller_identity(),
                 "InvalidClientTokenId", 403)
    key = iam.create_access_key(UserName=iam.create_user(UserName="u")["User"]["UserName"])
    with_token = {**key["AccessKey"], "SessionToken": creds["SessionToken"]}
    expect_error(lambda: session_client("sts", url, with_token).get_caller_identity(),
                 "InvalidClientTokenId", 403)


def test_no_signature_at_all_is_a_missing_authentication_token(url: str) -> None:
    req = urllib.request.Request(url + "/", data=b"{}", method="POST", headers={
        "X-Amz-Target": ECS_TARGET, "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 403
    assert json.loads(info.value.read()) == {"__type": "MissingAuthenticationTokenException",
                                             "message": "Missing Authentication Token"}


def test_presigned_urls_good_and_tampered(url: str) -> None:
    presigned = client("sts", url).generate_presigned_url("get_caller_identity", ExpiresIn=60,
                                                          HttpMethod="GET")
    assert "X-Amz-Signature=" in presigned
    with urllib.request.urlopen(presigned, timeout=5) as r:
        assert r.status == 200
        assert f"<Arn>arn:aws:iam::{ACCOUNT}:root</Arn>".encode() in r.read()
    tampered = presigned.replace("GetCallerIdentity", "GetSessionToken")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(tampered, timeout=5)
    assert (info.value.code, xml_code(info.value.read())) == (403, "SignatureDoesNotMatch")
    forged = presigned.rsplit("X-Amz-Signature=", 1)[0] + "X-Amz-Signature=" + "0" * 64
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(forged, timeout=5)
    assert info.value.code == 403


# -- expiry, on a simulated clock ---------------------------------------------------------


class ClockedApp(App):
    """An in-process app on a SimClock that starts at the real time (so botocore's
    signatures are current); its event loop is kept to move the clock on."""

    loop: asyncio.AbstractEventLoop

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await super().start()

    def advance(self, seconds: float) -> None:
        clock = self.clock
        assert isinstance(clock, SimClock)
        asyncio.run_coroutine_threadsafe(clock.advance(seconds), self.loop).result(10)


@pytest.fixture
def clocked() -> Iterator[tuple[str, ClockedApp]]:
    app = ClockedApp(Config(data_dir=None), clock=SimClock(time.time()))
    with threaded_server(app) as url:
        yield url, app


def test_an_expired_session_token_is_refused(clocked: tuple[str, ClockedApp]) -> None:
    url, app = clocked
    creds = _role_creds(client("iam", url), client("sts", url), DurationSeconds=900)
    session_client("ecs", url, creds).list_clusters()
    app.advance(901)
    later = datetime.fromtimestamp(app.clock.now(), UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=later):
        msg = expect_error(lambda: session_client("sts", url, creds).get_caller_identity(),
                           "ExpiredToken", 403)
        assert msg == "The security token included in the request is expired"
        expect_error(lambda: session_client("ecs", url, creds).list_clusters(),
                     "ExpiredTokenException", 400)
        client("ecs", url).list_clusters()  # long-term keys are unaffected
