"""SigV4 verification against requests botocore signs (AWS General Reference, "Signature
Version 4 signing process"; "Create a presigned URL"; S3 "Signature calculations for the
Authorization header: transferring payload in multiple chunks")."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cargobay.iam import sigv4_verify as v
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
CREDS = Credentials("AKIAEXAMPLE", SECRET)
URL = "http://127.0.0.1:4747"


def to_http(req: AWSRequest) -> HttpRequest:
    parts = urlsplit(req.url)
    headers = {k.lower(): str(v) for k, v in req.headers.items()}
    headers.setdefault("host", parts.netloc)
    body = req.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(req.method, parts.path or "/", parts.query, headers, body,
                       raw_path=parts.path or "/")


def signed(body: bytes = b'{"cluster":"prod"}', service: str = "ecs", path: str = "/",
           headers: dict[str, str] | None = None, creds: Credentials = CREDS) -> HttpRequest:
    req = AWSRequest("POST", URL + path, data=body,
                     headers={"Content-Type": "application/x-amz-json-1.1", **(headers or {})})
    SigV4Auth(creds, service, "us-east-1").add_auth(req)
    return to_http(req)


def accept(req: HttpRequest, service: str = "ecs", dialect: str = "json") -> v.Signature:
    sig = v.read_signature(req, dialect)
    assert sig is not None
    v.check_scope(sig, service, dialect)
    v.check_time(sig, sig.epoch + 1, dialect)
    v.verify(req, sig, SECRET, dialect)
    return sig


def refused(call: Any) -> AwsError:
    with pytest.raises(AwsError) as info:
        call()
    return info.value


def test_a_botocore_signed_request_verifies() -> None:
    sig = accept(signed())
    assert (sig.key_id, sig.region, sig.service) == ("AKIAEXAMPLE", "us-east-1", "ecs")
    assert "host" in sig.signed_headers and not sig.presigned


def test_a_rest_path_with_encoded_characters_verifies() -> None:
    """Paths are normalized and URI-encoded again (each segment), as botocore signs them."""
    accept(signed(path="/2015-02-01/file-systems/fs%3A1/a%20b", service="elasticfilesystem"),
           "elasticfilesystem")


def test_a_tampered_body_is_a_signature_mismatch() -> None:
    req = signed()
    req.body = b'{"cluster":"other"}'
    err = refused(lambda: accept(req))
    assert (err.code, err.status) == ("InvalidSignatureException", 400)
    assert err.message.startswith(
        "The request signature we calculated does not match the signature you provided.")
    assert "The Canonical String for this request should have been" in err.message


def test_a_wrong_secret_is_a_signature_mismatch_in_the_query_dialect() -> None:
    req = signed(service="sts", creds=Credentials("AKIAEXAMPLE", "not-the-secret"))
    err = refused(lambda: accept(req, "sts", "query"))
    assert (err.code, err.status) == ("SignatureDoesNotMatch", 403)


def test_a_tampered_signed_header_is_a_mismatch() -> None:
    req = signed(headers={"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters"})
    sig = v.read_signature(req, "json")
    assert sig is not None and "x-amz-target" in sig.signed_headers
    req.headers["x-amz-target"] = "AmazonEC2ContainerServiceV20141113.DeleteCluster"
    err = refused(lambda: v.verify(req, sig, SECRET, "json"))
    assert err.code == "InvalidSignatureException"


def test_unsigned_payload_is_accepted_as_declared() -> None:
    req = signed(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    req.body = b"anything"  # not covered by the signature, by design
    accept(req)


def test_skew_beyond_fifteen_minutes_is_refused_both_ways() -> None:
    sig = v.read_signature(signed(), "json")
    assert sig is not None
    v.check_time(sig, sig.epoch + 15 * 60, "json")
    late = refused(lambda: v.check_time(sig, sig.epoch + 15 * 60 + 1, "query"))
    assert (late.code, late.status) == ("SignatureDoesNotMatch", 403)
    assert late.message.startswith(f"Signature expired: {sig.timestamp} is now earlier than ")
    assert late.message.endswith(" - 15 min.)")
    early = refused(lambda: v.check_time(sig, sig.epoch - 15 * 60 - 1, "json"))
    assert early.code == "InvalidSignatureException"
    assert early.message.startswith(f"Signature not yet current: {sig.timestamp} is still later")


def test_a_credential_for_another_service_is_refused() -> None:
    sig = v.read_signature(signed(service="sqs"), "json")
    assert sig is not None
    err = refused(lambda: v.check_scope(sig, "ecs", "json"))
    assert err.message == "Credential should be scoped to correct service: 'ecs'. "


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ecs/aws4_request",
         "Authorization header requires 'Signature' parameter. Authorization header requires "
         "'SignedHeaders' parameter."),
        ("AWS AKIAEXAMPLE:c2lnbmF0dXJl",
         "Authorization header requires 'Credential' parameter. Authorization header requires "
         "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."),
    ],
)
def test_incomplete_authorization_headers(header: str, message: str) -> None:
    req = HttpRequest("POST", "/", headers={"authorization": header,
                                            "x-amz-date": "20260101T000000Z"})
    err = refused(lambda: v.read_signature(req, "query"))
    assert (err.code, err.status) == ("IncompleteSignature", 400)
    assert err.message == f"{message} Authorization={header}"


def test_a_missing_date_is_named() -> None:
    header = "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ecs/aws4_request"
    err = refused(lambda: v.read_signature(
        HttpRequest("POST", "/", headers={"authorization": header}), "json"))
    assert err.code == "IncompleteSignatureException"
    assert "requires existence of either a 'X-Amz-Date' or a 'Date' header" in err.message


def test_a_key_value_pair_without_equals_is_named() -> None:
    header = ("AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/ecs/aws4_request, "
              "SignedHeaders=host, Signature")
    err = refused(lambda: v.read_signature(
        HttpRequest("POST", "/", headers={"authorization": header}), "json"))
    assert err.message == (f"'Signature' not a valid key=value pair (missing equal-sign) in "
                           f"Authorization header: '{header}'.")


def test_no_authentication_at_all_reads_as_none() -> None:
    assert v.read_signature(HttpRequest("POST", "/"), "json") is None


def _presigned(query: str = "Action=GetCallerIdentity&Version=2011-06-15") -> HttpRequest:
    req = AWSRequest("GET", f"{URL}/?{query}")
    SigV4QueryAuth(CREDS, "sts", "us-east-1", expires=900).add_auth(req)
    return to_http(req)


def test_a_presigned_url_verifies() -> None:
    sig = accept(_presigned(), "sts", "query")
    assert sig.presigned


def test_a_tampered_presigned_url_is_refused() -> None:
    req = _presigned()
    req = HttpRequest("GET", "/", req.query_string.replace("GetCallerIdentity", "GetSessionToken"),
                      req.headers, b"", "/")
    err = refused(lambda: accept(req, "sts", "query"))
    assert err.code == "SignatureDoesNotMatch"


def test_a_presigned_url_missing_parameters() -> None:
    req = HttpRequest("GET", "/", "X-Amz-Credential=A%2F20260101%2Fus-east-1%2Fsts%2Faws4_request")
    err = refused(lambda: v.read_signature(req, "query"))
    assert err.code == "IncompleteSignature"
    assert "AWS query-string parameters must include 'X-Amz-Algorithm'." in err.message


def _chunked(chunks: list[bytes], *, corrupt: int | None = None) -> HttpRequest:
    """A STREAMING-AWS4-HMAC-SHA256-PAYLOAD request, chunk-signed per the S3 reference."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    req = AWSRequest("PUT", URL + "/obj", headers={
        "X-Amz-Content-SHA256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked", "X-Amz-Date": stamp})
    auth = SigV4Auth(CREDS, "s3", "us-east-1")
    req.context["timestamp"] = stamp
    cr = auth.canonical_request(req)
    seed = auth.signature(auth.string_to_sign(req, cr), req)
    auth._inject_signature_to_request(req, seed)
    key = v._signing_key(SECRET, stamp[:8], "us-east-1", "s3")
    scope = f"{stamp[:8]}/us-east-1/s3/aws4_request"
    previous, out = seed, b""
    for i, data in enumerate([*chunks, b""]):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", stamp, scope, previous,
                         hashlib.sha256(b"").hexdigest(), hashlib.sha256(data).hexdigest()])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        previous = sig
        if corrupt == i:
            data = data[:-1] + b"X"
        out += f"{len(data):x};chunk-signature={sig}\r\n".encode() + data + b"\r\n"
    http = to_http(req)
    http.body = out
    return http


def test_a_chunk_signed_streaming_body_verifies_and_is_decoded() -> None:
    req = _chunked([b"hello ", b"world"])
    accept(req, "s3")
    assert req.body == b"hello world"


def test_a_tampered_chunk_is_refused() -> None:
    req = _chunked([b"hello ", b"world"], corrupt=1)
    err = refused(lambda: accept(req, "s3"))
    assert err.code == "InvalidSignatureException"
