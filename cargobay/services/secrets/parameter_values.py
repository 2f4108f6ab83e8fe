"""PutParameter's rules for values: tiers and sizes, allowed patterns, data types,
policies, and the opaque form of a SecureString read without decryption.

- Standard parameters hold up to 4 KB, advanced ones 8 KB; a parameter can move from
  standard to advanced but never back; ``Intelligent-Tiering`` picks advanced only when
  needed (a larger value, policies, or the standard quota reached).
- Policies (Expiration, ExpirationNotification, NoChangeNotification) need the
  advanced tier.
- Data types: ``text`` (default), ``aws:ec2:image``, ``aws:ssm:integration``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime
from typing import Any

from cargobay.services.secrets.ssm_errors import (
    InvalidAllowedPatternException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    ParameterPatternMismatchException,
    ValidationException,
)

STANDARD = "Standard"
ADVANCED = "Advanced"
INTELLIGENT = "Intelligent-Tiering"
STANDARD_MAX = 4096
ADVANCED_MAX = 8192
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
POLICY_TYPES = ("Expiration", "ExpirationNotification", "NoChangeNotification")
DEFAULT_KEY = "alias/aws/ssm"


def choose_tier(requested: str | None, previous: str | None, size: int, has_policies: bool,
                standard_full: bool) -> str:
    """The tier a new version gets."""
    if requested == INTELLIGENT:
        needs = size > STANDARD_MAX or has_policies or standard_full or previous == ADVANCED
        return ADVANCED if needs else STANDARD
    tier = requested or previous or STANDARD
    if tier == STANDARD and previous == ADVANCED:
        raise ValidationException(
            "This parameter uses the advanced-parameter tier. You can't downgrade a "
            "parameter from the advanced-parameter tier to the standard-parameter tier. If "
            "necessary, you can delete the advanced parameter and recreate it as a standard "
            "parameter."
        )
    return tier


def check_size(tier: str, size: int, has_policies: bool) -> None:
    if tier == STANDARD and size > STANDARD_MAX:
        raise ValidationException(
            "Standard tier parameters support a maximum parameter value of 4096 characters. "
            "To create a larger parameter value, upgrade the parameter to use the "
            "advanced-parameter tier. For more information, see "
            "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
            "parameter-store-advanced-parameters.html"
        )
    if size > ADVANCED_MAX:
        raise ValidationException(
            "Advanced tier parameters support a maximum parameter value of 8192 characters."
        )
    if tier == STANDARD and has_policies:
        raise ValidationException(
            "Parameter policies are supported only for advanced-tier parameters. Use the "
            "Advanced or Intelligent-Tiering tier."
        )


def check_pattern(pattern: str | None, value: str) -> None:
    if not pattern:
        return
    try:
        rx = re.compile(pattern)
    except re.error:
        raise InvalidAllowedPatternException(
            f"The allowed pattern {pattern} is not a valid regular expression."
        ) from None
    if rx.fullmatch(value) is None:
        raise ParameterPatternMismatchException(
            f"Parameter value, cannot be validated against allowedPattern: {pattern}"
        )


def check_data_type(data_type: str, param_type: str) -> None:
    if data_type not in DATA_TYPES:
        raise ValidationException(
            f"The following data type is not supported: {data_type} (Data type names are "
            "all lowercase.)"
        )
    if data_type == "aws:ec2:image" and param_type != "String":
        raise ValidationException(
            f"The data type {data_type} is supported only for parameters of type String."
        )


def _timestamp(text: Any) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidPolicyAttributeException(
            f"A policy attribute or its value is invalid: Timestamp {text}."
        ) from None


def parse_policies(text: str | None) -> list[dict[str, Any]]:
    """The policies of a Policies string (a JSON list of {Type, Version, Attributes})."""
    if not text:
        return []
    try:
        items = json.loads(text)
    except ValueError:
        raise InvalidPolicyAttributeException("The policies are not valid JSON.") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidPolicyAttributeException("The policies must be a JSON list of policies.")
    for item in items:
        if item.get("Type") not in POLICY_TYPES:
            raise InvalidPolicyTypeException(
                "The policy type is not supported. Parameter Store supports the following "
                "policy types: Expiration, ExpirationNotification, and NoChangeNotification."
            )
        attrs = item.get("Attributes")
        if not isinstance(attrs, dict):
            raise InvalidPolicyAttributeException("A policy needs its Attributes.")
        if item["Type"] == "Expiration":
            _timestamp(attrs.get("Timestamp"))
    return list(items)


def expires_at(policies: list[dict[str, Any]]) -> float | None:
    """When an Expiration policy deletes the parameter."""
    for item in policies:
        if item.get("Type") == "Expiration":
            return _timestamp(item["Attributes"].get("Timestamp"))
    return None


def policy_list(text: str | None, now: float) -> list[dict[str, str]]:
    """ParameterInlinePolicy entries for DescribeParameters and GetParameterHistory."""
    out = []
    for item in parse_policies(text):
        status = "Pending"
        if item["Type"] == "Expiration" and (expires_at([item]) or 0) <= now:
            status = "Finished"
        out.append({"PolicyText": json.dumps(item, separators=(",", ":")),
                    "PolicyType": str(item["Type"]), "PolicyStatus": status})
    return out


def ciphertext(salt: str, value: str) -> str:
    """What a SecureString reads as without decryption: base64 that looks like a KMS
    ciphertext blob of the value's length, derived one-way from a per-version random
    salt (kept server-side) and the value, so it reveals nothing but the length."""
    raw = value.encode()
    want = len(raw) + 48
    seed = bytes.fromhex(salt) + hashlib.sha256(raw).digest()
    stream = b""
    counter = 0
    while len(stream) < want:
        stream += hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return base64.b64encode(b"\x01\x02\x02\x00\x78" + stream[:want]).decode("ascii")
