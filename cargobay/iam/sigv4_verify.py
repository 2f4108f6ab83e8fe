"""Verifying AWS Signature Version 4: recompute the signature with the stored secret.

The canonical request is built with botocore's own canonicalization (``SigV4Auth``:
path normalization, canonical query string, canonical headers, signed headers and the
string to sign), from exactly the headers the client listed in ``SignedHeaders``.
Derived signing keys are cached per secret, date, region and service.

Forms accepted:

- ``Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`` with
  ``X-Amz-Date`` (or ``Date``);
- presigned query strings (``X-Amz-Algorithm``, ``X-Amz-Credential``, ``X-Amz-Date``,
  ``X-Amz-SignedHeaders``, ``X-Amz-Signature``; the canonical query string excludes the
  signature);
- payload hashes: the body's SHA-256, ``UNSIGNED-PAYLOAD``, and the streaming forms
  ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` (every chunk signature checked) and
  ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``; an ``aws-chunked`` body is decoded in place.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import quote

from botocore.auth import EMPTY_SHA256_HASH, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cargobay.iam import errors
from cargobay.iam.errors import Dialect
from cargobay.protocol.errors import AwsError
from cargobay.protocol.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
SKEW = 15 * 60
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_LITERAL_PAYLOADS = (UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_UNSIGNED_TRAILER)
_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)
_MAX_CHUNKS = 100_000


@dataclass(frozen=True)
class Signature:
    """What a request says about its signature."""

    key_id: str
    scope_date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    #: the request time as signed (``YYYYMMDDTHHMMSSZ``)
    timestamp: str
    epoch: float
    token: str | None
    presigned: bool


class _Headers(dict[str, str]):
    """The signed headers, shaped as botocore's canonicalization reads them."""

    def get_all(self, name: str) -> list[str]:
        return [self[name]]


@dataclass
class _Shim:
    """The parts of an AWSRequest that SigV4Auth's canonicalization methods read."""

    url: str
    params: list[tuple[str, str]]
    context: dict[str, Any]


@functools.lru_cache(maxsize=256)
def _auth(region: str, service: str) -> SigV4Auth:
    return SigV4Auth(Credentials("-", "-"), service, region)


@functools.lru_cache(maxsize=1024)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


@functools.lru_cache(maxsize=1024)
def _canonical_path(auth: SigV4Auth, raw_path: str) -> str:
    normalize: Any = auth._normalize_url_path  # type: ignore[attr-defined]
    return str(normalize(raw_path))


def _parse_amz_date(text: str) -> float | None:
    if len(text) != 16 or text[8] != "T" or text[15] != "Z":
        return None
    digits = text[:8] + text[9:15]
    if not digits.isdigit():
        return None
    try:
        y, mo, d = int(text[0:4]), int(text[4:6]), int(text[6:8])
        h, mi, s = int(text[9:11]), int(text[11:13]), int(text[13:15])
        return float(calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)))
    except ValueError:
        return None


def format_amz_date(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y%m%dT%H%M%SZ")


def _scope(credential: str, dialect: Dialect) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5:
        raise errors.incomplete_signature(
            dialect,
            f"Credential should be scoped to a valid region, not '{credential}'. ",
        )
    if parts[4] != "aws4_request":
        raise errors.incomplete_signature(
            dialect,
            f"Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{parts[4]}'. ",
        )
    return parts[0], parts[1], parts[2], parts[3]


def _request_time(req: HttpRequest, auth_header: str, dialect: Dialect) -> tuple[str, float]:
    amz = req.header("x-amz-date")
    if amz:
        epoch = _parse_amz_date(amz)
        if epoch is None:
            raise errors.incomplete_signature(
                dialect,
                f"Date must be in ISO-8601 'basic format'. Got '{amz}'. "
                "See http://en.wikipedia.org/wiki/ISO_8601",
            )
        return amz, epoch
    date = req.header("date")
    if date:
        try:
            epoch = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            epoch = None
        if epoch is not None:
            return format_amz_date(epoch), epoch
    raise errors.incomplete_signature(
        dialect,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
        f"header. Authorization={auth_header}",
    )


def read_signature(req: HttpRequest, dialect: Dialect) -> Signature | None:
    """The request's signature fields; None when it carries no authentication at all.

    Raises IncompleteSignature for an Authorization header or presigned query that
    lacks something."""
    header = req.header("authorization")
    if header:
        return _from_header(req, header, dialect)
    query = dict(req.query)
    if "X-Amz-Signature" in query or "X-Amz-Credential" in query:
        return _from_query(query, dialect)
    return None


def _from_header(req: HttpRequest, header: str, dialect: Dialect) -> Signature:
    algorithm, _, rest = header.strip().partition(" ")
    fields: dict[str, str] = {}
    if algorithm == ALGORITHM:
        for piece in rest.split(","):
            piece = piece.strip()
            if not piece:
                continue
            name, eq, value = piece.partition("=")
            if not eq:
                raise errors.incomplete_signature(
                    dialect,
                    f"'{piece}' not a valid key=value pair (missing equal-sign) in "
                    f"Authorization header: '{header}'.",
                )
            fields[name.strip()] = value.strip()
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if missing:
        if not req.header("x-amz-date") and not req.header("date"):
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header."
            )
        raise errors.incomplete_signature(dialect, " ".join(missing) + f" Authorization={header}")
    key_id, date, region, service = _scope(fields["Credential"], dialect)
    timestamp, epoch = _request_time(req, header, dialect)
    return Signature(
        key_id,
        date,
        region,
        service,
        tuple(fields["SignedHeaders"].split(";")),
        fields["Signature"],
        timestamp,
        epoch,
        req.header("x-amz-security-token") or None,
        False,
    )


def _from_query(query: dict[str, str], dialect: Dialect) -> Signature:
    missing = [f"AWS query-string parameters must include '{p}'." for p in _PRESIGN_PARAMS
               if not query.get(p)]
    if missing:
        raise errors.incomplete_signature(
            dialect, " ".join(missing) + " Re-examine the query-string parameters."
        )
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise errors.incomplete_signature(
            dialect, f"Unsupported AWS 'algorithm': '{query['X-Amz-Algorithm']}'"
        )
    key_id, date, region, service = _scope(query["X-Amz-Credential"], dialect)
    amz = query["X-Amz-Date"]
    epoch = _parse_amz_date(amz)
    if epoch is None:
        raise errors.incomplete_signature(
            dialect,
            f"Date must be in ISO-8601 'basic format'. Got '{amz}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601",
        )
    return Signature(
        key_id,
        date,
        region,
        service,
        tuple(query["X-Amz-SignedHeaders"].split(";")),
        query["X-Amz-Signature"],
        amz,
        epoch,
        query.get("X-Amz-Security-Token") or None,
        True,
    )


def check_scope(sig: Signature, service: str, dialect: Dialect) -> None:
    """The credential scope must name this service and the request's date."""
    if sig.service != service:
        raise errors.signature_mismatch(
            dialect, f"Credential should be scoped to correct service: '{service}'. "
        )
    if sig.scope_date != sig.timestamp[:8]:
        raise errors.signature_mismatch(
            dialect,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{sig.scope_date}' != '{sig.timestamp[:8]}', from '{sig.timestamp}'.",
        )
    if "host" not in sig.signed_headers:
        raise errors.signature_mismatch(
            dialect, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )


def check_time(sig: Signature, now: float, dialect: Dialect) -> None:
    """The 15-minute rule: the signed time must be within 15 minutes of the server's."""
    if sig.epoch < now - SKEW:
        raise errors.signature_mismatch(
            dialect,
            f"Signature expired: {sig.timestamp} is now earlier than "
            f"{format_amz_date(now - SKEW)} ({format_amz_date(now)} - 15 min.)",
        )
    if sig.epoch > now + SKEW:
        raise errors.signature_mismatch(
            dialect,
            f"Signature not yet current: {sig.timestamp} is still later than "
            f"{format_amz_date(now + SKEW)} ({format_amz_date(now)} + 15 min.)",
        )


def canonical_request(req: HttpRequest, sig: Signature) -> tuple[str, str]:
    """The canonical request and the string to sign, as the client should have built them."""
    auth = _auth(sig.region, sig.service)
    raw_path = req.raw_path or quote(req.path, safe="/~!$&'()*+,;=:@")
    params = [(k, v) for k, v in req.query if not (sig.presigned and k == "X-Amz-Signature")]
    context = {"timestamp": sig.timestamp}
    shim = cast(AWSRequest, _Shim("http://cargobay" + raw_path, params, context))
    headers = _Headers((name, req.header(name)) for name in sig.signed_headers)
    claimed = req.header("x-amz-content-sha256")
    if claimed in _LITERAL_PAYLOADS:
        payload = claimed
    else:
        sent = req.body if req.wire_body is None else req.wire_body
        payload = hashlib.sha256(sent).hexdigest() if sent else EMPTY_SHA256_HASH
    cr = "\n".join(
        (
            req.method.upper(),
            _canonical_path(auth, raw_path or "/"),
            auth.canonical_query_string(shim) if params else "",
            auth.canonical_headers(headers) + "\n",
            auth.signed_headers(headers),
            payload,
        )
    )
    return cr, auth.string_to_sign(shim, cr)


def verify(req: HttpRequest, sig: Signature, secret: str, dialect: Dialect) -> None:
    """Recompute the signature with ``secret``; SignatureDoesNotMatch when it differs."""
    cr, sts = canonical_request(req, sig)
    key = _signing_key(secret, sig.scope_date, sig.region, sig.service)
    expected = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig.signature):
        raise errors.signature_mismatch(
            dialect,
            f"{errors.SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have "
            f"been\n'{cr}'\n\nThe String-to-Sign should have been\n'{sts}'\n",
        )
    claimed = req.header("x-amz-content-sha256")
    if claimed == STREAMING_SIGNED:
        req.body = _decode_chunks(req.body, sig, key, dialect, signed=True)
    elif claimed == STREAMING_UNSIGNED_TRAILER:
        req.body = _decode_chunks(req.body, sig, key, dialect, signed=False)


def _decode_chunks(
    body: bytes, sig: Signature, key: bytes, dialect: Dialect, *, signed: bool
) -> bytes:
    """An ``aws-chunked`` body's payload; each chunk's signature checked when signed.

    Chunk: ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n``; the last has size 0
    (then optional trailer lines)."""
    scope = f"{sig.scope_date}/{sig.region}/{sig.service}/aws4_request"
    previous = sig.signature
    out: list[bytes] = []
    pos = 0
    for _ in range(_MAX_CHUNKS):
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise _bad_chunk(dialect)
        line = body[pos:end].decode("latin-1")
        size_text, _, ext = line.partition(";")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _bad_chunk(dialect) from None
        data = body[end + 2 : end + 2 + size]
        if len(data) != size:
            raise _bad_chunk(dialect)
        if signed:
            name, _, given = ext.partition("=")
            if name.strip() != "chunk-signature":
                raise _bad_chunk(dialect)
            sts = "\n".join(
                (
                    "AWS4-HMAC-SHA256-PAYLOAD",
                    sig.timestamp,
                    scope,
                    previous,
                    EMPTY_SHA256_HASH,
                    hashlib.sha256(data).hexdigest(),
                )
            )
            expected = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, given.strip()):
                raise errors.signature_mismatch(dialect)
            previous = expected
        pos = end + 2 + size
        if size == 0:
            return b"".join(out)
        if body[pos : pos + 2] != b"\r\n":
            raise _bad_chunk(dialect)
        pos += 2
        out.append(data)
    raise _bad_chunk(dialect)


def _bad_chunk(dialect: Dialect) -> AwsError:
    return errors.incomplete_signature(dialect, "The request body is not valid aws-chunked data.")
