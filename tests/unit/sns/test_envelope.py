"""The SNS JSON message and its signature ("Verifying the signatures of Amazon SNS
messages"), message attribute checks ("Amazon SNS message attributes"), names and
endpoints."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cargobay.clock import SimClock
from cargobay.services.sns import endpoints, envelope, message_attributes, names
from cargobay.services.sns.errors import InvalidParameter, ParameterValueInvalid
from cargobay.services.sns.signing import Signer
from cargobay.store.memory import MemoryStore


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer(MemoryStore(), SimClock())


def verify(signer: Signer, env: dict[str, object]) -> None:
    key = x509.load_pem_x509_certificate(signer.cert_pem()).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    algo = hashes.SHA1() if env["SignatureVersion"] == "1" else hashes.SHA256()
    key.verify(base64.b64decode(str(env["Signature"])), envelope.string_to_sign(env).encode(),
               padding.PKCS1v15(), algo)


def note(signer: Signer, **kw: object) -> dict[str, object]:
    args: dict[str, object] = dict(
        message_id="4d4dc071-ddbf-465d-bba8-08f81c89da64", topic_arn="arn:aws:sns:us-east-2:"
        "123456789012:s4-MySNSTopic-1G1WEFCOXTC0P", message="My Test Message",
        timestamp=1338871024.321, subject="My subject", unsubscribe_url="http://x/u",
        attributes={}, sequence_number=None, signer=signer, cert_url="http://x/c.pem",
        version="1")
    args.update(kw)
    return envelope.notification(**args)  # type: ignore[arg-type]


def test_string_to_sign_of_the_guides_notification(signer: Signer) -> None:
    env = note(signer)
    assert envelope.string_to_sign(env) == (
        "Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\n"
        "Subject\nMy subject\nTimestamp\n2012-06-05T04:37:04.321Z\nTopicArn\n"
        "arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\nType\nNotification\n")
    verify(signer, env)


def test_no_subject_no_subject_line(signer: Signer) -> None:
    env = note(signer, subject=None)
    assert "Subject" not in env and "Subject\n" not in envelope.string_to_sign(env)
    verify(signer, env)


def test_signature_covers_the_message(signer: Signer) -> None:
    env = note(signer)
    env["Message"] = "changed"
    with pytest.raises(InvalidSignature):
        verify(signer, env)


def test_version_2_is_sha256(signer: Signer) -> None:
    env = note(signer, version="2")
    verify(signer, env)
    with pytest.raises(InvalidSignature):
        verify(signer, dict(env, SignatureVersion="1"))


def test_confirmation_fields(signer: Signer) -> None:
    env = envelope.confirmation(
        "SubscriptionConfirmation", message_id="m", token="tok", topic_arn="arn:t",
        message=envelope.subscribe_text("arn:t"), subscribe_url="http://x/?Token=tok",
        timestamp=0.0, signer=signer, cert_url="http://x/c.pem", version="1")
    assert list(env) == ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL",
                         "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"]
    assert envelope.string_to_sign(env).startswith("Message\nYou have chosen to subscribe")
    assert "\nSubscribeURL\nhttp://x/?Token=tok\nTimestamp\n1970-01-01T00:00:00.000Z\n" \
        "Token\ntok\n" in envelope.string_to_sign(env)
    verify(signer, env)


def test_dumps_writes_sns_style_json(signer: Signer) -> None:
    text = envelope.dumps({"Type": "Notification", "Message": "é"})
    assert text == '{\n  "Type" : "Notification",\n  "Message" : "é"\n}'
    assert json.loads(text)["Message"] == "é"


def test_the_key_is_made_once_and_kept_in_the_store() -> None:
    store = MemoryStore()
    a = Signer(store, SimClock())
    name = a.cert_name()
    b = Signer(store, SimClock())
    assert b.cert_name() == name and b.cert_pem() == a.cert_pem()
    assert Signer(MemoryStore(), SimClock()).cert_name() != name


# -- message attributes --------------------------------------------------------------------


@pytest.mark.parametrize(("attrs", "message"), [
    ({".a": {"DataType": "String", "StringValue": "x"}},
     "Invalid message attribute name starting with character '.' was found."),
    ({"a.": {"DataType": "String", "StringValue": "x"}},
     "Invalid message attribute name ending with character '.' was found."),
    ({"a..b": {"DataType": "String", "StringValue": "x"}},
     "Message attribute name can not have successive '.' character."),
    ({"a b": {"DataType": "String", "StringValue": "x"}},
     "Invalid non-alphanumeric character '#x20' was found in the message attribute name. "
     "Can only include alphanumeric characters, hyphens, underscores, or dots."),
    ({"a": {"DataType": "Text", "StringValue": "x"}},
     "The message attribute 'a' has an invalid message attribute type, the set of supported "
     "type prefixes is Binary, Number, and String."),
    ({"a": {"DataType": "String", "StringValue": ""}},
     "The message attribute 'a' must contain non-empty message attribute value for message "
     "attribute type 'String'."),
    ({"a": {"DataType": "Binary", "StringValue": "x"}},
     "The message attribute 'a' with type 'Binary' must use field 'Binary'."),
    ({"a": {"DataType": "Number", "StringValue": "1e999"}},
     "Could not cast message attribute 'a' value to number."),
    ({"a": {"DataType": "String.Array", "StringValue": "[1, {\"x\": 2}]"}},
     "The message attribute 'a' with type 'String.Array' must hold a JSON array of strings, "
     "numbers, true, false or null."),
])
def test_refused_message_attributes(attrs: dict[str, dict[str, str]], message: str) -> None:
    with pytest.raises(ParameterValueInvalid) as e:
        message_attributes.check_attributes(attrs)
    assert e.value.message == message


def test_accepted_message_attributes_and_size() -> None:
    attrs = message_attributes.check_attributes({
        "s": {"DataType": "String.custom", "StringValue": "x"},
        "n": {"DataType": "Number", "StringValue": "-1.5e3"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00"},
        "a": {"DataType": "String.Array", "StringValue": '["x", 1, true, null]'},
    })
    assert set(attrs) == {"s", "n", "b", "a"}
    # all parts count: names, types and values
    assert message_attributes.publish_size("ab", attrs) == (
        2 + (1 + 13 + 1) + (1 + 6 + 6) + (1 + 6 + 1) + (1 + 12 + 20))
    with pytest.raises(InvalidParameter):
        message_attributes.check_size("x" * 262_144, attrs)
    message_attributes.check_size("x" * 262_000, {})


# -- names and endpoints -------------------------------------------------------------------


def test_topic_and_subscription_arns() -> None:
    ref = names.topic_ref("arn:aws:sns:us-east-1:123456789012:orders.fifo")
    assert ref.fifo and ref.key == "123456789012/us-east-1/orders.fifo"
    sub = names.sub_ref(ref.arn + ":8a21d249-4329-4871-acc6-7be709c6ea7f")
    assert sub is not None and sub.topic == ref
    assert names.sub_ref(ref.arn) is None
    assert names.sub_ref(ref.arn + ":not-a-uuid") is None
    with pytest.raises(InvalidParameter) as e:
        names.topic_ref("arn:aws:sns:x")
    assert e.value.message == ("Invalid parameter: TopicArn Reason: An ARN must have at least "
                               "6 elements, not 4")
    with pytest.raises(InvalidParameter):
        names.topic_ref("arn:aws:sqs:us-east-1:123456789012:q")


@pytest.mark.parametrize(("protocol", "endpoint", "ok"), [
    ("http", "http://127.0.0.1:8080/hook", True),
    ("http", "http://127.9.8.7/hook", True),
    ("https", "https://localhost:8443/x", True),
    ("http", "http://10.0.0.1/hook", False),
    ("http", "http://192.168.1.1/hook", False),
    ("http", "http://[::1]/hook", False),
    ("http", "http://sns.example.com/hook", False),
    ("https", "http://127.0.0.1/hook", False),
    ("sqs", "arn:aws:sqs:us-east-1:123456789012:q", True),
    ("sqs", "https://sqs.us-east-1.amazonaws.com/123456789012/q", False),
    ("email", "a@b.co", True),
    ("email-json", "not-an-address", False),
    ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", False),
])
def test_endpoints(protocol: str, endpoint: str, ok: bool) -> None:
    if ok:
        assert endpoints.check(protocol, endpoint, topic_fifo=False) == endpoint
    else:
        with pytest.raises(InvalidParameter):
            endpoints.check(protocol, endpoint, topic_fifo=False)


def test_fifo_topics_take_only_sqs() -> None:
    with pytest.raises(InvalidParameter):
        endpoints.check("http", "http://127.0.0.1/x", topic_fifo=True)
    endpoints.check("sqs", "arn:aws:sqs:us-east-1:123456789012:q.fifo", topic_fifo=True)
