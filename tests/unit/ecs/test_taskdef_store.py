"""TaskDefinitionOps on an in-memory store and a simulated clock: revision numbers,
the family record that makes describe-by-family one read, and pending deletions."""

from __future__ import annotations

from typing import Any

import pytest

from cargobay.app import App
from cargobay.clock import SimClock
from cargobay.protocol.base import RequestContext
from cargobay.services.ecs.errors import ClientException
from cargobay.services.ecs.service import EcsService
from cargobay.services.ecs.task_definitions import FAMILIES, TABLE
from cargobay.store.memory import MemoryStore

CONTAINERS = [{"name": "a", "image": "busybox", "memory": 16}]


@pytest.fixture
def ecs() -> EcsService:
    app = App(store=MemoryStore(), clock=SimClock(start=1_800_000_000.0))
    svc = app.services["ecs"]
    assert isinstance(svc, EcsService)
    return svc


def ctx(region: str = "us-east-1", principal: str | None = None) -> RequestContext:
    return RequestContext(
        "ecs", "op", region, "000000000000", "req", "json", principal_arn=principal
    )


def register(ecs: EcsService, family: str = "web", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = ecs.register_task_definition(
        ctx(), {"family": family, "containerDefinitions": CONTAINERS, **extra}
    )["taskDefinition"]
    return out


def test_revisions_count_up_per_family(ecs: EcsService) -> None:
    assert [register(ecs)["revision"] for _ in range(3)] == [1, 2, 3]
    assert register(ecs, "other")["revision"] == 1


def test_registered_at_and_by(ecs: EcsService) -> None:
    td = register(ecs)
    assert td["registeredAt"] == 1_800_000_000.0
    assert td["registeredBy"] == "arn:aws:iam::000000000000:root"
    as_role = ecs.register_task_definition(
        ctx(principal="arn:aws:sts::000000000000:assumed-role/dev/me"),
        {"family": "web", "containerDefinitions": CONTAINERS},
    )["taskDefinition"]
    assert as_role["registeredBy"] == "arn:aws:sts::000000000000:assumed-role/dev/me"


def test_numbers_are_never_reused_after_delete(ecs: EcsService) -> None:
    for _ in range(3):
        register(ecs)
    for rev in (3, 2):
        ecs.deregister_task_definition(ctx(), {"taskDefinition": f"web:{rev}"})
    out = ecs.delete_task_definitions(ctx(), {"taskDefinitions": ["web:3", "web:2"]})
    assert [t["status"] for t in out["taskDefinitions"]] == ["DELETE_IN_PROGRESS"] * 2
    assert register(ecs)["revision"] == 4


def test_describe_by_family_reads_the_family_record(ecs: EcsService) -> None:
    for _ in range(3):
        register(ecs)
    fam = ecs.store.get(FAMILIES, "000000000000/us-east-1/web")
    assert fam == {"family": "web", "last": 3, "latestActive": 3, "active": 3, "live": 3}
    ecs.deregister_task_definition(ctx(), {"taskDefinition": "web:3"})
    assert (
        ecs.describe_task_definition(ctx(), {"taskDefinition": "web"})["taskDefinition"]["revision"]
        == 2
    )
    ecs.deregister_task_definition(ctx(), {"taskDefinition": "web:1"})
    assert (
        ecs.describe_task_definition(ctx(), {"taskDefinition": "web"})["taskDefinition"]["revision"]
        == 2
    )
    ecs.deregister_task_definition(ctx(), {"taskDefinition": "web:2"})
    with pytest.raises(ClientException, match=r"^Unable to describe task definition\.$"):
        ecs.describe_task_definition(ctx(), {"taskDefinition": "web"})
    assert ecs.store.get(FAMILIES, "000000000000/us-east-1/web") == {
        "family": "web",
        "last": 3,
        "latestActive": None,
        "active": 0,
        "live": 3,
    }


def test_keys_sort_by_family_then_revision(ecs: EcsService) -> None:
    for _ in range(11):
        register(ecs)
    keys = [k for k, _ in ecs.store.scan(TABLE, "000000000000/us-east-1/web/")]
    assert keys[0].endswith("/web/0000000001") and keys[-1].endswith("/web/0000000011")
    assert keys == sorted(keys)


def test_regions_do_not_see_each_other(ecs: EcsService) -> None:
    register(ecs)
    with pytest.raises(ClientException):
        ecs.describe_task_definition(ctx("eu-west-1"), {"taskDefinition": "web:1"})
    assert ecs.list_task_definition_families(ctx("eu-west-1"), {}) == {"families": []}


class InUse(EcsService):
    """A task or service holding revisions (what tasks/services will provide)."""

    held: set[str] = set()

    def task_definition_in_use(self, ctx: RequestContext, task_definition_arn: str) -> bool:
        return task_definition_arn in self.held


def test_deletion_waits_while_a_revision_is_in_use() -> None:
    """'A task definition revision will stay in DELETE_IN_PROGRESS status until all the
    associated tasks and services have been terminated.' (DeleteTaskDefinitions)"""
    app = App(store=MemoryStore(), clock=SimClock(), services=lambda a: {"ecs": InUse(a)})
    svc = app.services["ecs"]
    assert isinstance(svc, InUse)
    td = register(svc)
    svc.held = {td["taskDefinitionArn"]}
    svc.deregister_task_definition(ctx(), {"taskDefinition": "web:1"})
    svc.delete_task_definitions(ctx(), {"taskDefinitions": ["web:1"]})
    pending = svc.describe_task_definition(ctx(), {"taskDefinition": "web:1"})["taskDefinition"]
    assert pending["status"] == "DELETE_IN_PROGRESS"
    assert pending["deleteRequestedAt"] == 1_700_000_000.0
    listed = svc.list_task_definitions(ctx(), {"status": "DELETE_IN_PROGRESS"})
    assert listed["taskDefinitionArns"] == [td["taskDefinitionArn"]]
    assert svc.list_task_definition_families(ctx(), {})["families"] == ["web"]
    svc.held = set()  # the last task stopped
    with pytest.raises(ClientException, match=r"^Unable to describe task definition\.$"):
        svc.describe_task_definition(ctx(), {"taskDefinition": "web:1"})
    assert svc.list_task_definition_families(ctx(), {})["families"] == []
    assert register(svc)["revision"] == 2
