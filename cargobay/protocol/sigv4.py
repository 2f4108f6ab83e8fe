"""Reading SigV4 credential scopes (who signed, for which region and service).

Signature verification itself belongs to the IAM issue; routing only needs the scope,
which a request carries in its Authorization header or, presigned, in X-Amz-Credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from cargobay.protocol.http import HttpRequest


@dataclass(frozen=True)
class CredentialScope:
    access_key_id: str
    date: str
    region: str
    service: str


def _parse_credential(text: str) -> CredentialScope | None:
    parts = unquote(text).split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return CredentialScope(parts[0], parts[1], parts[2], parts[3])


def credential_scope(req: HttpRequest) -> CredentialScope | None:
    auth = req.header("authorization")
    if auth.startswith("AWS4-HMAC-SHA256"):
        for piece in auth[len("AWS4-HMAC-SHA256") :].split(","):
            name, _, value = piece.strip().partition("=")
            if name == "Credential":
                return _parse_credential(value.strip())
        return None
    for name, value in req.query:
        if name == "X-Amz-Credential":
            return _parse_credential(value)
    return None
