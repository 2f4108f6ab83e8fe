"""The rule index picks exactly the patterns that match: it files each pattern under a
field it needs (exact pairs, exact values, prefixes, numeric ranges, presence), and must
never lose a match or invent one.  Checked against trying every pattern, on generated
patterns and events."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cargobay.services.events.pattern import RuleIndex, compile_pattern

SOURCES = ["a.one", "a.two", "b.one", ""]
TYPES = ["T1", "T2"]
STATES = ["on", "off", "ON", "pending"]

leaf = st.one_of(
    st.lists(st.sampled_from(STATES), min_size=1, max_size=2),
    st.just([{"prefix": "o"}]),
    st.just([{"anything-but": "on"}]),
    st.just([{"exists": False}]),
    st.just([{"exists": True}]),
    st.just([{"equals-ignore-case": "on"}]),
    st.builds(lambda n: [{"numeric": [">", n]}], st.integers(0, 10)),
    st.builds(lambda n: [{"numeric": ["<=", n]}], st.integers(0, 10)),
    st.builds(lambda n: [{"numeric": ["=", n]}], st.integers(0, 12)),
    st.builds(lambda a, b: [{"numeric": [">=", a, "<", a + b + 1]}],
              st.integers(0, 10), st.integers(0, 5)),
    st.just([{"wildcard": "*n"}]),
    st.just([None]),
    st.just([3, "3"]),
)

detail_pattern = st.dictionaries(st.sampled_from(["state", "n", "other"]), leaf,
                                 min_size=1, max_size=2)


@st.composite
def patterns(draw: Any) -> dict[str, Any]:
    p: dict[str, Any] = {}
    kind = draw(st.sampled_from(["source", "prefix", "none"]))
    if kind == "source":
        p["source"] = draw(st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2))
    elif kind == "prefix":
        p["source"] = [{"prefix": draw(st.sampled_from(["a.", "b", "a.o"]))}]
    if draw(st.booleans()):
        p["detail-type"] = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=2))
    if draw(st.booleans()):
        p["detail"] = draw(detail_pattern)
    if draw(st.booleans()) or not p:
        p["$or"] = [{"detail": draw(detail_pattern)}, {"detail": draw(detail_pattern)}]
    return p


scalar = st.one_of(st.sampled_from(STATES), st.integers(0, 12), st.none(), st.just("3"))


@st.composite
def events(draw: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    for name in ("state", "n", "other"):
        choice = draw(st.integers(0, 4))
        if choice == 0:
            continue
        if choice == 1:
            detail[name] = draw(st.lists(scalar, max_size=3))
        elif choice == 2:
            detail[name] = {"x": draw(scalar)}
        else:
            detail[name] = draw(scalar)
    return {"source": draw(st.sampled_from(SOURCES)), "detail-type": draw(st.sampled_from(TYPES)),
            "detail": detail}


@settings(max_examples=150, deadline=None)
@given(st.lists(patterns(), min_size=1, max_size=25), st.lists(events(), min_size=1, max_size=10))
def test_index_matches_exactly_the_matching_patterns(ps: list[dict[str, Any]],
                                                     evs: list[dict[str, Any]]) -> None:
    # equal pattern texts share one compiled Matcher, as the service's cache makes them
    cache: dict[str, Any] = {}
    compiled = [
        (i, cache.setdefault(json.dumps(p), compile_pattern(json.dumps(p))))
        for i, p in enumerate(ps)
    ]
    index = RuleIndex(compiled)
    for e in evs:
        want = [i for i, m in compiled if m.matches(e)]
        assert sorted(index.match(e)) == want, (e, [ps[i] for i in want])


def test_patterns_sharing_text_share_nothing_else() -> None:
    m = compile_pattern(json.dumps({"source": ["a.one"]}))
    index = RuleIndex([("x", m), ("y", compile_pattern(json.dumps({"source": ["a.one"]})))])
    assert sorted(index.match({"source": "a.one"})) == ["x", "y"]
    assert index.match({"source": "a.two"}) == []


def test_rules_sharing_one_compiled_pattern_each_match() -> None:
    # the events service compiles each pattern text once: two rules with the same
    # pattern hold the same Matcher, and both must match (each delivers on AWS)
    m = compile_pattern(json.dumps({"source": [{"prefix": "a."}]}))
    index = RuleIndex([("x", m), ("y", m), ("z", m)])
    assert sorted(index.match({"source": "a.one"})) == ["x", "y", "z"]


def test_an_or_pattern_filed_twice_matches_once() -> None:
    m = compile_pattern(json.dumps({"$or": [{"source": ["a.one"]}, {"detail-type": ["T1"]}]}))
    index = RuleIndex([("x", m), ("y", m)])
    assert sorted(index.match({"source": "a.one", "detail-type": "T1"})) == ["x", "y"]
