"""Reading AWS query input: flat ``Name.member.1.Sub=value`` pairs into nested values.

The pairs are first folded into a trie on ``.``; one walk over the input shape then
picks each member out of it the way botocore's ``QuerySerializer`` wrote it:

- structure members as ``Parent.Member`` (the member's ``locationName`` if it has one);
- lists as ``List.member.N`` (the member's ``locationName`` instead of ``member``), or
  ``List.N`` when the list is ``flattened`` (then named by the member's locationName);
  an empty list arrives as ``List=``;
- maps as ``Map.entry.N.key`` / ``Map.entry.N.value`` (``Map.N.key`` when flattened; the
  key and value shapes' locationNames replace ``key`` and ``value``).

Scalars stay text; :func:`cargobay.protocol.validation.check_input` with a
``StringDecoder`` turns them into typed values and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import Shape

from cargobay.protocol.errors import SerializationError
from cargobay.protocol.http import HttpRequest

#: bounds on what one request may carry (AWS caps query requests far below these)
MAX_PARAMS = 100_000
MAX_INDEX = 1_000_000


def form_params(req: HttpRequest) -> list[tuple[str, str]]:
    """The request's parameters: the query string, then a form-encoded body."""
    pairs = list(req.query)
    ctype = req.header("content-type")
    if req.body and (not ctype or ctype.startswith("application/x-www-form-urlencoded")):
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            raise SerializationError("The request body is not valid UTF-8") from None
        try:
            pairs += parse_qsl(
                text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_PARAMS
            )
        except ValueError:
            raise SerializationError("The request has too many parameters") from None
    return pairs


def action(pairs: list[tuple[str, str]]) -> str | None:
    found = None
    for k, v in pairs:
        if k == "Action":
            found = v
    return found or None


@dataclass
class _Node:
    value: str | None = None
    children: dict[str, _Node] = field(default_factory=dict)


def _trie(pairs: list[tuple[str, str]]) -> _Node:
    root = _Node()
    for key, value in pairs:
        node = root
        for part in key.split("."):
            nxt = node.children.get(part)
            if nxt is None:
                nxt = node.children[part] = _Node()
            node = nxt
        node.value = value
    return root


def decode_params(shape: Shape | None, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The input structure as nested dicts/lists with text leaves (unknown names ignored)."""
    if shape is None:
        return {}
    out = _structure(shape, _trie(pairs))
    result: dict[str, Any] = out if isinstance(out, dict) else {}
    return result


def _wire_name(member: Shape, name: str) -> str:
    if member.type_name == "list" and member.serialization.get("flattened"):
        inner = member.member.serialization.get("name")  # type: ignore[attr-defined]
        if inner:
            return str(inner)
    return str(member.serialization.get("name", name))


def _value(shape: Shape, node: _Node) -> Any:
    t = shape.type_name
    if t == "structure":
        return _structure(shape, node)
    if t == "list":
        return _list(shape, node)
    if t == "map":
        return _map(shape, node)
    if node.value is None:
        # ``A.B=x`` where A is a scalar: hand over something check_input rejects
        return {}
    return node.value


def _structure(shape: Shape, node: _Node) -> Any:
    if not node.children and node.value is not None:
        return node.value  # "" is an empty structure; anything else a type error
    out: dict[str, Any] = {}
    for name, member in shape.members.items():  # type: ignore[attr-defined]
        child = node.children.get(_wire_name(member, name))
        if child is not None:
            out[name] = _value(member, child)
    return out


def _indexed(node: _Node, path: str) -> list[_Node]:
    """Children named 1, 2, 3… in numeric order."""
    items: list[tuple[int, _Node]] = []
    for key, child in node.children.items():
        if not key.isdigit() or not 0 < int(key) <= MAX_INDEX:
            raise SerializationError(f"Invalid index '{key}' in parameter '{path}'")
        items.append((int(key), child))
    items.sort(key=lambda kv: kv[0])
    return [child for _, child in items]


def _list(shape: Shape, node: _Node) -> Any:
    if not node.children:
        return node.value if node.value is not None else []
    member = shape.member  # type: ignore[attr-defined]
    if shape.serialization.get("flattened"):
        items_node: _Node | None = node
    else:
        items_node = node.children.get(str(member.serialization.get("name", "member")))
    if items_node is None:
        return {}  # a list written some other way: a type error in check_input
    return [_value(member, child) for child in _indexed(items_node, shape.name)]


def _map(shape: Shape, node: _Node) -> Any:
    if not node.children:
        return {} if node.value == "" else node.value
    if shape.serialization.get("flattened"):
        entries: _Node | None = node
    else:
        entries = node.children.get("entry")
    if entries is None:
        return []  # a map written some other way: a type error in check_input
    key_shape = shape.key  # type: ignore[attr-defined]
    value_shape = shape.value  # type: ignore[attr-defined]
    key_name = str(key_shape.serialization.get("name", "key"))
    value_name = str(value_shape.serialization.get("name", "value"))
    out: dict[str, Any] = {}
    for entry in _indexed(entries, shape.name):
        key = entry.children.get(key_name)
        if key is None or key.value is None:
            raise SerializationError(f"A '{shape.name}' entry has no {key_name}")
        value = entry.children.get(value_name)
        out[key.value] = None if value is None else _value(value_shape, value)
    return out
