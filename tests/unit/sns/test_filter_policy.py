"""Subscription filter policies, case by case against the SNS Developer Guide:
"Amazon SNS subscription filter policies" (AND across keys, OR within a key's values),
"String value matching", "Numeric value matching", "Key matching", "IP address
matching", "AND/OR logic", "Filter policy constraints", "Filter policy scope"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cargobay.services.sns.errors import InvalidParameter
from cargobay.services.sns.filter_policy import check_policy


def S(v: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": v}


def N(v: str) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": v}


def A(*v: Any) -> dict[str, str]:
    return {"DataType": "String.Array", "StringValue": json.dumps(list(v))}


def B(v: bytes) -> dict[str, Any]:
    return {"DataType": "Binary", "BinaryValue": v}


# (rule, policy, message attributes, matches)
ATTRIBUTE_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("exact string matches", {"customer_interests": ["rugby", "tennis"]},
     {"customer_interests": S("rugby")}, True),
    ("exact string: any of the values (OR logic)", {"customer_interests": ["rugby", "tennis"]},
     {"customer_interests": S("tennis")}, True),
    ("exact string: other values do not match", {"customer_interests": ["rugby", "tennis"]},
     {"customer_interests": S("baseball")}, False),
    ("string matching is case-sensitive", {"customer_interests": ["rugby"]},
     {"customer_interests": S("Rugby")}, False),
    ("String.Array: each element is matched on its own",
     {"customer_interests": ["rugby", "tennis"]}, {"customer_interests": A("rugby", "tennis")},
     True),
    ("String.Array without a listed element does not match",
     {"customer_interests": ["rugby"]}, {"customer_interests": A("baseball")}, False),
    ("AND logic: every key must match", {"customer_interests": ["rugby"],
                                         "price_usd": [{"numeric": [">", 100]}]},
     {"customer_interests": S("rugby"), "price_usd": N("150")}, True),
    ("AND logic: one key failing rejects", {"customer_interests": ["rugby"],
                                            "price_usd": [{"numeric": [">", 100]}]},
     {"customer_interests": S("rugby"), "price_usd": N("50")}, False),
    ("a key missing from the message rejects", {"store": ["example_corp"]},
     {"event": S("order_placed")}, False),
    ("attributes the policy does not name are ignored", {"store": ["example_corp"]},
     {"store": S("example_corp"), "other": S("x")}, True),
    ("prefix matching", {"customer_interests": [{"prefix": "bas"}]},
     {"customer_interests": S("basketball")}, True),
    ("prefix matching: no prefix, no match", {"customer_interests": [{"prefix": "bas"}]},
     {"customer_interests": S("rugby")}, False),
    ("suffix matching", {"customer_interests": [{"suffix": "ball"}]},
     {"customer_interests": S("baseball")}, True),
    ("equals-ignore-case", {"customer_interests": [{"equals-ignore-case": "tennis"}]},
     {"customer_interests": S("TeNnIs")}, True),
    ("anything-but: a value not listed", {"customer_interests": [{"anything-but": ["rugby",
                                                                                  "tennis"]}]},
     {"customer_interests": S("baseball")}, True),
    ("anything-but: a listed value", {"customer_interests": [{"anything-but": ["rugby",
                                                                              "tennis"]}]},
     {"customer_interests": S("rugby")}, False),
    ("anything-but: String.Array with a value that isn't listed",
     {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
     {"customer_interests": A("rugby", "baseball")}, True),
    ("anything-but: an absent key does not match",
     {"customer_interests": [{"anything-but": ["rugby"]}]}, {"other": S("x")}, False),
    ("anything-but combined with exists: false takes an absent key",
     {"customer_interests": [{"anything-but": ["rugby"]}, {"exists": False}]},
     {"other": S("x")}, True),
    ("anything-but with a prefix", {"event": [{"anything-but": {"prefix": "order-"}}]},
     {"event": S("invoice-paid")}, True),
    ("anything-but with a prefix: the prefix rejects",
     {"event": [{"anything-but": {"prefix": "order-"}}]}, {"event": S("order-placed")}, False),
    ("numeric =: 301.5 matches 3.015e2", {"price_usd": [{"numeric": ["=", 301.5]}]},
     {"price_usd": N("3.015e2")}, True),
    ("numeric range: > 0 and <= 150", {"price_usd": [{"numeric": [">", 0, "<=", 150]}]},
     {"price_usd": N("150")}, True),
    ("numeric range: outside", {"price_usd": [{"numeric": [">", 0, "<=", 150]}]},
     {"price_usd": N("150.5")}, False),
    ("numeric < 0: negative numbers", {"price_usd": [{"numeric": ["<", 0]}]},
     {"price_usd": N("-3")}, True),
    ("numeric: a String attribute is not a number", {"price_usd": [{"numeric": [">", 0]}]},
     {"price_usd": S("5")}, False),
    ("numeric anything-but", {"price": [{"anything-but": [100, 500]}]},
     {"price": N("100.1")}, True),
    ("numeric anything-but: a listed number", {"price": [{"anything-but": [100, 500]}]},
     {"price": N("100")}, False),
    ("exact number matches a Number attribute", {"price": [100]}, {"price": N("100.0")}, True),
    ("exists: true with the key", {"store": [{"exists": True}]},
     {"store": S("fans"), "customer_interests": A("baseball")}, True),
    ("exists: true without the key", {"store": [{"exists": True}]},
     {"customer_interests": A("baseball")}, False),
    ("exists: false without the key", {"store": [{"exists": False}]},
     {"customer_interests": A("baseball")}, True),
    ("exists: false with the key", {"store": [{"exists": False}]}, {"store": S("fans")}, False),
    ("exists: false needs at least one attribute", {"store": [{"exists": False}]}, {}, False),
    ("Binary attributes are ignored", {"blob": [{"exists": True}]}, {"blob": B(b"xyz")}, False),
    ("IP address matching (cidr)", {"source_ip": [{"cidr": "10.0.0.0/24"}]},
     {"source_ip": S("10.0.0.255")}, True),
    ("IP address matching: outside the block", {"source_ip": [{"cidr": "10.0.0.0/24"}]},
     {"source_ip": S("10.0.1.1")}, False),
    ("$or: one alternative is enough", {"$or": [{"source": ["aws.cloudwatch"]},
                                                 {"metricName": ["CPUUtilization"]}]},
     {"metricName": S("CPUUtilization")}, True),
    ("$or: no alternative matches", {"$or": [{"source": ["aws.cloudwatch"]},
                                              {"metricName": ["CPUUtilization"]}]},
     {"metricName": S("ReadLatency")}, False),
    ("attribute names may hold dots (not nesting)", {"order.state": ["paid"]},
     {"order.state": S("paid")}, True),
]

# (rule, policy, body, matches) with FilterPolicyScope MessageBody
BODY_CASES: list[tuple[str, dict[str, Any], Any, bool]] = [
    ("body: exact string", {"customer_interests": ["rugby"]},
     {"customer_interests": "rugby"}, True),
    ("body: nested properties", {"store": {"city": ["Seattle"]}},
     {"store": {"city": "Seattle", "zip": "98101"}}, True),
    ("body: nested property differs", {"store": {"city": ["Seattle"]}},
     {"store": {"city": "Portland"}}, False),
    ("body: array values (any element)", {"customer_interests": ["rugby"]},
     {"customer_interests": ["baseball", "rugby"]}, True),
    ("body: numbers are JSON numbers", {"price": [{"numeric": [">=", 10]}]},
     {"price": 10}, True),
    ("body: a string is not a number", {"price": [{"numeric": [">=", 10]}]},
     {"price": "10"}, False),
    ("body: exists true needs a non-null value", {"store": [{"exists": True}]},
     {"store": None}, False),
    ("body: exists true needs a non-empty value", {"store": [{"exists": True}]},
     {"store": ""}, False),
    ("body: exists false with a null property", {"store": [{"exists": False}]},
     {"store": None, "x": 1}, True),
    ("body: null matches null", {"store": [None]}, {"store": None}, True),
    ("body: a body that is not JSON matches nothing", {"a": [{"exists": False}]},
     "plain text", False),
    ("body: a JSON array body matches nothing", {"a": [{"exists": False}]}, [1, 2], False),
    ("body: $or inside a nested object", {"order": {"$or": [{"state": ["paid"]},
                                                            {"total": [{"numeric": [">", 9]}]}]}},
     {"order": {"state": "open", "total": 10}}, True),
]


@pytest.mark.parametrize(("rule", "policy", "attrs", "expected"), ATTRIBUTE_CASES,
                         ids=[c[0] for c in ATTRIBUTE_CASES])
def test_attribute_scope(rule: str, policy: dict[str, Any], attrs: dict[str, Any],
                         expected: bool) -> None:
    fp = check_policy(json.dumps(policy), "MessageAttributes", on_subscribe=False)
    assert fp is not None
    assert fp.matches("any body", attrs) is expected, rule


@pytest.mark.parametrize(("rule", "policy", "body", "expected"), BODY_CASES,
                         ids=[c[0] for c in BODY_CASES])
def test_body_scope(rule: str, policy: dict[str, Any], body: Any, expected: bool) -> None:
    fp = check_policy(json.dumps(policy), "MessageBody", on_subscribe=False)
    assert fp is not None
    text = body if isinstance(body, str) else json.dumps(body)
    assert fp.matches(text, {"ignored": S("x")}) is expected, rule


def test_body_scope_ignores_attributes_and_attribute_scope_ignores_the_body() -> None:
    body_fp = check_policy('{"kind": ["a"]}', "MessageBody", on_subscribe=False)
    attr_fp = check_policy('{"kind": ["a"]}', "MessageAttributes", on_subscribe=False)
    assert body_fp is not None and attr_fp is not None
    assert not body_fp.matches('{"kind": "b"}', {"kind": S("a")})
    assert attr_fp.matches('{"kind": "b"}', {"kind": S("a")})


def test_an_empty_policy_filters_nothing() -> None:
    assert check_policy("", "MessageAttributes", on_subscribe=False) is None
    assert check_policy("{}", "MessageBody", on_subscribe=False) is None


# (rule, scope, policy text, message after "Invalid parameter: ")
ERROR_CASES: list[tuple[str, str, str, str]] = [
    ("not JSON", "MessageAttributes", "{nope", "FilterPolicy: failed to parse JSON."),
    ("nesting needs MessageBody scope", "MessageAttributes", '{"a": {"b": ["c"]}}',
     "Filter policy scope MessageAttributes does not support nested filter policy"),
    ("at most five keys", "MessageAttributes",
     json.dumps({k: ["x"] for k in "abcdef"}),
     "FilterPolicy: Filter policy can not have more than 5 keys"),
    ("at most 150 combinations", "MessageAttributes",
     json.dumps({"a": list("0123456789"), "b": list("0123456789"), "c": ["1", "2"]}),
     "FilterPolicy: Filter policy is too complex"),
    ("a nested key's values count times its depth", "MessageBody",
     json.dumps({"a": {"b": {"c": list("0123456789")}}, "d": {"e": list("012345")}}),
     "FilterPolicy: Filter policy is too complex"),
    ("values are arrays or objects", "MessageAttributes", '{"a": "b"}',
     'FilterPolicy: "a" must be an object or an array'),
    ("empty arrays are refused", "MessageAttributes", '{"a": []}',
     "FilterPolicy: Empty arrays are not allowed"),
    ("wildcard is EventBridge only", "MessageAttributes", '{"a": [{"wildcard": "x*"}]}',
     "FilterPolicy: Unrecognized match type wildcard"),
    ("anything-but suffix is refused", "MessageAttributes",
     '{"a": [{"anything-but": {"suffix": "x"}}]}',
     "FilterPolicy: Unsupported anything-but pattern: suffix"),
    ("exists takes a boolean", "MessageAttributes", '{"a": [{"exists": "yes"}]}',
     "FilterPolicy: exists match pattern must be either true or false."),
    ("numeric bounds in order", "MessageAttributes",
     '{"a": [{"numeric": [">", 10, "<", 5]}]}', "FilterPolicy: Bottom must be less than top"),
    ("numeric operands within 1e9", "MessageAttributes",
     '{"a": [{"numeric": [">", 2000000000]}]}',
     "FilterPolicy: Value must be between -1.0E9 and 1.0E9, inclusive"),
    ("unknown numeric operator", "MessageAttributes", '{"a": [{"numeric": ["!=", 1]}]}',
     "FilterPolicy: Unrecognized numeric range operator: !="),
    ("malformed cidr", "MessageAttributes", '{"a": [{"cidr": "10.0.0.0"}]}',
     "FilterPolicy: Malformed CIDR, one '/' required"),
    ("prefix takes a string", "MessageAttributes", '{"a": [{"prefix": 5}]}',
     "FilterPolicy: prefix match pattern must be a string"),
]


@pytest.mark.parametrize(("rule", "scope", "text", "message"), ERROR_CASES,
                         ids=[c[0] for c in ERROR_CASES])
def test_refused_policies(rule: str, scope: str, text: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as e:
        check_policy(text, scope, on_subscribe=False)
    assert e.value.message == f"Invalid parameter: {message}", rule
    with pytest.raises(InvalidParameter) as e2:
        check_policy(text, scope, on_subscribe=True)
    assert e2.value.message == f"Invalid parameter: Attributes Reason: {message}"


def test_limits_that_are_just_within() -> None:
    five = json.dumps({k: ["x"] for k in "abcde"})
    assert check_policy(five, "MessageAttributes", on_subscribe=False) is not None
    combos = json.dumps({"a": list("0123456789"), "b": list("0123456789"), "c": ["1"]})
    assert check_policy(combos, "MessageAttributes", on_subscribe=False) is not None
    nested = json.dumps({"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}},
                         "key_d": {"key_e": ["1", "2", "3"]}})  # the guide's 3x4x2x3 = 72
    assert check_policy(nested, "MessageBody", on_subscribe=False) is not None
