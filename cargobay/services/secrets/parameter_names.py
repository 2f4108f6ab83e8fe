"""Parameter names, selectors and ARNs (Parameter Store's naming constraints).

- Names are case sensitive and use ``a-zA-Z0-9_.-``; ``/`` delimits a hierarchy, and a
  name in a hierarchy must be fully qualified (start with ``/``); at most 15 levels;
  at most 1011 characters; no ``aws``/``ssm`` prefix (case-insensitive). Spaces at
  either end are removed.
- ``/name`` and ``name`` (one level) are the same parameter; its ARN is
  ``arn:aws:ssm:REGION:ACCOUNT:parameter/name`` — a leading ``/`` is not doubled.
- Readers may append a selector, ``name:3`` (a version) or ``name:label``, and may
  name a parameter by its ARN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cargobay.services.secrets.ssm_errors import (
    BAD_NAME,
    BAD_PATH,
    AccessDeniedException,
    HierarchyLevelLimitExceededException,
    ValidationException,
)

_CHARS = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
_LABEL = re.compile(r"^[a-zA-Z_.\-][a-zA-Z0-9_.\-]*$")
MAX_LEVELS = 15
MAX_NAME = 1011
MAX_LABEL = 100


def key_name(name: str) -> str:
    """The one spelling of a name: ``/foo`` → ``foo``; hierarchical names keep their ``/``."""
    bare = name[1:] if name.startswith("/") else name
    return name if "/" in bare else bare


def slashed(name: str) -> str:
    """The name with exactly one leading ``/`` (for path arithmetic)."""
    return "/" + name.lstrip("/")


def parameter_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _reserved(first: str) -> bool:
    low = first.lower()
    return low.startswith("aws") or low.startswith("ssm")


def check_new_name(raw: str) -> str:
    """PutParameter's checks; returns the name as stored (spaces at the ends removed)."""
    name = raw.strip()
    if not name or _CHARS.fullmatch(name) is None:
        raise ValidationException(BAD_NAME)
    if "/" in name and not name.startswith("/"):
        raise ValidationException("Parameter name must be a fully qualified name.")
    segments = name.lstrip("/").split("/")
    hierarchical = len(segments) > 1
    if any(not s for s in segments):
        raise ValidationException(BAD_NAME)
    if _reserved(segments[0]):
        if not hierarchical:
            raise ValidationException(
                'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
            )
        if segments[0].lower().startswith("aws"):
            raise AccessDeniedException(f"No access to reserved parameter name: {name}.")
        raise ValidationException(BAD_NAME)
    if len(segments) > MAX_LEVELS:
        raise HierarchyLevelLimitExceededException()
    if len(name) > MAX_NAME:
        raise ValidationException(
            f"1 validation error detected: Value '{name[:60]}...' at 'name' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_NAME}"
        )
    return name


def well_formed(name: str) -> bool:
    """A name a reader may ask for (without selector)."""
    if not name or _CHARS.fullmatch(name) is None:
        return False
    if "/" in name and not name.startswith("/"):
        return False
    return all(name.lstrip("/").split("/"))


@dataclass(frozen=True)
class ParamRef:
    """A reader's reference: the name (as its key spelling), where, and the selector."""

    name: str
    account: str
    region: str
    #: ``3`` for a version, ``"label"`` for a label, None for the latest
    version: int | None = None
    label: str | None = None

    @property
    def selector(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        return f":{self.label}" if self.label is not None else None


def parse_ref(text: str, region: str, account: str, selectors: bool = True) -> ParamRef:
    """A name or ARN, with a selector if allowed (ValidationException if malformed)."""
    if text.startswith("arn:"):
        parts = text.split(":")
        if len(parts) < 6 or parts[2] != "ssm" or not parts[5].startswith("parameter/"):
            raise ValidationException(BAD_NAME)
        region, account = parts[3], parts[4]
        name = "/" + parts[5][len("parameter/"):]
        rest = parts[6:]
    else:
        name, *rest = text.strip().split(":")
    if len(rest) > 1 or (rest and not selectors):
        raise ValidationException(BAD_NAME)
    if not well_formed(name):
        raise ValidationException(BAD_NAME)
    name = key_name(name)
    if not rest:
        return ParamRef(name, account, region)
    sel = rest[0]
    if sel.isdigit():
        return ParamRef(name, account, region, version=int(sel))
    if not sel:
        raise ValidationException(BAD_NAME)
    return ParamRef(name, account, region, label=sel)


def check_path(path: str) -> str:
    """GetParametersByPath's Path (or a Path filter's value) as ``/a/b`` (``/`` for the
    root); ValidationException if malformed."""
    if not path.startswith("/") or _CHARS.fullmatch(path) is None:
        raise ValidationException(BAD_PATH)
    inner = path.strip("/")
    if not inner:
        return "/"
    segments = inner.split("/")
    if any(not s for s in segments):
        raise ValidationException(BAD_PATH)
    if len(segments) > MAX_LEVELS:
        raise HierarchyLevelLimitExceededException()
    return "/" + inner


def under(path: str, name: str, recursive: bool) -> bool:
    """Is parameter ``name`` below ``path`` (directly, unless recursive)?"""
    full = slashed(name)
    base = "" if path == "/" else path
    if not full.startswith(base + "/"):
        return False
    rest = full[len(base) + 1:]
    return bool(rest) and (recursive or "/" not in rest)


def label_ok(label: str) -> bool:
    """Labels: letters, digits, ``.``, ``-``, ``_``; not starting with a digit, ``aws``
    or ``ssm``; at most 100 characters (Working with parameter labels)."""
    return (
        len(label) <= MAX_LABEL
        and _LABEL.fullmatch(label) is not None
        and not _reserved(label)
    )
