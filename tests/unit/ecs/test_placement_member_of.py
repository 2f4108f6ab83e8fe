"""memberOf placement with every operator of the cluster query language (issue 4: "a
table-driven test covering every operator"), each in its symbol and its word form, on
every subject the ECS Developer Guide lists ("Create expressions to define container
instances for Amazon ECS tasks").

In-process: an App on the in-memory store, handlers called directly.  Four instances
with distinct attributes, instance types, agent versions and EC2 instance ids; one task
of group ``db`` RUNNING on ``b``.  Each row runs one task per instance at most
(distinctInstance, a fresh group) with the memberOf expression and must land on exactly
the instances named; the probe tasks are stopped again before the next row.
(tests/e2e/test_placement.py covers a subset of these over HTTP.)
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from cargobay.app import App
from cargobay.protocol.base import RequestContext
from cargobay.store.memory import MemoryStore
from tests.fake_agent import CAPABILITIES

IDS = {"a": "i-0aaaaaaaaaaaaaaaa", "b": "i-0bbbbbbbbbbbbbbbb", "c": "i-0cccccccccccccccc",
       "d": "i-0dddddddddddddddd"}
FLEET: dict[str, dict[str, Any]] = {
    "a": {"type": "t3.small", "zone": "us-east-1a", "agent": "1.70.0",
          "attrs": {"tier": "web", "version": "1.2"}},
    "b": {"type": "m5.large", "zone": "us-east-1b", "agent": "1.80.0",
          "attrs": {"tier": "api", "version": "2.0"}},
    "c": {"type": "m5.xlarge", "zone": "us-east-1a", "agent": "1.80.1",
          "attrs": {"tier": "batch", "gpu": None, "version": "10"}},
    "d": {"type": "c5.large", "zone": "us-east-1c", "agent": "1.60.0", "attrs": {}},
}
ALL = {"a", "b", "c", "d"}


def ctx() -> RequestContext:
    return RequestContext("ecs", "op", "us-east-1", "000000000000", uuid.uuid4().hex, "json")


ROWS: list[tuple[str, set[str]]] = [
    # attribute:<name> takes every operator
    ("attribute:tier == web", {"a"}),
    ("attribute:tier equals web", {"a"}),
    ("attribute:tier != web", {"b", "c", "d"}),
    ("attribute:tier not_equals web", {"b", "c", "d"}),
    ("attribute:version > 1.5", {"b", "c"}),
    ("attribute:version greater_than 1.5", {"b", "c"}),
    ("attribute:version >= 2.0", {"b", "c"}),
    ("attribute:version greater_than_equal 2.0", {"b", "c"}),
    ("attribute:version < 2.0", {"a"}),
    ("attribute:version less_than 2.0", {"a"}),
    ("attribute:version <= 2.0", {"a", "b"}),
    ("attribute:version less_than_equal 2.0", {"a", "b"}),
    ("attribute:gpu exists", {"c"}),
    ("attribute:gpu !exists", {"a", "b", "d"}),
    ("attribute:gpu not_exists", {"a", "b", "d"}),
    ("attribute:tier in [web, api]", {"a", "b"}),
    ("attribute:tier !in [web, api]", {"c", "d"}),
    ("attribute:tier not_in [web, api]", {"c", "d"}),
    ("attribute:tier =~ b.*", {"c"}),
    ("attribute:tier matches '(web|api)'", {"a", "b"}),
    ("attribute:tier !~ b.*", {"a", "b", "d"}),
    ("attribute:tier not_matches '(web|api)'", {"c", "d"}),
    ("attribute:ecs.availability-zone == us-east-1a", {"a", "c"}),
    # ec2InstanceType (attribute ecs.instance-type) and ec2InstanceId: equality family
    ("ec2InstanceType == m5.large", {"b"}),
    ("ec2InstanceType != m5.large", {"a", "c", "d"}),
    ("ec2InstanceType in [t3.small, c5.large]", {"a", "d"}),
    ("ec2InstanceType not_in [t3.small, c5.large]", {"b", "c"}),
    ("ec2InstanceType =~ m5.*", {"b", "c"}),
    ("ec2InstanceType !~ m5.*", {"a", "d"}),
    (f"ec2InstanceId == {IDS['a']}", {"a"}),
    (f"ec2InstanceId != {IDS['a']}", {"b", "c", "d"}),
    (f"ec2InstanceId in [{IDS['a']}, {IDS['d']}]", {"a", "d"}),
    (f"ec2InstanceId !in [{IDS['a']}, {IDS['d']}]", {"b", "c"}),
    ("ec2InstanceId =~ i-0[ab].*", {"a", "b"}),
    ("ec2InstanceId not_matches i-0[ab].*", {"c", "d"}),
    # agentConnected (true/false, any case), agentVersion (dotted versions)
    ("agentConnected == true", ALL),
    ("agentConnected != TRUE", set()),
    ("agentConnected in [false]", set()),
    ("agentVersion == 1.80.0", {"b"}),
    ("agentVersion != 1.80.0", {"a", "c", "d"}),
    ("agentVersion > 1.70.0", {"b", "c"}),
    ("agentVersion >= 1.70.0", {"a", "b", "c"}),
    ("agentVersion < 1.70.0", {"d"}),
    ("agentVersion <= 1.70.0", {"a", "d"}),
    # registeredAt: a date alone compares by day
    ("registeredAt > 2000-01-01", ALL),
    ("registeredAt >= 2999-01-01", set()),
    ("registeredAt < 2000-01-01", set()),
    ("registeredAt <= 2999-12-31", ALL),
    ("registeredAt == 2000-01-01", set()),
    ("registeredAt != 2000-01-01", ALL),
    # runningTasksCount: b runs one task
    ("runningTasksCount == 0", {"a", "c", "d"}),
    ("runningTasksCount != 0", {"b"}),
    ("runningTasksCount > 0", {"b"}),
    ("runningTasksCount >= 1", {"b"}),
    ("runningTasksCount < 1", {"a", "c", "d"}),
    ("runningTasksCount <= 0", {"a", "c", "d"}),
    # task:group: the groups of the tasks on the instance
    ("task:group == db", {"b"}),
    ("task:group in [db, cache]", {"b"}),
    ("task:group =~ d.*", {"b"}),
    ("task:group exists", {"b"}),
    ("task:group !exists", {"a", "c", "d"}),
    ("task:group not_exists", {"a", "c", "d"}),
    ("not(task:group == db)", {"a", "c", "d"}),
    # and / or / not, && / || / !, parentheses
    ("attribute:tier == web or attribute:tier == api", {"a", "b"}),
    ("attribute:tier == web || attribute:tier == api", {"a", "b"}),
    ("attribute:ecs.availability-zone == us-east-1a and attribute:tier == web", {"a"}),
    ("attribute:ecs.availability-zone == us-east-1a && attribute:tier == web", {"a"}),
    ("not(attribute:tier == web)", {"b", "c", "d"}),
    ("!(attribute:tier == web)", {"b", "c", "d"}),
    ("(attribute:tier == web or attribute:tier == batch) and "
     "attribute:ecs.availability-zone == us-east-1a", {"a", "c"}),
    ("attribute:tier == web or attribute:tier == batch and "
     "attribute:ecs.availability-zone == us-east-1b", {"a"}),
]


class Fleet:
    def __init__(self) -> None:
        self.app = App(store=MemoryStore())
        self.ecs: Any = self.app.services["ecs"]
        self.ecs.create_cluster(ctx(), {"clusterName": "ops"})
        self.name: dict[str, str] = {}
        for n, spec in FLEET.items():
            attrs = [{"name": "ecs.instance-type", "value": spec["type"]},
                     *({"name": c} for c in CAPABILITIES)]
            attrs += [{"name": k, "value": v} if v is not None else {"name": k}
                      for k, v in spec["attrs"].items()]
            ci = self.ecs.register_container_instance(ctx(), {
                "cluster": "ops",
                "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": 4096},
                                   {"name": "MEMORY", "type": "INTEGER",
                                    "integerValue": 8192}],
                "versionInfo": {"agentVersion": spec["agent"], "agentHash": "x",
                                "dockerVersion": "DockerVersion: 25.0.0"},
                "attributes": attrs,
                "instanceIdentityDocument": json.dumps(
                    {"instanceId": IDS[n], "availabilityZone": spec["zone"],
                     "instanceType": spec["type"]}),
            })["containerInstance"]
            self.name[ci["containerInstanceArn"]] = n
        self.ecs.register_task_definition(ctx(), {"family": "probe", "containerDefinitions": [
            {"name": "app", "image": "busybox", "cpu": 16, "memory": 16}]})
        # one RUNNING task of group db on b
        b = next(arn for arn, n in self.name.items() if n == "b")
        db = self.ecs.start_task(ctx(), {"cluster": "ops", "taskDefinition": "probe",
                                         "group": "db", "containerInstances": [b]})
        assert len(db["tasks"]) == 1
        self.ecs.submit_task_state_change(ctx(), {
            "cluster": "ops", "task": db["tasks"][0]["taskArn"], "status": "RUNNING"})

    def probe(self, expression: str) -> set[str]:
        out = self.ecs.run_task(ctx(), {
            "cluster": "ops", "taskDefinition": "probe", "count": 4,
            "group": "probe-" + uuid.uuid4().hex[:8],
            "placementConstraints": [{"type": "distinctInstance"},
                                     {"type": "memberOf", "expression": expression}],
        })
        for t in out["tasks"]:
            self.ecs.submit_task_state_change(ctx(), {
                "cluster": "ops", "task": t["taskArn"], "status": "STOPPED"})
        where = [self.name[t["containerInstanceArn"]] for t in out["tasks"]]
        assert len(where) == len(set(where))
        # every instance not chosen says why
        refused = {self.name[f["arn"]] for f in out["failures"]}
        if len(where) < 4:
            assert refused == ALL, out["failures"]
        return set(where)


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return Fleet()


@pytest.mark.parametrize(("expression", "expected"), ROWS)
def test_member_of_selects_exactly(fleet: Fleet, expression: str, expected: set[str]) -> None:
    assert fleet.probe(expression) == expected


def test_every_operator_and_word_is_in_the_table() -> None:
    from cargobay.services.ecs.query_language import _OPERATORS

    used = " ".join(e for e, _ in ROWS)
    for spelling in _OPERATORS:
        assert f" {spelling} " in used, f"operator {spelling} not covered"
    for subject in ("attribute:", "ec2InstanceType", "ec2InstanceId", "agentConnected",
                    "agentVersion", "registeredAt", "runningTasksCount", "task:group"):
        assert subject in used
