"""Staging labels of secret versions, as the Secrets Manager API reference states them
(PutSecretValue, UpdateSecretVersionStage, GetSecretValue)."""

from __future__ import annotations

from typing import Any

import pytest

from cargobay.protocol.errors import AwsError
from cargobay.services.secrets import versions as ver

T0 = 1_700_000_000.0


def secret(*values: str, t: float = T0) -> dict[str, Any]:
    doc: dict[str, Any] = {"versions": {}, "seq": 0}
    for i, v in enumerate(values):
        ver.add_version(doc, f"v{i + 1}", {"string": v}, None, t + i)
    return doc


def stages(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {vid: sorted(v["stages"]) for vid, v in doc["versions"].items()}


def test_first_version_always_gets_awscurrent() -> None:
    doc: dict[str, Any] = {"versions": {}, "seq": 0}
    assert ver.add_version(doc, "v1", {"string": "a"}, ["MINE"], T0) == ["MINE", "AWSCURRENT"]


def test_moving_awscurrent_makes_the_old_version_awsprevious() -> None:
    doc = secret("a", "b", "c")
    assert stages(doc) == {"v1": [], "v2": ["AWSPREVIOUS"], "v3": ["AWSCURRENT"]}
    assert ver.stages_map(doc) == {"v2": ["AWSPREVIOUS"], "v3": ["AWSCURRENT"]}


def test_a_custom_label_moves_and_leaves_awscurrent_alone() -> None:
    doc = secret("a", "b")
    ver.add_version(doc, "v3", {"string": "c"}, ["BLUE"], T0 + 5)
    ver.add_version(doc, "v4", {"string": "d"}, ["BLUE"], T0 + 6)
    assert stages(doc) == {"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT"], "v3": [],
                           "v4": ["BLUE"]}


def test_update_stage_requires_remove_from_when_the_label_is_elsewhere() -> None:
    doc = secret("a", "b")
    with pytest.raises(AwsError) as info:
        ver.move_stage(doc, "AWSCURRENT", None, "v1")
    assert info.value.code == "InvalidParameterException"
    assert "currently attached to version v2" in info.value.message


def test_update_stage_moves_awscurrent_back_and_awsprevious_follows() -> None:
    doc = secret("a", "b")
    ver.move_stage(doc, "AWSCURRENT", "v2", "v1")
    assert stages(doc) == {"v1": ["AWSCURRENT"], "v2": ["AWSPREVIOUS"]}


def test_update_stage_removes_a_custom_label_deprecating_the_version() -> None:
    doc = secret("a")
    ver.add_version(doc, "v2", {"string": "b"}, ["TEST"], T0 + 1)
    ver.move_stage(doc, "TEST", "v2", None)
    assert stages(doc) == {"v1": ["AWSCURRENT"], "v2": []}
    assert "v2" not in ver.stages_map(doc)


@pytest.mark.parametrize("remove_from, move_to, wording", [
    ("v9", "v1", "Not a valid version: v9"),
    ("v1", "v2", "not attached to version v1"),
    (None, None, "MoveToVersionId"),
])
def test_update_stage_refusals(remove_from: str | None, move_to: str | None,
                               wording: str) -> None:
    doc = secret("a", "b")
    with pytest.raises(AwsError) as info:
        ver.move_stage(doc, "AWSCURRENT", remove_from, move_to)
    assert info.value.code == "InvalidParameterException"
    assert wording in info.value.message


def test_select_defaults_to_awscurrent_and_names_what_is_missing() -> None:
    doc = secret("a", "b")
    assert ver.select(doc, None, None)[0] == "v2"
    assert ver.select(doc, None, "AWSPREVIOUS")[0] == "v1"
    assert ver.select(doc, "v1", "AWSPREVIOUS")[0] == "v1"
    cases = [
        ("v7", None, "ResourceNotFoundException",
         "Secrets Manager can't find the specified secret value for VersionId: v7"),
        (None, "AWSPENDING", "ResourceNotFoundException",
         "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"),
        ("v1", "AWSCURRENT", "InvalidRequestException",
         "You provided a VersionStage that is not associated to the provided VersionId."),
    ]
    for vid, stage, code, message in cases:
        with pytest.raises(AwsError) as info:
            ver.select(doc, vid, stage)
        assert (info.value.code, info.value.message) == (code, message)


def test_deprecated_versions_over_100_go_but_not_within_a_day() -> None:
    """PutSecretValue: 'Secrets Manager removes outdated versions when there are more
    than 100, but it does not remove versions created less than 24 hours ago.'"""
    doc = secret(*[str(i) for i in range(101)])
    assert len(doc["versions"]) == 101  # all within a day
    later = T0 + 2 * 86400
    ver.add_version(doc, "new", {"string": "x"}, None, later)
    assert len(doc["versions"]) == 100
    assert "v1" not in doc["versions"] and "v2" not in doc["versions"]
    assert ver.select(doc, None, "AWSPREVIOUS")[0] == "v101"


def test_labels_per_version_are_limited_to_20() -> None:
    doc = secret("a")
    with pytest.raises(AwsError) as info:
        ver.add_version(doc, "v2", {"string": "b"}, [f"L{i}" for i in range(21)], T0)
    assert info.value.code == "LimitExceededException"
