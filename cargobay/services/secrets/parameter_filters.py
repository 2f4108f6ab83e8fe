"""ParameterFilters (DescribeParameters, GetParametersByPath) and the older Filters of
DescribeParameters (``ParameterStringFilter`` / ``ParametersFilter`` in the API reference).

- DescribeParameters: keys Name, Type, KeyId, Path, Tier, DataType and ``tag:KEY``;
  options Equals (default) and BeginsWith, Name also Contains, Path Recursive or
  OneLevel (default).
- GetParametersByPath: keys Type, KeyId and Label; options Equals and BeginsWith, Label
  only Equals. A Label filter selects the version that carries the label.
- A key may appear once; values are alternatives; all filters must hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cargobay.services.secrets.parameter_names import check_path, slashed, under
from cargobay.services.secrets.ssm_errors import (
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)

Doc = dict[str, Any]

DESCRIBE_KEYS = ("Name", "Type", "KeyId", "Path", "Tier", "DataType")
BY_PATH_KEYS = ("Type", "KeyId", "Label")
_VALUES = {
    "Type": ["String", "StringList", "SecureString"],
    "Tier": ["Standard", "Advanced", "Intelligent-Tiering"],
}
_COMMON = (
    'Filters for common parameters can\'t be prefixed with "aws" or "ssm" '
    "(case-insensitive). When using global parameters, please specify within a global "
    "namespace."
)


@dataclass(frozen=True)
class Filter:
    key: str
    option: str
    values: tuple[str, ...]


def _options(key: str, by_path: bool) -> list[str]:
    if key == "Path":
        return ["Recursive", "OneLevel"]
    if key == "Label":
        return ["Equals"]
    if key == "Name" and not by_path:
        return ["Equals", "BeginsWith", "Contains"]
    return ["Equals", "BeginsWith"]


def check_filters(raw: list[Doc] | None, by_path: bool) -> list[Filter]:
    out: list[Filter] = []
    seen: set[str] = set()
    allowed = BY_PATH_KEYS if by_path else DESCRIBE_KEYS
    for f in raw or []:
        key = str(f["Key"])
        tag = key.startswith("tag:") and len(key) > 4
        if not (key in allowed or (tag and not by_path)):
            raise InvalidFilterKey(
                f"The following filter key is not valid: {key}. Valid filter keys include: "
                f"[{', '.join(allowed)}]."
            )
        if key in seen:
            raise InvalidFilterKey(
                f"The following filter is duplicated in the request: {key}. A request can "
                "contain only one occurrence of a specific filter."
            )
        seen.add(key)
        option = str(f.get("Option") or ("OneLevel" if key == "Path" else "Equals"))
        valid = _options(key, by_path)
        if option not in valid:
            raise InvalidFilterOption(
                f"The following filter option is not valid: {option}. Valid options include: "
                f"[{', '.join(valid)}]."
            )
        values = tuple(str(v) for v in f.get("Values") or [])
        if not values and not tag:
            raise InvalidFilterValue(
                f"The following filter values are missing : null for filter key {key}."
            )
        for v in values:
            if key in _VALUES and v not in _VALUES[key]:
                raise InvalidFilterValue(
                    f"The following filter value is not valid: {v}. Valid values include: "
                    f"[{', '.join(_VALUES[key])}]."
                )
            if key in ("Path", "Name") and slashed(v).lower().startswith(("/aws", "/ssm")):
                raise ValidationException(_COMMON)
        if key == "Path":
            values = tuple(check_path(v) for v in values)
        out.append(Filter(key, option, values))
    return out


def _test(option: str, have: str | None, values: tuple[str, ...]) -> bool:
    if have is None:
        return False
    if option == "BeginsWith":
        return any(have.startswith(v) for v in values)
    if option == "Contains":
        return any(v in have for v in values)
    return have in values


def matches(doc: Doc, entry: Doc, filters: list[Filter]) -> bool:
    """Does a parameter (its document and the version in question) pass every filter?"""
    name = doc["name"]
    for f in filters:
        if f.key == "Name":
            if f.option == "Contains":
                ok = _test("Contains", name, f.values)
            else:
                ok = _test(f.option, slashed(name), tuple(slashed(v) for v in f.values))
        elif f.key == "Path":
            ok = any(under(p, name, f.option == "Recursive") for p in f.values)
        elif f.key == "Type":
            ok = _test(f.option, entry["type"], f.values)
        elif f.key == "KeyId":
            ok = _test(f.option, entry.get("key_id"), f.values)
        elif f.key == "Tier":
            ok = _test(f.option, entry["tier"], f.values)
        elif f.key == "DataType":
            ok = _test(f.option, entry["data_type"], f.values)
        elif f.key == "Label":
            ok = any(label in f.values for label in entry.get("labels", []))
        else:  # tag:KEY
            tag_key = f.key[4:]
            tags = {t["Key"]: t["Value"] for t in doc.get("tags", [])}
            ok = tag_key in tags and (not f.values or _test(f.option, tags[tag_key], f.values))
        if not ok:
            return False
    return True


def labelled_version(doc: Doc, filters: list[Filter]) -> Doc | None:
    """With a Label filter: the version carrying one of its labels (else the latest)."""
    labels = next((f.values for f in filters if f.key == "Label"), None)
    history: list[Doc] = doc["history"]
    if labels is None:
        return history[-1]
    for entry in reversed(history):
        if any(label in labels for label in entry.get("labels", [])):
            return entry
    return None


def old_filters(raw: list[Doc] | None) -> list[Filter]:
    """DescribeParameters' older ``Filters`` (Name begins with; Type, KeyId equal)."""
    out = []
    for f in raw or []:
        key = str(f["Key"])
        option = "BeginsWith" if key == "Name" else "Equals"
        out.append(Filter(key, option, tuple(str(v) for v in f["Values"])))
    return out

