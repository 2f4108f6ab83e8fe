"""Invalid event patterns: InvalidEventPatternException's reasons, as event-ruler words
them ("Event pattern is not valid. Reason: ...")."""

from __future__ import annotations

import pytest

from cargobay.services.events.pattern_check import PREFIX, PatternError, parse_pattern

BAD: list[tuple[str, str]] = [
    ('["aws.ec2"]', "Filter is not an object"),
    ("{}", "Empty objects are not allowed"),
    ('{"detail": {}}', "Empty objects are not allowed"),
    ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
    ('{"source": 5}', '"source" must be an object or an array'),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"source": [["a"]]}', "Match value must be String, number, true, false, or null"),
    ('{"source": [{}]}', "Match expression name not found"),
    ('{"source": [{"regex": "a.*"}]}', "Unrecognized match type regex"),
    ('{"source": [{"prefix": 5}]}', "prefix match pattern must be a string"),
    ('{"source": [{"suffix": ["x"]}]}', "suffix match pattern must be a string"),
    ('{"source": [{"prefix": "a", "suffix": "b"}]}', "Only one key allowed in match expression"),
    ('{"source": [{"prefix": {"exactly": "a"}}]}', "Unsupported prefix pattern: exactly"),
    ('{"source": [{"suffix": {}}]}', "Suffix expression name not found"),
    ('{"source": [{"prefix": {"equals-ignore-case": 1}}]}',
     "equals-ignore-case match pattern must be a string"),
    ('{"source": [{"equals-ignore-case": null}]}',
     "equals-ignore-case match pattern must be a string"),
    ('{"source": [{"exactly": 1}]}', "exact match pattern must be a string"),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": []}]}', "Invalid member in numeric match: ]"),
    ('{"a": [{"numeric": [5, ">"]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"numeric": ["~", 5]}]}', "Unrecognized numeric range operator: ~"),
    ('{"a": [{"numeric": [">", "5"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["=", 5, "<", 6]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": ["<", 5, ">", 1]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 5, 6]}]}', "Bad value in numeric range: 6"),
    ('{"a": [{"numeric": [">", 5, ">", 6]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 5, "<"]}]}', "Value of < must be numeric"),
    ('{"a": [{"numeric": [">", 5, "<", 9, 10]}]}', "Too many terms in numeric range expression"),
    ('{"a": [{"numeric": [">", 9, "<", 5]}]}', "Bottom must be less than top"),
    ('{"a": [{"numeric": [">", 6e9]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ('{"a": [{"numeric": [">", 1], "exists": true}]}', "Too many elements in numeric expression"),
    ('{"a": [{"anything-but": null}]}',
     "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": [true]}]}',
     "Inside anything but list, start|null|boolean is not supported."),
    ('{"a": [{"anything-but": ["x", 1]}]}',
     "Inside anything but list, either all values are number or string, mixed type is not "
     "supported"),
    ('{"a": [{"anything-but": {}}]}', "Anything-But expression name not found"),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}',
     "Unsupported anything-but pattern: numeric"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"anything-but": {"suffix": [1]}}]}', "prefix/suffix match pattern must be a string"),
    ('{"a": [{"anything-but": {"equals-ignore-case": [1]}}]}',
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
    ('{"a": [{"anything-but": {"wildcard": 5}}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"anything-but": {"wildcard": "a**"}}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"anything-but": {"prefix": {"x": 1}}}]}',
     "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"exists": true, "prefix": "x"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"wildcard": 1}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "Invalid escape character at pos 2"),
    ('{"a": [{"cidr": 10}]}', "prefix match pattern must be a string"),
    ('{"a": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"),
    ('{"a": [{"cidr": "10.0.0.0/x"}]}', "Malformed CIDR, mask bits must be an integer"),
    ('{"a": [{"cidr": "10.0.0.0/-1"}]}', "Malformed CIDR, mask bits must not be negative"),
    ('{"a": [{"cidr": "10.0.0.0/32"}]}', "IPv4 mask bits must be < 32"),
    ('{"a": [{"cidr": "2001:db8::/128"}]}', "IPv6 mask bits must be < 128"),
    ('{"a": [{"cidr": "300.1.1.1/8"}]}', "Invalid IP address: 300.1.1.1"),
    ('{"$or": {"a": ["x"]}}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": ["x"]}]}', "There must have at least 2 Objects in $or relationship."),
    ('{"$or": [{"a": ["x"]}, "b"]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [{"a": ["x"]}, {"numeric": ["y"]}]}',
     "numeric is Ruler reserved fieldName which cannot be used inside $or."),
    ('{"$or": [{"a": ["x"]}, {}]}', "Empty objects are not allowed"),
]


@pytest.mark.parametrize(("text", "reason"), BAD, ids=[b[1][:60] for b in BAD])
def test_invalid_pattern(text: str, reason: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_pattern(text)
    assert info.value.reason == reason
    assert str(info.value) == PREFIX + reason


@pytest.mark.parametrize(
    "text",
    ["{", '{"a": ["x",]}', "not json", '{"a": [NaN]}'],
)
def test_not_json(text: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_pattern(text)
    assert str(info.value).startswith(PREFIX)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [{"numeric": ["=", 5e9]}]}',
        '{"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]}',
        '{"a": [{"anything-but": {"prefix": ["a", "b"]}}]}',
        '{"a": [{"anything-but": {"wildcard": ["*x", "y\\\\*"]}}]}',
        '{"a": [{"wildcard": "a\\\\*b\\\\\\\\c*"}]}',
        '{"a": [{"cidr": "10.0.0.0/0"}]}',
        '{"a": [123456789012345]}',
        '{"prefix": ["x"]}',
        '{"a": {"$or": [{"b": ["x"]}, {"c": [1]}]}}',
    ],
)
def test_valid_pattern(text: str) -> None:
    parse_pattern(text)
