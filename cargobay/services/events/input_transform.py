"""What a target receives: the event, ``Input``, ``InputPath`` or ``InputTransformer``.

EventBridge User Guide, "Amazon EventBridge input transformation":

- no input setting: the whole event, as JSON;
- ``Input``: that JSON text, and nothing from the event;
- ``InputPath``: the part of the event a JSON path selects;
- ``InputTransformer``: ``InputPathsMap`` names values (JSON paths into the event, up to
  100) and ``InputTemplate`` is text with ``<name>`` placeholders.  Inside a JSON string
  a placeholder becomes the value's text (escaped); elsewhere the value's JSON.  The
  predefined names are ``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time``, ``aws.events.event`` (the event without
  ``detail``) and ``aws.events.event.json`` (the whole event).

JSON paths: ``$``, ``.name`` (letters, digits, ``-``, ``_``, ``/``), ``['name']``,
``[n]`` and the wildcards ``[*]`` / ``.*`` (which give an array of what they reach).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

_MISSING = object()
_SEGMENT = re.compile(
    r"\.(?P<name>[A-Za-z0-9_\-/$@]+)|\.(?P<star>\*)|\[(?P<index>\d+)\]|\[(?P<all>\*)\]"
    r"|\[\s*'(?P<quoted>[^']*)'\s*\]"
)
_VAR = re.compile(r"<([A-Za-z0-9_.\-]+)>")
PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)


class PathError(ValueError):
    pass


def parse_path(path: str) -> list[tuple[str, Any]]:
    """A JSON path's steps: ("key", name) / ("index", n) / ("all", None)."""
    if not path.startswith("$"):
        raise PathError(path)
    steps: list[tuple[str, Any]] = []
    pos = 1
    while pos < len(path):
        m = _SEGMENT.match(path, pos)
        if m is None:
            raise PathError(path)
        if m.group("name") is not None:
            steps.append(("key", m.group("name")))
        elif m.group("quoted") is not None:
            steps.append(("key", m.group("quoted")))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        else:
            steps.append(("all", None))
        pos = m.end()
    return steps


def select(path: str, doc: Any) -> Any:
    """The value ``path`` reaches in ``doc`` (``_MISSING``-free: None when nothing)."""
    value = _walk(parse_path(path), doc)
    return None if value is _MISSING else value


def _walk(steps: list[tuple[str, Any]], doc: Any) -> Any:
    cur = doc
    for i, (kind, arg) in enumerate(steps):
        if kind == "all":
            items = cur if isinstance(cur, list) else (
                list(cur.values()) if isinstance(cur, dict) else None)
            if items is None:
                return _MISSING
            rest = steps[i + 1:]
            out = [_walk(rest, item) for item in items]
            return [v for v in out if v is not _MISSING]
        if kind == "key":
            if not isinstance(cur, dict) or arg not in cur:
                return _MISSING
            cur = cur[arg]
        else:
            if not isinstance(cur, list) or arg >= len(cur):
                return _MISSING
            cur = cur[arg]
    return cur


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``template``'s placeholders for the names in ``values``."""
    out: list[str] = []
    in_string = False
    escaped = False
    i = 0
    n = len(template)
    while i < n:
        c = template[i]
        if c == "<":
            m = _VAR.match(template, i)
            if m is not None and m.group(1) in values:
                out.append(_fill(values[m.group(1)], in_string))
                i = m.end()
                continue
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        out.append(c)
        i += 1
    return "".join(out)


def _fill(value: Any, in_string: bool) -> str:
    if in_string:
        if value is _MISSING or value is None:
            return ""
        text = value if isinstance(value, str) else dumps(value)
        return dumps(text)[1:-1]
    if value is _MISSING:
        return "null"
    return dumps(value)


def target_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str,
                 rule_name: str, ingestion_time: str) -> str:
    """The text a target is sent for ``event`` (a rule's match)."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        return dumps(select(target["InputPath"], event))
    transformer = target.get("InputTransformer")
    if transformer is None:
        return dumps(event)
    values: dict[str, Any] = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingestion_time,
        "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
        "aws.events.event.json": event,
    }
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        values[name] = _walk(parse_path(path), event)
    return render(transformer["InputTemplate"], values)
