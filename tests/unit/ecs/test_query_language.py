"""The cluster query language (ECS Developer Guide, "Create expressions to define container
instances for Amazon ECS tasks"): the guide's own examples, every operator and subject,
precedence, and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cargobay.services.ecs.query_eval import matches
from cargobay.services.ecs.query_language import (
    BoolOp,
    Compare,
    InstanceFacts,
    Not,
    QueryError,
    parse,
)

REGISTERED = datetime(2018, 2, 13, 10, 30, tzinfo=UTC).timestamp()


def facts(**kw: object) -> InstanceFacts:
    base: dict[str, object] = {
        "attributes": {
            "ecs.instance-type": "t2.small",
            "ecs.availability-zone": "us-east-1a",
            "ecs.capability.task-eni": None,
            "weight": "10",
            "release": "1.9.2",
        },
        "agent_connected": True,
        "agent_version": "1.14.0",
        "ec2_instance_id": "i-abcd1234",
        "registered_at": REGISTERED,
        "running_tasks_count": 1,
        "task_groups": ["service:production", "family:web"],
    }
    base.update(kw)
    return InstanceFacts(**base)  # type: ignore[arg-type]


# the guide's example expressions, each with an instance it selects and one it does not
GUIDE_EXAMPLES = [
    ("attribute:ecs.instance-type == t2.small", {}, {"attributes": {"ecs.instance-type": "m5"}}),
    ("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]", {},
     {"attributes": {"ecs.availability-zone": "us-east-1c"}}),
    ("attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
     {"attributes": {"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1a"}},
     {"attributes": {"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1d"}}),
    ("task:group == service:production", {}, {"task_groups": ["service:staging"]}),
    ("not(task:group == database)", {}, {"task_groups": ["database"]}),
    ("runningTasksCount == 1", {}, {"running_tasks_count": 2}),
    ("agentVersion < 1.14.5", {}, {"agent_version": "1.14.10"}),
    ("registeredAt < 2018-02-14", {},
     {"registered_at": datetime(2018, 2, 14, tzinfo=UTC).timestamp()}),
    ("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", {}, {"ec2_instance_id": "i-0"}),
]


@pytest.mark.parametrize(("expression", "selected", "not_selected"), GUIDE_EXAMPLES)
def test_the_guides_examples(
    expression: str, selected: dict[str, object], not_selected: dict[str, object]
) -> None:
    assert matches(expression, facts(**selected))
    assert not matches(expression, facts(**not_selected))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # every operator, by symbol and by name
        ("attribute:weight == 10", True),
        ("attribute:weight equals 10", True),
        ("attribute:weight != 10", False),
        ("attribute:weight not_equals 11", True),
        ("attribute:weight > 9", True),
        ("attribute:weight greater_than 10", False),
        ("attribute:weight >= 10", True),
        ("attribute:weight greater_than_equal 11", False),
        ("attribute:weight < 100", True),  # numbers compare as numbers, not as text
        ("attribute:weight less_than 10", False),
        ("attribute:weight <= 10", True),
        ("attribute:weight less_than_equal 9", False),
        ("attribute:release > 1.10.0", False),  # versions compare part by part
        ("attribute:release < 1.10.0", True),
        ("attribute:ecs.capability.task-eni exists", True),
        ("attribute:missing exists", False),
        ("attribute:missing !exists", True),
        ("attribute:missing not_exists", True),
        ("attribute:weight in [1, 10]", True),
        ("attribute:weight !in [1, 10]", False),
        ("attribute:weight not_in [1, 2]", True),
        ("attribute:ecs.instance-type =~ t2\\..*", True),
        ("attribute:ecs.instance-type matches t2", False),  # the whole value must match
        ("attribute:ecs.instance-type !~ m5.*", True),
        ("attribute:ecs.instance-type not_matches t2.*", False),
        ("attribute:ecs.instance-type =~ (t2|m5).*", True),
        # a missing attribute equals nothing and differs from everything
        ("attribute:missing == x", False),
        ("attribute:missing != x", True),
        ("attribute:missing in [x]", False),
        ("attribute:missing > 1", False),
        # the other subjects
        ("agentConnected == true", True),
        ("agentConnected == TRUE", True),
        ("agentConnected != true", False),
        ("agentConnected in [false]", False),
        ("agentVersion >= 1.14.0", True),
        ("agentVersion == 1.14.0", True),
        ("ec2InstanceId =~ i-abcd.*", True),
        ("registeredAt == 2018-02-13", True),  # a date alone compares by day
        ("registeredAt >= 2018-02-13T10:30:00Z", True),
        ("registeredAt > 2018-02-13T10:30:00+00:00", False),
        ("registeredAt < 2018-02-13T10:30:01", True),
        ("runningTasksCount > 0", True),
        ("runningTasksCount <= 0", False),
        ("task:group exists", True),
        ("task:group != database", True),
        ("task:group in [database, family:web]", True),
        ("task:group =~ service:.*", True),
        ("ec2InstanceType == t2.small", True),
        # precedence: and binds tighter than or; not binds tightest; parentheses
        ("agentConnected == false or runningTasksCount == 1 and task:group exists", True),
        ("(agentConnected == false or runningTasksCount == 1) and attribute:missing exists",
         False),
        ("! agentConnected == false", True),
        ("not not agentConnected == true", True),
        ("agentConnected == true && attribute:weight == 10 || attribute:missing exists", True),
        ("  runningTasksCount==1  ", True),
        ("attribute:weight == '10'", True),
        ('ec2InstanceId == "i-abcd1234"', True),
    ],
)
def test_operators_subjects_and_precedence(expression: str, expected: bool) -> None:
    assert matches(expression, facts()) is expected


def test_the_tree_follows_precedence() -> None:
    tree = parse("a == 1 or attribute:b exists and not task:group == x".replace(
        "a == 1", "attribute:a == 1"))
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert tree.left == Compare("attribute:a", "==", "1")
    assert isinstance(tree.right, BoolOp) and tree.right.op == "and"
    assert tree.right.right == Not(Compare("task:group", "==", "x"))


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "   ",
        "size == 1",  # unknown subject
        "attribute: == 1",  # no attribute name
        "attribute:ecs.instance-type",  # no operator
        "attribute:a ~~ b",
        "attribute:a ==",  # no argument
        "attribute:a in x",  # in needs a list
        "attribute:a in [x, y",
        "attribute:a =~ (",  # not a pattern
        "(attribute:a exists",
        "attribute:a exists)",
        "attribute:a exists and",
        "agentConnected > true",  # operators the subject does not take
        "runningTasksCount exists",
        "registeredAt in [2018-01-01]",
        "runningTasksCount == many",
        "registeredAt < yesterday",
        "task:group > x",
        "(" * 100 + "attribute:a exists" + ")" * 100,
        "attribute:a exists " + "and attribute:a exists " * 2000,
    ],
)
def test_bad_expressions_are_refused(expression: str) -> None:
    with pytest.raises(QueryError):
        parse(expression)


@given(st.text(max_size=60))
def test_anything_parses_or_is_refused_with_a_query_error(text: str) -> None:
    try:
        tree = parse(text)
    except QueryError:
        return
    matches(text, facts())  # a valid tree evaluates
    assert tree is not None
