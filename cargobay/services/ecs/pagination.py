"""nextToken / maxResults as ECS pages lists.

The token is opaque to clients: here, the base64 of the last key returned.  A token
that cannot be decoded is ECS's InvalidParameterException.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from cargobay.services import page_tokens
from cargobay.services.ecs.errors import InvalidParameterException

T = TypeVar("T")

DEFAULT_PAGE = 100
MAX_PAGE = 100


encode_token = page_tokens.encode


def decode_token(token: str | None) -> str | None:
    return page_tokens.decode(token, lambda: InvalidParameterException("Invalid nextToken."))


def page_size(
    max_results: int | None, *, default: int = DEFAULT_PAGE, limit: int = MAX_PAGE
) -> int:
    if max_results is None:
        return default
    if max_results < 1 or max_results > limit:
        raise InvalidParameterException(
            f"maxResults must be between 1 and {limit}."
        )
    return max_results


def take_page(items: Iterable[tuple[str, T]], size: int) -> tuple[list[T], str | None]:
    """Up to ``size`` items of (key, value), and the token for the next page if any."""
    it: Iterator[tuple[str, T]] = iter(items)
    page = list(islice(it, size))
    if not page:
        return [], None
    more = next(it, None) is not None
    return [v for _, v in page], (encode_token(page[-1][0]) if more else None)
