"""HTTP/S delivery policies: checking them, the effective policy, and the retry schedule.

"Amazon SNS message delivery retries" (Developer Guide): a failed delivery to an HTTP/S
endpoint (a 5xx or 1xx status, a timeout, a connection error) is retried in up to four
phases — ``numNoDelayRetries`` at once, ``numMinDelayRetries`` every ``minDelayTarget``
seconds, a backoff phase from ``minDelayTarget`` to ``maxDelayTarget`` over the retries
left of ``numRetries``, then ``numMaxDelayRetries`` every ``maxDelayTarget`` seconds.
A 4xx is a permanent failure (not retried).  A message lives at most one hour.  The
default is 3 retries, 20 seconds apart (linear backoff from 20 to 20).

The backoff functions: ``linear`` is exact (the guide's example: 3 retries from 20 to 40
wait 20, 30 and 40 seconds); the guide only draws the other three, so cargobay uses
their shapes — ``arithmetic`` a quadratic rise, ``geometric`` a constant ratio,
``exponential`` an ``e^(5t)`` curve — each starting at the minimum and ending at the
maximum delay.
"""

from __future__ import annotations

import json
import math
from typing import Any

from cargobay.services.sns.errors import InvalidParameter

Doc = dict[str, Any]

#: the longest a message waits for an HTTP/S endpoint (seconds)
MAX_LIFETIME = 3600.0
MAX_RETRIES = 100
MAX_DELAY = 3600
BACKOFFS = ("linear", "arithmetic", "geometric", "exponential")

DEFAULT_RETRY: Doc = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"


def default_topic_policy() -> Doc:
    return {
        "http": {
            "defaultHealthyRetryPolicy": dict(DEFAULT_RETRY),
            "disableSubscriptionOverrides": False,
            "defaultRequestPolicy": {"headerContentType": DEFAULT_CONTENT_TYPE},
        }
    }


def _bad(reason: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid parameter: DeliveryPolicy: {reason}")


def _int(policy: Doc, name: str, default: int, low: int, high: int) -> int:
    v = policy.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(f"{name} must be an integer")
    if v < low or v > high:
        raise _bad(f"{name} must be between {low} and {high}")
    return v


def check_retry_policy(policy: Any) -> Doc:
    """A healthyRetryPolicy with its defaults filled in (InvalidParameter if bad)."""
    if not isinstance(policy, dict):
        raise _bad("healthyRetryPolicy must be an object")
    known = set(DEFAULT_RETRY)
    for name in policy:
        if name not in known:
            raise _bad(f"Unknown field {name}")
    out: Doc = {}
    out["numRetries"] = _int(policy, "numRetries", 3, 0, MAX_RETRIES)
    out["minDelayTarget"] = _int(policy, "minDelayTarget", 20, 1, MAX_DELAY)
    out["maxDelayTarget"] = _int(policy, "maxDelayTarget", 20, 1, MAX_DELAY)
    if out["minDelayTarget"] > out["maxDelayTarget"]:
        raise _bad("minDelayTarget must be less than or equal to maxDelayTarget")
    for name in ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries"):
        out[name] = _int(policy, name, 0, 0, MAX_RETRIES)
    phases = out["numNoDelayRetries"] + out["numMinDelayRetries"] + out["numMaxDelayRetries"]
    if phases > out["numRetries"]:
        raise _bad("numRetries must be at least the sum of the phase retries")
    fn = policy.get("backoffFunction", "linear")
    if fn not in BACKOFFS:
        raise _bad(f"backoffFunction must be one of {', '.join(BACKOFFS)}")
    out["backoffFunction"] = fn
    return out


def _parse(text: str) -> Doc:
    try:
        doc = json.loads(text)
    except ValueError:
        raise _bad("failed to parse JSON.") from None
    if not isinstance(doc, dict):
        raise _bad("must be a JSON object")
    return doc


def _content_type(req: Any) -> str:
    if req is None:
        return DEFAULT_CONTENT_TYPE
    if not isinstance(req, dict) or not isinstance(req.get("headerContentType",
                                                           DEFAULT_CONTENT_TYPE), str):
        raise _bad("requestPolicy must be an object with a headerContentType string")
    return str(req.get("headerContentType", DEFAULT_CONTENT_TYPE))


def check_topic_policy(text: str) -> Doc:
    """A topic DeliveryPolicy (``{"http": {...}}``), checked; returns the effective one."""
    doc = _parse(text)
    eff = default_topic_policy()
    http = doc.get("http")
    if http is None:
        return eff
    if not isinstance(http, dict):
        raise _bad("http must be an object")
    out = eff["http"]
    if "defaultHealthyRetryPolicy" in http:
        out["defaultHealthyRetryPolicy"] = check_retry_policy(http["defaultHealthyRetryPolicy"])
    if "disableSubscriptionOverrides" in http:
        flag = http["disableSubscriptionOverrides"]
        if not isinstance(flag, bool):
            raise _bad("disableSubscriptionOverrides must be true or false")
        out["disableSubscriptionOverrides"] = flag
    if "defaultThrottlePolicy" in http:
        out["defaultThrottlePolicy"] = _throttle(http["defaultThrottlePolicy"])
    if "defaultRequestPolicy" in http:
        out["defaultRequestPolicy"] = {
            "headerContentType": _content_type(http["defaultRequestPolicy"])
        }
    return eff


def _throttle(doc: Any) -> Doc:
    if not isinstance(doc, dict):
        raise _bad("throttlePolicy must be an object")
    rate = doc.get("maxReceivesPerSecond", 1)
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        raise _bad("maxReceivesPerSecond must be a positive integer")
    return {"maxReceivesPerSecond": rate}


def check_subscription_policy(text: str) -> Doc:
    """A subscription DeliveryPolicy (``{"healthyRetryPolicy": ...}``), checked."""
    doc = _parse(text)
    out: Doc = {}
    if "healthyRetryPolicy" in doc:
        out["healthyRetryPolicy"] = check_retry_policy(doc["healthyRetryPolicy"])
    if "throttlePolicy" in doc:
        out["throttlePolicy"] = _throttle(doc["throttlePolicy"])
    if "requestPolicy" in doc:
        out["requestPolicy"] = {"headerContentType": _content_type(doc["requestPolicy"])}
    return out


def effective_subscription_policy(topic_policy: str | None, sub_policy: str | None) -> Doc:
    """What an HTTP/S subscription is delivered with: the topic's defaults, overridden by
    the subscription's own policy unless the topic disables overrides."""
    topic = check_topic_policy(topic_policy)["http"] if topic_policy else (
        default_topic_policy()["http"])
    out: Doc = {
        "healthyRetryPolicy": dict(topic["defaultHealthyRetryPolicy"]),
        "requestPolicy": dict(topic["defaultRequestPolicy"]),
        "guaranteed": False,
    }
    if "defaultThrottlePolicy" in topic:
        out["throttlePolicy"] = dict(topic["defaultThrottlePolicy"])
    if sub_policy and not topic.get("disableSubscriptionOverrides"):
        own = check_subscription_policy(sub_policy)
        out.update(own)
    return out


def retry_delay(policy: Doc, retry: int) -> float | None:
    """Seconds to wait before retry number ``retry`` (1-based), or None when the policy
    allows no more."""
    n = int(policy["numRetries"])
    if retry > n:
        return None
    no_delay = int(policy["numNoDelayRetries"])
    min_r = int(policy["numMinDelayRetries"])
    max_r = int(policy["numMaxDelayRetries"])
    low = float(policy["minDelayTarget"])
    high = float(policy["maxDelayTarget"])
    backoff = n - no_delay - min_r - max_r
    if retry <= no_delay:
        return 0.0
    if retry <= no_delay + min_r:
        return low
    if retry <= no_delay + min_r + backoff:
        i = retry - no_delay - min_r - 1
        t = i / (backoff - 1) if backoff > 1 else 0.0
        return _backoff(str(policy["backoffFunction"]), low, high, t)
    return high


def _backoff(fn: str, low: float, high: float, t: float) -> float:
    if fn == "arithmetic":
        return low + (high - low) * t * t
    if fn == "geometric":
        return low * math.pow(high / low, t)
    if fn == "exponential":
        return low + (high - low) * (math.exp(5 * t) - 1) / (math.exp(5) - 1)
    return low + (high - low) * t
