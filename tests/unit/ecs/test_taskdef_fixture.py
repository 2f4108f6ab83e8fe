"""tests/data/taskdef_full.json uses every member the botocore model gives a task
definition: every ContainerDefinition member (and every member of the structures inside
it), and every RegisterTaskDefinition input member (and the structures inside them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import Shape, StructureShape

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "taskdef_full.json"


def _model() -> Any:
    return botocore.session.get_session().get_service_model("ecs")


def missing_members(shape: Shape, values: list[Any], path: str) -> list[str]:
    """Paths of structure members that no value in ``values`` uses, at any depth."""
    missing: list[str] = []
    if shape.type_name == "structure":
        assert isinstance(shape, StructureShape)
        for name, member in shape.members.items():
            used = [v[name] for v in values if isinstance(v, dict) and name in v]
            if not used:
                missing.append(f"{path}.{name}")
                continue
            missing += missing_members(member, used, f"{path}.{name}")
    elif shape.type_name == "list":
        items = [item for v in values for item in v]
        member = shape.member  # type: ignore[attr-defined]
        if member.type_name in ("structure", "list"):
            missing += missing_members(member, items, f"{path}[]")
    return missing


def load() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(FIXTURE.read_text())
    return doc


def test_every_container_definition_member_is_in_the_fixture() -> None:
    shape = _model().shape_for("ContainerDefinition")
    containers = load()["containerDefinitions"]
    assert len(shape.members) >= 40  # the model really is the big one
    assert missing_members(shape, containers, "containerDefinitions[]") == []


def test_the_first_container_alone_uses_every_container_member() -> None:
    shape = _model().shape_for("ContainerDefinition")
    app = load()["containerDefinitions"][0]
    assert sorted(set(shape.members) - set(app)) == []


def test_every_register_task_definition_member_is_in_the_fixture() -> None:
    op = _model().operation_model("RegisterTaskDefinition")
    assert missing_members(op.input_shape, [load()], "") == []


def test_every_task_definition_output_member_is_either_sent_or_set_by_ecs() -> None:
    """What the fixture does not send, ECS sets: the server-side fields of TaskDefinition."""
    shape = _model().shape_for("TaskDefinition")
    server_side = {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "deregisteredAt",
        "deleteRequestedAt",
        "registeredBy",
    }
    assert set(shape.members) - set(load()) == server_side


def test_missing_members_notices_a_gap() -> None:
    shape = _model().shape_for("ContainerDefinition")
    app = dict(load()["containerDefinitions"][0])
    del app["healthCheck"]
    app["linuxParameters"] = {k: v for k, v in app["linuxParameters"].items() if k != "tmpfs"}
    gaps = missing_members(shape, [app], "c")
    assert gaps == ["c.linuxParameters.tmpfs", "c.healthCheck"]
