"""What every Parameter Store mixin uses: lookups by name, selector or ARN, expiry by
an Expiration policy on the app clock, and the output shapes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cargobay.clock import Clock
from cargobay.protocol.base import RequestContext
from cargobay.services.secrets import parameter_values as pv
from cargobay.services.secrets.parameter_names import ParamRef, parameter_arn, parse_ref
from cargobay.services.secrets.parameter_store import ParameterStore
from cargobay.services.secrets.ssm_errors import ParameterNotFound, ParameterVersionNotFound

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]


def expired(doc: Doc, now: float) -> bool:
    """Has the latest version's Expiration policy come due (the parameter is deleted)?"""
    when = doc.get("expires")
    return when is not None and when <= now


def new_salt() -> str:
    return os.urandom(16).hex()


class SsmBase:
    app: App
    clock: Clock
    params: ParameterStore
    #: AWS's quotas per account and Region (adjustable there; here for tests)
    max_standard: int
    max_advanced: int

    def now(self) -> float:
        return self.clock.now()

    def user(self, ctx: RequestContext) -> str:
        return ctx.principal_arn or f"arn:aws:iam::{ctx.account_id}:root"

    def load(self, account: str, region: str, name: str) -> Doc | None:
        """A parameter by its key name (None if absent or expired)."""
        doc = self.params.get(account, region, name)
        if doc is not None and expired(doc, self.now()):
            self.params.delete(account, region, name)
            return None
        return doc

    def ref(self, ctx: RequestContext, text: str, selectors: bool = True) -> ParamRef:
        return parse_ref(text, ctx.region, ctx.account_id, selectors)

    def found(self, ctx: RequestContext, ref: ParamRef) -> Doc:
        """The parameter a reference names (ParameterNotFound, with AWS's empty message)."""
        doc = None
        if ref.account == ctx.account_id and ref.region == ctx.region:
            doc = self.load(ref.account, ref.region, ref.name)
        if doc is None:
            raise ParameterNotFound()
        return doc

    @staticmethod
    def version(doc: Doc, ref: ParamRef) -> Doc:
        """The version a selector picks (the latest without one)."""
        history: list[Doc] = doc["history"]
        if ref.version is not None:
            for entry in history:
                if entry["version"] == ref.version:
                    return entry
            raise ParameterVersionNotFound(doc["name"], ref.version)
        if ref.label is not None:
            for entry in history:
                if ref.label in entry.get("labels", []):
                    return entry
            raise ParameterVersionNotFound(doc["name"], ref.label)
        return history[-1]

    @staticmethod
    def shown_value(entry: Doc, decrypt: bool) -> str:
        if entry["type"] == "SecureString" and not decrypt:
            return pv.ciphertext(entry["salt"], entry["value"])
        return str(entry["value"])

    def parameter(
        self, ctx: RequestContext, doc: Doc, entry: Doc, decrypt: bool,
        selector: str | None = None,
    ) -> dict[str, Any]:
        """A ``Parameter`` (GetParameter, GetParameters, GetParametersByPath)."""
        return {
            "Name": doc["name"],
            "Type": entry["type"],
            "Value": self.shown_value(entry, decrypt),
            "Version": entry["version"],
            "Selector": selector,
            "LastModifiedDate": entry["modified"],
            "ARN": parameter_arn(ctx.region, ctx.account_id, doc["name"]),
            "DataType": entry["data_type"],
        }

    def metadata(self, ctx: RequestContext, doc: Doc) -> dict[str, Any]:
        """A ``ParameterMetadata`` (DescribeParameters): the latest version's settings."""
        entry = doc["history"][-1]
        return {
            "Name": doc["name"],
            "ARN": parameter_arn(ctx.region, ctx.account_id, doc["name"]),
            "Type": entry["type"],
            "KeyId": entry.get("key_id"),
            "LastModifiedDate": entry["modified"],
            "LastModifiedUser": entry["user"],
            "Description": entry.get("description"),
            "AllowedPattern": entry.get("allowed_pattern"),
            "Version": entry["version"],
            "Tier": entry["tier"],
            "Policies": pv.policy_list(entry.get("policies"), self.now()),
            "DataType": entry["data_type"],
        }

    def history_entry(self, doc: Doc, entry: Doc, decrypt: bool) -> dict[str, Any]:
        return {
            "Name": doc["name"],
            "Type": entry["type"],
            "KeyId": entry.get("key_id"),
            "LastModifiedDate": entry["modified"],
            "LastModifiedUser": entry["user"],
            "Description": entry.get("description"),
            "Value": self.shown_value(entry, decrypt),
            "AllowedPattern": entry.get("allowed_pattern"),
            "Version": entry["version"],
            "Labels": list(entry.get("labels", [])),
            "Tier": entry["tier"],
            "Policies": pv.policy_list(entry.get("policies"), self.now()),
            "DataType": entry["data_type"],
        }
