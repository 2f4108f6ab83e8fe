"""The event pattern language, case by case.

Each case names the documented rule it checks (EventBridge User Guide: "Event patterns"
(EP), "Arrays in event patterns" (ARR), "Content filtering in event patterns" (CF),
"Comparison operators for use in event patterns" (OPS), "Matching null values and empty
strings" (NULL); event-ruler README (RULER) where the guide is silent).  Every case runs
through the single compiled matcher and through a RuleIndex holding all the table's
patterns, which must agree.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cargobay.services.events.pattern import RuleIndex, compile_pattern

EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": [
        "arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0",
        "arn:aws:ec2:us-west-1:123456789012:instance/i-0000000000000000a",
    ],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "d-count": 3.5,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
        "ipv6": "2001:db8::17",
        "FileName": "Picture.PNG",
        "location": "/usr/lib/libc.so",
        "empty": "",
        "nothing": None,
        "flag": True,
        "off": False,
        "numstr": "300",
        "tags": ["blue", "green"],
        "counts": [1, 7, 12],
        "nested": {"deep": {"value": "x", "n": 42}},
        "items": [
            {"name": "a", "size": 1},
            {"name": "b", "size": 10},
        ],
        "matrix": [["p", "q"], ["r"]],
        "emptylist": [],
        "obj": {"k": "v"},
        "big": 123456789012,
    },
}

CASES: list[tuple[str, dict[str, Any], bool]] = [
    # --- structure: AND of fields, OR of values -----------------------------------------
    ("EP: exact source matches", {"source": ["aws.ec2"]}, True),
    ("EP: a different source does not", {"source": ["aws.s3"]}, False),
    ("EP: any value of the array may match (OR)", {"source": ["aws.s3", "aws.ec2"]}, True),
    ("EP: all fields must match (AND)",
     {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}, True),
    ("EP: one field failing fails the pattern (AND)",
     {"source": ["aws.ec2"], "detail-type": ["Other"]}, False),
    ("EP: matching is case sensitive", {"source": ["AWS.EC2"]}, False),
    ("EP: matching is character by character (no trimming)", {"source": [" aws.ec2"]},
     False),
    ("EP: nested field", {"detail": {"state": ["terminated"]}}, True),
    ("EP: nested field mismatch", {"detail": {"state": ["running"]}}, False),
    ("EP: deeply nested field", {"detail": {"nested": {"deep": {"value": ["x"]}}}}, True),
    ("EP: a field missing from the event fails", {"detail": {"missing": ["x"]}}, False),
    ("EP: the pattern's nesting must be the event's", {"state": ["terminated"]}, False),
    ("EP: fields not in the pattern are ignored", {"account": ["111122223333"]}, True),
    ("RULER: dotted names address nested fields", {"detail.state": ["terminated"]}, True),
    ("RULER: dotted and nested names combine",
     {"detail.nested": {"deep": {"n": [42]}}, "source": ["aws.ec2"]}, True),
    # --- arrays ------------------------------------------------------------------------
    ("ARR: event array intersects the pattern array",
     {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0",
                    "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}, True),
    ("ARR: no common element, no match", {"resources": ["arn:aws:s3:::bucket"]}, False),
    ("ARR: an array of strings against one value", {"detail": {"tags": ["green"]}}, True),
    ("ARR: an array of numbers against a number", {"detail": {"counts": [7]}}, True),
    ("ARR: nested arrays are flattened", {"detail": {"matrix": ["r"]}}, True),
    ("ARR: array of objects, a field of one element", {"detail": {"items": {"name": ["b"]}}},
     True),
    ("RULER: array of objects, fields from the same element",
     {"detail": {"items": {"name": ["b"], "size": [10]}}}, True),
    ("RULER: array of objects, fields from different elements do not match together",
     {"detail": {"items": {"name": ["a"], "size": [10]}}}, False),
    ("ARR: an empty event array has no value", {"detail": {"emptylist": ["x"]}}, False),
    ("ARR: an empty event array counts as absent",
     {"detail": {"emptylist": [{"exists": False}]}}, True),
    # --- types: numbers, strings, null, booleans ----------------------------------------
    ("EP: numbers match numbers", {"detail": {"c-count": [5]}}, True),
    ("EP: a number matches its other spellings", {"detail": {"x-limit": [3.018e2]}}, True),
    ("EP: 5 matches 5.0", {"detail": {"c-count": [5.0]}}, True),
    ("EP: a number does not match a numeric string", {"detail": {"numstr": [300]}}, False),
    ("EP: a numeric string does not match a number", {"detail": {"c-count": ["5"]}}, False),
    ("EP: a numeric string matches the same string", {"detail": {"numstr": ["300"]}}, True),
    ("EP: large integers (account numbers) match exactly", {"detail": {"big": [123456789012]}},
     True),
    ("NULL: null matches null", {"detail": {"nothing": [None]}}, True),
    ("NULL: null does not match a missing field", {"detail": {"missing": [None]}}, False),
    ("NULL: null does not match an empty string", {"detail": {"empty": [None]}}, False),
    ("NULL: the empty string matches the empty string", {"detail": {"empty": [""]}}, True),
    ("NULL: the empty string does not match null", {"detail": {"nothing": [""]}}, False),
    ("EP: true matches true", {"detail": {"flag": [True]}}, True),
    ("EP: true does not match the string \"true\"", {"detail": {"flag": ["true"]}}, False),
    ("EP: false matches false", {"detail": {"off": [False]}}, True),
    ("EP: false does not match 0", {"detail": {"off": [0]}}, False),
    ("EP: 1 does not match true", {"detail": {"flag": [1]}}, False),
    ("EP: an object-valued field has no value to match", {"detail": {"obj": ["v"]}}, False),
    # --- prefix / suffix / equals-ignore-case ------------------------------------------
    ("CF prefix", {"time": [{"prefix": "2017-12-22"}]}, True),
    ("CF prefix mismatch", {"time": [{"prefix": "2018"}]}, False),
    ("CF prefix matches strings only", {"detail": {"c-count": [{"prefix": "5"}]}}, False),
    ("CF prefix equals-ignore-case",
     {"detail": {"state": [{"prefix": {"equals-ignore-case": "TERM"}}]}}, True),
    ("CF suffix", {"detail": {"FileName": [{"suffix": ".PNG"}]}}, True),
    ("CF suffix is case sensitive", {"detail": {"FileName": [{"suffix": ".png"}]}}, False),
    ("CF suffix equals-ignore-case",
     {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}, True),
    ("CF equals-ignore-case", {"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}},
     True),
    ("CF equals-ignore-case needs the whole value",
     {"detail": {"state": [{"equals-ignore-case": "TERM"}]}}, False),
    ("OPS: exactly", {"detail": {"state": [{"exactly": "terminated"}]}}, True),
    # --- anything-but ------------------------------------------------------------------
    ("CF anything-but a string", {"detail": {"state": [{"anything-but": "running"}]}}, True),
    ("CF anything-but the value itself", {"detail": {"state": [{"anything-but": "terminated"}]}},
     False),
    ("CF anything-but a list of strings",
     {"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
    ("CF anything-but a number", {"detail": {"c-count": [{"anything-but": 4}]}}, True),
    ("CF anything-but the number itself", {"detail": {"c-count": [{"anything-but": [5, 6]}]}},
     False),
    ("RULER: anything-but needs the field to be present",
     {"detail": {"missing": [{"anything-but": "x"}]}}, False),
    ("ARR: anything-but on an array matches when some element is not excluded",
     {"detail": {"tags": [{"anything-but": "blue"}]}}, True),
    ("ARR: anything-but on an array with every element excluded",
     {"detail": {"tags": [{"anything-but": ["blue", "green"]}]}}, False),
    ("CF anything-but prefix", {"region": [{"anything-but": {"prefix": "us-"}}]}, False),
    ("CF anything-but prefix, other prefix",
     {"region": [{"anything-but": {"prefix": "eu-"}}]}, True),
    ("CF anything-but suffix", {"detail": {"FileName": [{"anything-but": {"suffix": ".PNG"}}]}},
     False),
    ("CF anything-but equals-ignore-case",
     {"detail": {"state": [{"anything-but": {"equals-ignore-case": "TERMINATED"}}]}}, False),
    ("CF anything-but equals-ignore-case, other value",
     {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["RUNNING", "x"]}}]}}, True),
    ("CF anything-but wildcard",
     {"detail": {"location": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, False),
    ("CF anything-but wildcard, no hit",
     {"detail": {"location": [{"anything-but": {"wildcard": "*/bin/*"}}]}}, True),
    # --- numeric -----------------------------------------------------------------------
    ("CF numeric range", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ("CF numeric open top excludes the bound",
     {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}, False),
    ("CF numeric >=", {"detail": {"c-count": [{"numeric": [">=", 5]}]}}, True),
    ("CF numeric >", {"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
    ("CF numeric <", {"detail": {"d-count": [{"numeric": ["<", 10]}]}}, True),
    ("CF numeric =", {"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}, True),
    ("CF numeric on a numeric string does not match",
     {"detail": {"numstr": [{"numeric": [">", 0]}]}}, False),
    ("CF numeric on an array: any element in range",
     {"detail": {"counts": [{"numeric": [">", 10]}]}}, True),
    ("CF numeric on an array: none in range",
     {"detail": {"counts": [{"numeric": [">", 100]}]}}, False),
    ("CF numeric on a missing field", {"detail": {"missing": [{"numeric": [">", 0]}]}}, False),
    ("CF numeric on null", {"detail": {"nothing": [{"numeric": [">", 0]}]}}, False),
    # --- exists ------------------------------------------------------------------------
    ("CF exists true", {"detail": {"state": [{"exists": True}]}}, True),
    ("CF exists true on a missing field", {"detail": {"missing": [{"exists": True}]}}, False),
    ("CF exists false on a missing field", {"detail": {"missing": [{"exists": False}]}}, True),
    ("CF exists false on a present field", {"detail": {"state": [{"exists": False}]}}, False),
    ("NULL: a null field exists", {"detail": {"nothing": [{"exists": True}]}}, True),
    ("CF exists works on leaves only: an object field is not a value",
     {"detail": {"obj": [{"exists": True}]}}, False),
    ("CF exists false inside a missing parent object",
     {"detail": {"nope": {"inner": [{"exists": False}]}}}, True),
    ("CF exists false with another value: present and equal",
     {"detail": {"state": [{"exists": False}, "terminated"]}}, True),
    # --- wildcard ----------------------------------------------------------------------
    ("CF wildcard", {"detail": {"location": [{"wildcard": "/usr/*/libc.so"}]}}, True),
    ("CF wildcard matches the whole value", {"detail": {"location": [{"wildcard": "*/lib"}]}},
     False),
    ("CF wildcard star matches an empty run", {"detail": {"state": [{"wildcard": "termi*nated"}]}},
     True),
    ("CF wildcard escaped star is literal", {"detail": {"state": [{"wildcard": "termi\\*"}]}},
     False),
    ("CF wildcard several stars", {"source": [{"wildcard": "*.*"}]}, True),
    # --- cidr / IP addresses -------------------------------------------------------------
    ("CF cidr IPv4", {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ("CF cidr IPv4 outside", {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
    ("CF cidr IPv6", {"detail": {"ipv6": [{"cidr": "2001:db8::/64"}]}}, True),
    ("CF cidr IPv6 outside", {"detail": {"ipv6": [{"cidr": "2001:db9::/64"}]}}, False),
    ("CF cidr on a non-address string", {"detail": {"state": [{"cidr": "10.0.0.0/8"}]}}, False),
    ("RULER: an exact IPv6 value matches its other spellings",
     {"detail": {"ipv6": ["2001:0db8:0000:0000:0000:0000:0000:0017"]}}, True),
    # --- $or ---------------------------------------------------------------------------
    ("OPS $or: one alternative matches",
     {"source": ["aws.ec2"], "$or": [{"detail": {"state": ["running"]}},
                                     {"detail": {"c-count": [5]}}]}, True),
    ("OPS $or: no alternative matches",
     {"$or": [{"detail": {"state": ["running"]}}, {"detail": {"c-count": [6]}}]}, False),
    ("OPS $or: the fields outside still must match",
     {"source": ["aws.s3"], "$or": [{"detail": {"state": ["terminated"]}},
                                    {"detail": {"c-count": [5]}}]}, False),
    ("OPS $or nested in an object",
     {"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]},
                         {"d-count": [{"numeric": ["<", 10]}]}]}}, True),
    ("OPS $or nested inside $or",
     {"$or": [{"source": ["x"]},
              {"$or": [{"region": ["eu-west-1"]}, {"region": ["us-west-1"]}]}]}, True),
    ("OPS $or with exists false alternative",
     {"$or": [{"detail": {"missing": [{"exists": False}]}}, {"source": ["nope"]}]}, True),
    # --- mixed values in one array ------------------------------------------------------
    ("OPS: mixed operators in one array (any may match)",
     {"detail": {"state": [{"prefix": "run"}, {"suffix": "ated"}]}}, True),
    ("OPS: mixed operators, none match",
     {"detail": {"state": [{"prefix": "run"}, "stopped", {"numeric": [">", 1]}]}}, False),
    ("OPS: operators across fields (AND)",
     {"detail": {"state": [{"anything-but": "running"}], "c-count": [{"numeric": ["<", 10]}],
                 "source-ip": [{"cidr": "10.0.0.0/8"}]}}, True),
]


@pytest.mark.parametrize(("rule", "pattern", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pattern(rule: str, pattern: dict[str, Any], expected: bool) -> None:
    m = compile_pattern(json.dumps(pattern))
    assert m.matches(EC2) is expected, rule


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 80


def test_index_agrees_with_each_pattern() -> None:
    """A RuleIndex over every pattern of the table picks exactly the matching ones."""
    idx = RuleIndex((i, compile_pattern(json.dumps(p))) for i, (_, p, _) in enumerate(CASES))
    got = sorted(idx.match(EC2))
    want = [i for i, (_, _, exp) in enumerate(CASES) if exp]
    assert got == want


@pytest.mark.parametrize(("rule", "pattern", "expected"), CASES, ids=[c[0] for c in CASES])
def test_index_with_one_pattern(rule: str, pattern: dict[str, Any], expected: bool) -> None:
    idx = RuleIndex([("r", compile_pattern(json.dumps(pattern)))])
    assert (idx.match(EC2) == ["r"]) is expected, rule
