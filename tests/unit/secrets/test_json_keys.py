"""JSON keys of a secret read as the ECS agent reads them (Go's %v of JSON values)."""

from __future__ import annotations

import pytest

from cargobay.services.secrets.json_keys import JsonKeyError, go_float, json_key


@pytest.mark.parametrize("x, shown", [
    (5432, "5432"), (1.5, "1.5"), (100000, "100000"), (1e6, "1e+06"),
    (1234567, "1.234567e+06"), (0.0001, "0.0001"), (0.00001, "1e-05"), (-3.25, "-3.25"),
    (0, "0"),
])
def test_numbers_print_as_go_prints_a_float64(x: float, shown: str) -> None:
    assert go_float(float(x)) == shown


def test_values_of_every_json_type() -> None:
    text = '{"s":"p@ss","n":8080,"t":true,"z":null,"o":{"b":1,"a":"x"},"l":[1,"y"]}'
    assert [json_key(text, k) for k in "sntzol"] == [
        "p@ss", "8080", "true", "<nil>", "map[a:x b:1]", "[1 y]"]


def test_missing_key_and_non_json_values() -> None:
    with pytest.raises(JsonKeyError, match="did not contain json key nope"):
        json_key('{"a":"b"}', "nope")
    with pytest.raises(JsonKeyError, match="not JSON"):
        json_key("plain text", "a")
    with pytest.raises(JsonKeyError, match="not a JSON object"):
        json_key("[1,2]", "a")
