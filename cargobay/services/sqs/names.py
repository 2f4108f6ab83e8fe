"""Queue names, URLs, ARNs and the store keys behind them.

A queue is known by ``<account>/<region>/<name>`` (its store key).  Its URL is
``http://<host:port the client used>/<account>/<name>``; URLs clients send back are read
by their path alone (``/<account>/<name>``), so any host works.  Its ARN is
``arn:aws:sqs:<region>:<account>:<name>``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cargobay.protocol.base import RequestContext
from cargobay.services.sqs.errors import InvalidAddress, InvalidParameterValue

_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_ACCOUNT = re.compile(r"[0-9]{12}")


@dataclass(frozen=True)
class QueueRef:
    account: str
    region: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"


def check_name(name: str, fifo: bool) -> None:
    """A queue name as CreateQueue accepts it (raises InvalidParameterValue)."""
    if fifo:
        if not _FIFO_NAME.fullmatch(name):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, "
                "hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
    elif not _NAME.fullmatch(name):
        raise InvalidParameterValue(
            "Can only include alphanumeric characters, hyphens, or underscores. "
            "1 to 80 in length"
        )


def ref_from_url(ctx: RequestContext, url: str) -> QueueRef:
    """The queue a QueueUrl names.  In-process callers may also name it by ARN."""
    return _ref_from_url(url, ctx.region)


@functools.lru_cache(maxsize=4096)
def _ref_from_url(url: str, region: str) -> QueueRef:
    if url.startswith("arn:"):
        ref = ref_from_arn(url)
        if ref is None:
            raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
        return ref
    path = urlsplit(url).path if "://" in url else url
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or not parts[-1]:
        raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
    account, name = parts[-2], parts[-1]
    if not _ACCOUNT.fullmatch(account):
        raise InvalidAddress(f"The address {url} is not valid for this endpoint.")
    return QueueRef(account, region, name)


def ref_from_arn(arn: str) -> QueueRef | None:
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    _, _, _, region, account, name = parts
    if not region or not _ACCOUNT.fullmatch(account) or not name:
        return None
    return QueueRef(account, region, name)


def queue_url(endpoint: str, ref: QueueRef) -> str:
    return f"{endpoint}/{ref.account}/{ref.name}"


def endpoint_of(ctx: RequestContext, fallback: str) -> str:
    """``http://host:port`` as the client addressed the server (the Host header when the
    protocol layer passes it in ``ctx.extra``), else the configured endpoint."""
    host = ctx.extra.get("host")
    if isinstance(host, str) and host:
        return f"http://{host}"
    return fallback
