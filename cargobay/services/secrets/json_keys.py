"""A JSON key of a secret, as the ECS agent reads it for ``valueFrom`` ``…:json-key::``.

The agent (amazon-ecs-agent ``agent/asm``) decodes the SecretString into a Go
``map[string]interface{}`` and prints the key's value with ``%v``: strings as they
are, ``true``/``false``, numbers as Go prints a float64 (``5432``, ``1.5``, but
``1e+06`` for a million), ``<nil>`` for null, ``map[a:1 b:x]`` and ``[1 2]`` for
objects and arrays.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class JsonKeyError(ValueError):
    """The secret is not a JSON object, or has no such key (the agent's wording)."""


def go_float(x: float) -> str:
    """Go's ``%v`` of a float64 (strconv's ``'g'`` with the shortest digits): exponent
    form when the decimal exponent is below -4 or at least 6."""
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "+Inf" if x > 0 else "-Inf"
    if x == 0:
        return "-0" if str(x).startswith("-") else "0"
    sign, digits, exponent = Decimal(repr(float(x))).normalize().as_tuple()
    assert isinstance(exponent, int)
    ds = "".join(str(d) for d in digits)
    point = len(ds) + exponent  # digits before the decimal point
    exp = point - 1
    neg = "-" if sign else ""
    if exp < -4 or exp >= 6:
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return f"{neg}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{neg}0.{'0' * -point}{ds}"
    if point >= len(ds):
        return f"{neg}{ds}{'0' * (point - len(ds))}"
    return f"{neg}{ds[:point]}.{ds[point:]}"


def go_value(v: Any) -> str:
    """Go's ``%v`` of a value decoded from JSON into ``interface{}``."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "<nil>"
    if isinstance(v, (int, float)):
        return go_float(float(v))
    if isinstance(v, list):
        return "[" + " ".join(go_value(i) for i in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_value(v[k])}" for k in sorted(v)) + "]"
    return str(v)


def json_key(secret_string: str, key: str) -> str:
    try:
        data = json.loads(secret_string)
    except ValueError as err:
        raise JsonKeyError(f"the secret value is not JSON: {err}") from None
    if not isinstance(data, dict):
        raise JsonKeyError("the secret value is not a JSON object")
    if key not in data:
        raise JsonKeyError(f"retrieved secret from Secrets Manager did not contain json key {key}")
    return go_value(data[key])
