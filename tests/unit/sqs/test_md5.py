"""The MD5 digests SQS returns, checked against moto's independent implementation and
against digests computed by hand from the documented layout."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from moto.sqs.models import Message as MotoMessage

from cargobay.services.sqs.md5 import md5_of_attributes, md5_of_body


def moto_md5(attrs: dict[str, dict[str, Any]]) -> str:
    m = MotoMessage("id", "body")
    m.message_attributes = attrs
    return str(m.attribute_md5)


def test_body_digest_is_md5_of_utf8() -> None:
    assert md5_of_body("hello") == "5d41402abc4b2a76b9719d911017c592"
    assert md5_of_body("grüße") == hashlib.md5("grüße".encode()).hexdigest()


def test_one_string_attribute_by_hand() -> None:
    # name "a" (len 1), type "String" (len 6), transport 1, value "b" (len 1)
    raw = (b"\x00\x00\x00\x01a" + b"\x00\x00\x00\x06String" + b"\x01"
           + b"\x00\x00\x00\x01b")
    assert md5_of_attributes({"a": {"DataType": "String", "StringValue": "b"}}) == (
        hashlib.md5(raw).hexdigest()
    )


def test_binary_uses_transport_two_and_raw_bytes() -> None:
    raw = (b"\x00\x00\x00\x03bin" + b"\x00\x00\x00\x06Binary" + b"\x02"
           + b"\x00\x00\x00\x02\x00\xff")
    assert md5_of_attributes({"bin": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}) == (
        hashlib.md5(raw).hexdigest()
    )


def test_no_attributes_no_digest() -> None:
    assert md5_of_attributes({}) is None


def test_order_is_by_name_not_by_insertion() -> None:
    a = {"z": {"DataType": "String", "StringValue": "1"},
         "a": {"DataType": "Number", "StringValue": "2"}}
    b = dict(reversed(list(a.items())))
    assert md5_of_attributes(a) == md5_of_attributes(b) == moto_md5(a)


names = st.text(alphabet="abcXYZ019_-.", min_size=1, max_size=12)
values = st.one_of(
    st.builds(lambda s, t: {"DataType": t, "StringValue": s},
              st.text(min_size=1, max_size=30), st.sampled_from(["String", "Number.int",
                                                                  "String.custom"])),
    st.builds(lambda b, t: {"DataType": t, "BinaryValue": b},
              st.binary(min_size=1, max_size=30), st.sampled_from(["Binary", "Binary.gz"])),
)


@given(st.dictionaries(names, values, min_size=1, max_size=10))
def test_agrees_with_moto(attrs: dict[str, dict[str, Any]]) -> None:
    assert md5_of_attributes(attrs) == moto_md5(attrs)
