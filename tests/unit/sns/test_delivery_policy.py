"""Delivery policies ("Amazon SNS message delivery retries"): the phases, the backoff
functions, the defaults, and the checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cargobay.services.sns.delivery_policy import (
    DEFAULT_RETRY,
    check_retry_policy,
    check_subscription_policy,
    check_topic_policy,
    effective_subscription_policy,
    retry_delay,
)
from cargobay.services.sns.errors import InvalidParameter


def schedule(policy: dict[str, Any]) -> list[float]:
    p = check_retry_policy(policy)
    out: list[float] = []
    n = 1
    while (d := retry_delay(p, n)) is not None:
        out.append(round(d, 3))
        n += 1
    return out


def test_default_is_three_retries_twenty_seconds_apart() -> None:
    assert schedule(dict(DEFAULT_RETRY)) == [20, 20, 20]


def test_linear_backoff_example_from_the_guide() -> None:
    # "set the maximum delay to 40 seconds": retries after 20, 30 and 40 seconds
    assert schedule({"maxDelayTarget": 40}) == [20, 30, 40]


def test_the_four_phases_in_order() -> None:
    p = {"numRetries": 10, "numNoDelayRetries": 2, "numMinDelayRetries": 2,
         "numMaxDelayRetries": 2, "minDelayTarget": 5, "maxDelayTarget": 50}
    s = schedule(p)
    assert s[:2] == [0, 0]          # immediate retry phase
    assert s[2:4] == [5, 5]         # pre-backoff phase at the minimum delay
    assert s[4] == 5 and s[7] == 50  # backoff phase from minimum to maximum
    assert s[8:] == [50, 50]        # post-backoff phase at the maximum delay
    assert len(s) == 10


@pytest.mark.parametrize("fn", ["linear", "arithmetic", "geometric", "exponential"])
def test_backoff_functions_rise_from_min_to_max(fn: str) -> None:
    s = schedule({"numRetries": 10, "minDelayTarget": 5, "maxDelayTarget": 260,
                  "backoffFunction": fn})
    assert s[0] == 5 and s[-1] == 260
    assert s == sorted(s)


def test_exponential_starts_slower_than_linear() -> None:
    lin = schedule({"numRetries": 10, "minDelayTarget": 5, "maxDelayTarget": 260})
    exp = schedule({"numRetries": 10, "minDelayTarget": 5, "maxDelayTarget": 260,
                    "backoffFunction": "exponential"})
    assert exp[4] < lin[4]


@pytest.mark.parametrize("bad", [
    {"numRetries": 101},
    {"numRetries": -1},
    {"minDelayTarget": 0},
    {"minDelayTarget": 30, "maxDelayTarget": 20},
    {"maxDelayTarget": 3601},
    {"numRetries": 2, "numNoDelayRetries": 3},
    {"backoffFunction": "random"},
    {"numRetries": "3"},
    {"surprise": 1},
])
def test_refused_retry_policies(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameter) as e:
        check_retry_policy(bad)
    assert e.value.message.startswith("Invalid parameter: DeliveryPolicy: ")


def test_topic_and_subscription_policies() -> None:
    eff = check_topic_policy(json.dumps({"http": {
        "defaultHealthyRetryPolicy": {"numRetries": 5},
        "defaultRequestPolicy": {"headerContentType": "application/json"}}}))
    assert eff["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 5
    assert eff["http"]["defaultHealthyRetryPolicy"]["minDelayTarget"] == 20
    with pytest.raises(InvalidParameter):
        check_topic_policy("{")
    with pytest.raises(InvalidParameter):
        check_subscription_policy('{"healthyRetryPolicy": 3}')


def test_subscription_overrides_unless_the_topic_disables_them() -> None:
    topic = json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 7}}})
    sub = json.dumps({"healthyRetryPolicy": {"numRetries": 1}})
    assert effective_subscription_policy(topic, sub)["healthyRetryPolicy"]["numRetries"] == 1
    assert effective_subscription_policy(topic, None)["healthyRetryPolicy"]["numRetries"] == 7
    locked = json.dumps({"http": {"defaultHealthyRetryPolicy": {"numRetries": 7},
                                  "disableSubscriptionOverrides": True}})
    assert effective_subscription_policy(locked, sub)["healthyRetryPolicy"]["numRetries"] == 7
    assert effective_subscription_policy(None, None)["requestPolicy"] == {
        "headerContentType": "text/plain; charset=UTF-8"}
