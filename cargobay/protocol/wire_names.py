"""Member names ↔ wire names (``locationName``) inside JSON and CBOR bodies.

botocore's JSON and CBOR serializers write a structure member under its
``locationName`` when it has one; handlers see member names.  Most models never
rename a body member, so a shape tree without renames is passed through untouched.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape

#: id(shape) → (shape, renames anywhere below?) (the shape is kept so the id stays its own)
_RENAMES: dict[int, tuple[Shape, bool]] = {}


def _has_renames(shape: Shape) -> bool:
    cached = _RENAMES.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    found = _search(shape, set())
    _RENAMES[id(shape)] = (shape, found)
    return found


def _search(shape: Shape, seen: set[str]) -> bool:
    if shape.name in seen:
        return False
    seen.add(shape.name)
    t = shape.type_name
    found = False
    if t == "structure":
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if member.serialization.get("location"):
                continue
            if member.serialization.get("name", name) != name or _search(member, seen):
                found = True
                break
    elif t == "list":
        found = _search(shape.member, seen)  # type: ignore[attr-defined]
    elif t == "map":
        found = _search(shape.value, seen)  # type: ignore[attr-defined]
    return found


def to_member_names(shape: Shape, value: Any) -> Any:
    """A decoded body keyed by wire names → keyed by member names."""
    if not _has_renames(shape):
        return value
    return _rename(shape, value, inbound=True)


def to_wire_names(shape: Shape, value: Any) -> Any:
    """A shaped output keyed by member names → keyed by wire names."""
    if not _has_renames(shape):
        return value
    return _rename(shape, value, inbound=False)


def _rename(shape: Shape, value: Any, inbound: bool) -> Any:
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        out: dict[str, Any] = {}
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if member.serialization.get("location"):
                continue
            wire = str(member.serialization.get("name", name))
            src, dst = (wire, name) if inbound else (name, wire)
            if src in value:
                out[dst] = _rename(member, value[src], inbound)
        return out
    if t == "list" and isinstance(value, list):
        member = shape.member  # type: ignore[attr-defined]
        return [_rename(member, v, inbound) for v in value]
    if t == "map" and isinstance(value, dict):
        vs = shape.value  # type: ignore[attr-defined]
        return {k: _rename(vs, v, inbound) for k, v in value.items()}
    return value
