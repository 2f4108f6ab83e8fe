"""Which protocols and endpoints Subscribe accepts.

cargobay delivers to ``sqs`` (in-process, to a queue named by ARN), ``http``/``https``
(only to 127.0.0.0/8 or ``localhost``: nothing else is reachable from here) and
``email``/``email-json`` (recorded to an outbox).  AWS's other protocols (lambda,
firehose, application, sms) are refused; FIFO topics take only SQS subscriptions.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from cargobay.services.sns.errors import invalid

SUPPORTED = ("sqs", "http", "https", "email", "email-json")
AWS_ONLY = ("lambda", "firehose", "application", "sms")
#: protocols whose subscriptions wait for the endpoint owner to confirm
CONFIRMED_BY_OWNER = ("http", "https", "email", "email-json")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SQS_ARN = re.compile(r"arn:aws:sqs:([a-z0-9-]+):([0-9]{12}):([A-Za-z0-9_-]{1,80}(\.fifo)?)")


def check(protocol: str, endpoint: str | None, topic_fifo: bool) -> str:
    """The endpoint, checked for ``protocol`` (InvalidParameter if it cannot be used)."""
    if protocol in AWS_ONLY:
        raise invalid("Protocol", f"cargobay does not deliver to {protocol} endpoints")
    if protocol not in SUPPORTED:
        raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    if topic_fifo and protocol != "sqs":
        raise invalid("Protocol", f"{protocol} endpoints cannot subscribe to FIFO topics")
    if not endpoint:
        raise invalid("Endpoint")
    if protocol == "sqs":
        m = _SQS_ARN.fullmatch(endpoint)
        if m is None:
            raise invalid("SQS endpoint ARN")
        if m.group(4) and not topic_fifo:
            raise invalid(
                "Invalid parameter: Endpoint",
                "FIFO SQS Queues can not be subscribed to standard SNS topics",
            )
    elif protocol in ("http", "https"):
        check_url(protocol, endpoint)
    elif not _EMAIL.fullmatch(endpoint):
        raise invalid("Email address")
    return endpoint


def check_url(protocol: str, url: str) -> None:
    if not url.lower().startswith(f"{protocol}://"):
        raise invalid("Endpoint must match the specified protocol")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise invalid("Endpoint", "the endpoint is not a valid URL") from None
    if not host:
        raise invalid("Endpoint", "the endpoint is not a valid URL")
    if not is_loopback(host):
        raise invalid(
            "Endpoint",
            "cargobay reaches only endpoints on 127.0.0.0/8 (or localhost)",
        )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.version == 4 and ip in ipaddress.ip_network("127.0.0.0/8")


def queue_of(endpoint: str) -> tuple[str, str, str]:
    """(region, account, queue name) of an SQS endpoint ARN."""
    m = _SQS_ARN.fullmatch(endpoint)
    assert m is not None
    return m.group(1), m.group(2), m.group(3)
