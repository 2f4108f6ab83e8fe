"""IAM and STS names: ARNs, unique ids and keys, as AWS shapes them.

- ARNs: ``arn:aws:iam::ACCOUNT:role/PATH/NAME`` (the path between the type and the
  name, ``/`` meaning none), sessions ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``
  (no path), the account ``arn:aws:iam::ACCOUNT:root``, AWS managed policies
  ``arn:aws:iam::aws:policy/PATH/NAME``.
- Unique ids: a four-letter prefix naming the kind (AIDA user, AROA role, ANPA managed
  policy, AIPA instance profile) and 17 upper-case letters and digits; access key ids:
  ``AKIA`` (long-term) or ``ASIA`` (temporary) and 16 characters of the base-32
  alphabet; secrets: 40 base-64 characters.
"""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass

_ID_ALPHABET = string.ascii_uppercase + string.digits
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

USER_ID_PREFIX = "AIDA"
ROLE_ID_PREFIX = "AROA"
POLICY_ID_PREFIX = "ANPA"
INSTANCE_PROFILE_ID_PREFIX = "AIPA"
LONG_TERM_KEY_PREFIX = "AKIA"
TEMPORARY_KEY_PREFIX = "ASIA"


def unique_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def access_key_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def session_token() -> str:
    """An opaque token, shaped like STS's (base 64, a few hundred characters)."""
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(240)).decode("ascii")


def iam_arn(account: str, kind: str, path: str, name: str) -> str:
    """``arn:aws:iam::ACCOUNT:KIND/PATH/NAME`` (``path`` begins and ends with ``/``)."""
    return f"arn:aws:iam::{account}:{kind}{path}{name}"


def root_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def assumed_role_arn(account: str, role_name: str, session_name: str) -> str:
    return f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"


def aws_policy_arn(path: str, name: str) -> str:
    return f"arn:aws:iam::aws:policy{path}{name}"


@dataclass(frozen=True)
class IamArn:
    account: str
    kind: str
    path: str
    name: str


def parse_iam_arn(text: str) -> IamArn | None:
    """``arn:aws:iam::ACCOUNT:KIND/PATH/NAME`` split up; None when ``text`` is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[3]:
        return None
    kind, sep, rest = parts[5].partition("/")
    if not sep or not rest:
        return None
    path, _, name = rest.rpartition("/")
    if not name:
        return None
    return IamArn(parts[4], kind, "/" + path + "/" if path else "/", name)


def name_key(account: str, name: str) -> str:
    """Store key of a named IAM entity: names are unique regardless of case."""
    return f"{account}/{name.lower()}"
