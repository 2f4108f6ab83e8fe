"""Secrets in the store, found by any SecretId form, and their deletion window.

One document per secret in ``secretsmanager.secrets`` under ``ACCOUNT/REGION/NAME``
(versions inside it, so a version change is one atomic write). A secret scheduled for
deletion stays until its ``deletion_date`` on the app clock; after that it is gone for
every operation (purged when next touched, and by the service's sweep).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cargobay.services.secrets.secret_names import SecretRef, parse_secret_id
from cargobay.store import Store

TABLE = "secretsmanager.secrets"

Doc = dict[str, Any]


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def prefix(account: str, region: str) -> str:
    return f"{account}/{region}/"


def expired(doc: Doc, now: float) -> bool:
    when = doc.get("deletion_date")
    return when is not None and when <= now


def full_arn(store: Store, secret_id: str, region: str, account: str, now: float) -> str | None:
    """The ARN (with its six-character suffix) of the secret a SecretId names, for whoever
    must match policies against the real ARN (IAM evaluates the resolved resource)."""
    doc = SecretStore(store).find(secret_id, region, account, now)
    return None if doc is None else str(doc["arn"])


class SecretStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, account: str, region: str, name: str, now: float) -> Doc | None:
        """The secret named ``name`` (None if absent or past its deletion date)."""
        k = key(account, region, name)
        doc = self.store.get(TABLE, k)
        if doc is not None and expired(doc, now):
            self.store.delete(TABLE, k)
            return None
        return doc

    def find(self, secret_id: str, region: str, account: str, now: float) -> Doc | None:
        """The secret a SecretId (name, full or partial ARN) names in this account and
        region."""
        ref = parse_secret_id(secret_id, region, account)
        if ref is None or ref.account != account or ref.region != region:
            return None
        return self.resolve(ref, now)

    def resolve(self, ref: SecretRef, now: float) -> Doc | None:
        for name in ref.candidates():
            doc = self.get(ref.account, ref.region, name, now)
            if doc is None:
                continue
            if ref.arn is None or doc["arn"] == ref.arn or ref.tail == doc["name"]:
                return doc
        return None

    def put(self, account: str, region: str, doc: Doc) -> None:
        self.store.put(TABLE, key(account, region, doc["name"]), doc)

    def remove(self, account: str, region: str, name: str) -> None:
        self.store.delete(TABLE, key(account, region, name))

    def scan(self, account: str, region: str, now: float) -> Iterator[Doc]:
        """Every live secret of the account and region, in name order."""
        gone = []
        for k, doc in self.store.scan(TABLE, prefix(account, region)):
            if expired(doc, now):
                gone.append(k)
                continue
            yield doc
        for k in gone:
            self.store.delete(TABLE, k)

    def sweep(self, now: float) -> int:
        """Purge every secret past its deletion date (all accounts, regions)."""
        gone = [k for k, doc in self.store.scan(TABLE) if expired(doc, now)]
        for k in gone:
            self.store.delete(TABLE, k)
        return len(gone)
