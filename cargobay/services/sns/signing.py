"""The key SNS signs its messages with, and the certificate clients verify them with.

"Verifying the signatures of Amazon SNS messages": SignatureVersion 1 is an RSA
signature (PKCS #1 v1.5) over the SHA-1 digest of the string to sign; version 2 uses
SHA-256.  The private key and a self-signed X.509 certificate for it are made once (RSA
2048) and kept in the store (table ``sns.keys``), so every message a server ever sent
stays verifiable across restarts; the certificate is served at the message's
SigningCertURL.
"""

from __future__ import annotations

import base64
import datetime
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from cargobay.clock import Clock, utc_datetime
from cargobay.services.sns.names import KEYS
from cargobay.store import Store

_KEY = "signing"
_YEARS = 10


class Signer:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._key: rsa.RSAPrivateKey | None = None
        self._cert_pem = b""
        self._cert_id = ""

    def reset(self) -> None:
        """Forget the cached key (the store holding it has been cleared)."""
        self._key = None

    def _load(self) -> rsa.RSAPrivateKey:
        if self._key is not None:
            return self._key
        doc = self.store.get(KEYS, _KEY)
        if doc is None:
            doc = self._generate()
            self.store.put(KEYS, _KEY, doc)
        key = serialization.load_pem_private_key(doc["key"].encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._cert_pem = doc["cert"].encode()
        self._cert_id = doc["id"]
        self._key = key
        return key

    def _generate(self) -> dict[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cargobay"),
            x509.NameAttribute(NameOID.COMMON_NAME, "sns.cargobay.local"),
        ])
        now = utc_datetime(self.clock)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365 * _YEARS))
            .sign(key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        return {"key": key_pem.decode(), "cert": cert_pem.decode(), "id": digest[:32]}

    def sign(self, text: str, version: str = "1") -> str:
        """The base64 signature of ``text`` for SignatureVersion ``version``."""
        algorithm: hashes.HashAlgorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        sig = self._load().sign(text.encode("utf-8"), padding.PKCS1v15(), algorithm)
        return base64.b64encode(sig).decode()

    def cert_pem(self) -> bytes:
        self._load()
        return self._cert_pem

    def cert_name(self) -> str:
        """The certificate's file name: ``SimpleNotificationService-<id>.pem``."""
        self._load()
        return f"SimpleNotificationService-{self._cert_id}.pem"
