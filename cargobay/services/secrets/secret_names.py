"""Secret names, ARNs and the SecretId forms Secrets Manager accepts.

- A name: ASCII letters, digits and ``/_+=.@-`` (1–512 characters).
- The ARN: ``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX``, where AWS
  appends a hyphen and six random characters to the name.
- ``SecretId`` may be the name, the full ARN or a *partial* ARN (the ARN without the
  six-character suffix); AWS recommends the full ARN, and a full match wins.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

NAME_RX = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")
_SUFFIX_CHARS = string.ascii_letters + string.digits
SUFFIX_LEN = 6


def valid_name(name: str) -> bool:
    return NAME_RX.fullmatch(name) is not None


def random_suffix() -> str:
    return "".join(secrets.choice(_SUFFIX_CHARS) for _ in range(SUFFIX_LEN))


def secret_arn(region: str, account: str, name: str, suffix: str) -> str:
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-{suffix}"


def plain_arn(region: str, account: str, name: str) -> str:
    """An ARN without a suffix (for a secret that does not exist)."""
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{name}"


@dataclass(frozen=True)
class SecretRef:
    """Where a SecretId points: the account and region, and the name part.

    ``arn`` is the ARN as given (None for a plain name); for an ARN, ``tail`` is
    everything after ``secret:`` — a name, or a name plus its ``-XXXXXX`` suffix."""

    account: str
    region: str
    tail: str
    arn: str | None = None

    def candidates(self) -> list[str]:
        """Names to look for, best first: the name under a full ARN's suffix, then the
        tail itself (a name, or a partial ARN's name)."""
        names = []
        cut = -SUFFIX_LEN - 1
        if self.arn is not None and len(self.tail) > SUFFIX_LEN + 1 and self.tail[cut] == "-":
            names.append(self.tail[:cut])
        names.append(self.tail)
        return names


def parse_secret_id(secret_id: str, region: str, account: str) -> SecretRef | None:
    """The reference a SecretId makes; None for an ARN that cannot name a secret."""
    if not secret_id.startswith("arn:"):
        return SecretRef(account, region, secret_id)
    parts = secret_id.split(":", 6)
    if len(parts) != 7 or parts[2] != "secretsmanager" or parts[5] != "secret" or not parts[6]:
        return None
    return SecretRef(parts[4], parts[3], parts[6], secret_id)


@dataclass(frozen=True)
class ValueFrom:
    """An ECS ``secrets[].valueFrom`` naming a Secrets Manager secret:
    ``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key[:version-stage[:version-id]]]``
    (empty fields mean the whole value, ``AWSCURRENT``)."""

    secret_id: str
    region: str
    account: str
    json_key: str | None = None
    version_stage: str | None = None
    version_id: str | None = None


def parse_value_from(value_from: str) -> ValueFrom | None:
    """The parts of a secret ``valueFrom``; None if it is not a Secrets Manager ARN."""
    parts = value_from.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "secretsmanager":
        return None
    if parts[5] != "secret" or not parts[6] or len(parts) > 10:
        return None
    extra = [*parts[7:], "", "", ""][:3]
    return ValueFrom(
        secret_id=":".join(parts[:7]),
        region=parts[3],
        account=parts[4],
        json_key=extra[0] or None,
        version_stage=extra[1] or None,
        version_id=extra[2] or None,
    )
