"""Gzip-encoded request bodies (botocore's request compression)."""

from __future__ import annotations

import gzip

import pytest

from cargobay.protocol import content_encoding
from cargobay.protocol.errors import SerializationError
from cargobay.protocol.http import HttpRequest


def req(body: bytes, encoding: str = "gzip") -> HttpRequest:
    return HttpRequest("POST", "/", headers={"content-encoding": encoding}, body=body)


def test_gzip_body_is_decoded_and_the_sent_bytes_kept_for_sigv4() -> None:
    sent = gzip.compress(b"Action=PutMetricData&Version=2010-08-01")
    r = req(sent)
    content_encoding.decode_body(r)
    assert r.body == b"Action=PutMetricData&Version=2010-08-01"
    assert r.wire_body == sent
    content_encoding.decode_body(r)  # a second call changes nothing
    assert r.body == b"Action=PutMetricData&Version=2010-08-01"


def test_other_encodings_are_left_alone() -> None:
    r = req(b"{}", encoding="")
    content_encoding.decode_body(r)
    assert r.body == b"{}" and r.wire_body is None
    r = req(b"{}", encoding="identity")
    content_encoding.decode_body(r)
    assert r.body == b"{}" and r.wire_body is None


@pytest.mark.parametrize(
    "body",
    [b"not gzip at all", gzip.compress(b"x" * 1000)[:-12]],
    ids=["garbage", "truncated"],
)
def test_bad_gzip_is_a_serialization_error(body: bytes) -> None:
    r = req(body)
    with pytest.raises(SerializationError):
        content_encoding.decode_body(r)
    assert r.body == body and r.wire_body is None


def test_a_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(content_encoding, "MAX_DECODED", 1000)
    r = req(gzip.compress(b"0" * 5000))
    with pytest.raises(SerializationError, match="expands past"):
        content_encoding.decode_body(r)
