"""Parameters in the store, with their history.

One document per parameter in ``ssm.parameters`` under ``ACCOUNT/REGION/NAME`` (the
name's key spelling, :func:`parameter_names.key_name`), so that a hierarchy is a key
prefix. The document keeps the name as created, the tags and ``history``: up to 100
versions, oldest first, each with its value, type, settings and labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cargobay.services import page_tokens
from cargobay.services.secrets.ssm_errors import InvalidNextToken
from cargobay.store import Store

TABLE = "ssm.parameters"

Doc = dict[str, Any]


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def prefix(account: str, region: str) -> str:
    return f"{account}/{region}/"


encode_token = page_tokens.encode


def decode_token(token: str | None, scope: str) -> str | None:
    """The key a NextToken continues after (InvalidNextToken if it is not one of ours)."""
    return page_tokens.decode(token, InvalidNextToken, scope)


def encode_offset(offset: int) -> str:
    return encode_token(f"#{offset}")


def decode_offset(token: str | None) -> int:
    """The position a NextToken of a history listing continues from."""
    text = page_tokens.decode(token, InvalidNextToken, "#")
    if text is None:
        return 0
    if not text[1:].isdigit():
        raise InvalidNextToken()
    return int(text[1:])


class ParameterStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, account: str, region: str, name: str) -> Doc | None:
        return self.store.get(TABLE, key(account, region, name))

    def put(self, account: str, region: str, name: str, doc: Doc) -> None:
        self.store.put(TABLE, key(account, region, name), doc)

    def delete(self, account: str, region: str, name: str) -> bool:
        return self.store.delete(TABLE, key(account, region, name))

    def scan(
        self, account: str, region: str, under: str = "", after: str | None = None
    ) -> Iterator[tuple[str, Doc]]:
        """(key, document) in key order, for names starting with ``under``."""
        yield from self.store.scan(TABLE, prefix(account, region) + under, after)

    def count(self, account: str, region: str) -> int:
        return self.store.count(TABLE, prefix(account, region))
