"""Versions of a secret and their staging labels (Secrets Manager's "Concepts: Version").

A secret document keeps its versions under ``versions`` (VersionId → version). Rules
from the API reference (PutSecretValue, UpdateSecretVersionStage):

- A staging label is attached to at most one version of a secret; attaching it to a
  version removes it from any other.
- The first version of a secret always gets ``AWSCURRENT``.
- Moving ``AWSCURRENT`` moves ``AWSPREVIOUS`` to the version ``AWSCURRENT`` left.
- A version with no label is *deprecated*: it is not listed unless asked for, and
  Secrets Manager removes deprecated versions once a secret has more than 100, but
  never one created less than 24 hours ago.
"""

from __future__ import annotations

import base64
from typing import Any

from cargobay.services.secrets.sm_errors import (
    InvalidParameterException,
    InvalidRequestException,
    LimitExceededException,
    no_value,
)

Doc = dict[str, Any]

CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
MAX_VERSIONS = 100
KEEP_SECONDS = 24 * 3600.0
MAX_STAGES = 20


def value_of(string: str | None, binary: bytes | None) -> Doc:
    """The stored form of a secret value."""
    if string is not None:
        return {"string": string}
    assert binary is not None
    return {"binary": base64.b64encode(binary).decode("ascii")}


def same_value(version: Doc, value: Doc) -> bool:
    return version.get("string") == value.get("string") and version.get(
        "binary"
    ) == value.get("binary")


def ordered(doc: Doc) -> list[tuple[str, Doc]]:
    """Versions oldest first."""
    versions: dict[str, Doc] = doc["versions"]
    return sorted(versions.items(), key=lambda kv: (kv[1]["created"], kv[1]["seq"]))


def with_stage(doc: Doc, stage: str) -> str | None:
    for vid, v in doc["versions"].items():
        if stage in v["stages"]:
            return str(vid)
    return None


def stages_map(doc: Doc) -> dict[str, list[str]]:
    """VersionIdsToStages: the versions that carry a label."""
    return {vid: list(v["stages"]) for vid, v in ordered(doc) if v["stages"]}


def _detach(doc: Doc, stage: str, keep: str | None = None) -> None:
    for vid, v in doc["versions"].items():
        if vid != keep and stage in v["stages"]:
            v["stages"].remove(stage)


def _attach(doc: Doc, vid: str, stage: str) -> None:
    stages: list[str] = doc["versions"][vid]["stages"]
    if stage not in stages:
        if len(stages) >= MAX_STAGES:
            raise LimitExceededException(
                f"A version can have at most {MAX_STAGES} staging labels."
            )
        stages.append(stage)


def _move_current(doc: Doc, to_vid: str) -> None:
    """Attach AWSCURRENT to ``to_vid``; the version it leaves becomes AWSPREVIOUS."""
    old = with_stage(doc, CURRENT)
    if old == to_vid:
        return
    _detach(doc, CURRENT)
    _attach(doc, to_vid, CURRENT)
    if old is not None:
        _detach(doc, PREVIOUS)
        _attach(doc, old, PREVIOUS)


def add_version(doc: Doc, vid: str, value: Doc, stages: list[str] | None, now: float) -> list[str]:
    """A new version carrying ``stages`` (default AWSCURRENT); returns its labels."""
    wanted = list(dict.fromkeys(stages if stages is not None else [CURRENT]))
    if not doc["versions"] and CURRENT not in wanted:
        wanted.append(CURRENT)
    if len(wanted) > MAX_STAGES:
        raise LimitExceededException(f"A version can have at most {MAX_STAGES} staging labels.")
    doc["seq"] = int(doc.get("seq", 0)) + 1
    doc["versions"][vid] = {"created": now, "seq": doc["seq"], "stages": [], **value}
    for stage in wanted:
        if stage == CURRENT:
            _move_current(doc, vid)
        else:
            _detach(doc, stage, keep=vid)
            _attach(doc, vid, stage)
    prune(doc, now)
    return list(doc["versions"][vid]["stages"])


def prune(doc: Doc, now: float) -> None:
    """Drop deprecated versions older than a day, oldest first, while over 100."""
    versions: dict[str, Doc] = doc["versions"]
    if len(versions) <= MAX_VERSIONS:
        return
    for vid, v in ordered(doc):
        if len(versions) <= MAX_VERSIONS:
            break
        if not v["stages"] and v["created"] <= now - KEEP_SECONDS:
            del versions[vid]


def move_stage(doc: Doc, stage: str, remove_from: str | None, move_to: str | None) -> None:
    """UpdateSecretVersionStage."""
    versions: dict[str, Doc] = doc["versions"]
    if remove_from is None and move_to is None:
        raise InvalidParameterException(
            "You must specify MoveToVersionId, RemoveFromVersionId or both."
        )
    for vid in (remove_from, move_to):
        if vid is not None and vid not in versions:
            raise InvalidParameterException(f"Not a valid version: {vid}")
    holder = with_stage(doc, stage)
    if remove_from is not None and holder != remove_from:
        raise InvalidParameterException(
            f"The staging label {stage} is not attached to version {remove_from}."
        )
    if holder is not None and holder != move_to and remove_from is None and move_to is not None:
        raise InvalidParameterException(
            f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is "
            f"currently attached to version {holder}, so you must explicitly reference that "
            "version in RemoveFromVersionId."
        )
    if stage == CURRENT:
        if move_to is None:
            raise InvalidParameterException(
                "The staging label AWSCURRENT can only be moved to another version "
                "(MoveToVersionId), not removed."
            )
        _move_current(doc, move_to)
        return
    if remove_from is not None:
        _detach(doc, stage)
    if move_to is not None:
        _detach(doc, stage, keep=move_to)
        _attach(doc, move_to, stage)


def select(doc: Doc, version_id: str | None, version_stage: str | None) -> tuple[str, Doc]:
    """The version GetSecretValue returns (AWSCURRENT unless told otherwise)."""
    versions: dict[str, Doc] = doc["versions"]
    if version_id is not None:
        v = versions.get(version_id)
        if v is None:
            raise no_value("VersionId", version_id)
        if version_stage is not None and version_stage not in v["stages"]:
            raise InvalidRequestException(
                "You provided a VersionStage that is not associated to the provided VersionId."
            )
        return version_id, v
    stage = version_stage or CURRENT
    vid = with_stage(doc, stage)
    if vid is None:
        raise no_value("staging label", stage)
    return vid, versions[vid]
