"""Parameter Store: put, read, list and delete parameters.

PutParameter creates version 1, or with ``Overwrite`` the next version; settings not
given are kept from the version before. At most 100 versions are kept: the oldest goes
unless it carries a label (ParameterMaxVersionLimitExceeded). A SecureString's value is
kept as given and returned only ``WithDecryption``; otherwise an opaque ciphertext-like
string comes back.
"""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.protocol.errors import AwsError
from cargobay.services.secrets import parameter_values as pv
from cargobay.services.secrets.parameter_filters import (
    check_filters,
    labelled_version,
    matches,
    old_filters,
)
from cargobay.services.secrets.parameter_names import check_new_name, check_path, key_name, under
from cargobay.services.secrets.parameter_store import (
    decode_offset,
    decode_token,
    encode_offset,
    encode_token,
    prefix,
)
from cargobay.services.secrets.ssm_base import SsmBase, expired, new_salt
from cargobay.services.secrets.ssm_errors import (
    ParameterAlreadyExists,
    ParameterLimitExceeded,
    ParameterMaxVersionLimitExceeded,
    ValidationException,
)

Doc = dict[str, Any]

MAX_VERSIONS = 100
MAX_TAGS = 50


class ParameterOps(SsmBase):
    # -- writing ---------------------------------------------------------------------

    def put_parameter(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name = check_new_name(req["Name"])
        value: str = req["Value"]
        if value == "":
            raise ValidationException(
                "1 validation error detected: Value '' at 'value' failed to satisfy "
                "constraint: Member must have length greater than or equal to 1."
            )
        overwrite = bool(req.get("Overwrite"))
        tags = req.get("Tags") or []
        if overwrite and tags:
            raise ValidationException(
                "Invalid request: tags and overwrite can't be used together. To create a "
                "parameter with tags, please remove overwrite flag. To update tags for an "
                "existing parameter, please use AddTagsToResource or RemoveTagsFromResource."
            )
        kname = key_name(name)
        doc = self.load(ctx.account_id, ctx.region, kname)
        prev: Doc | None = None
        if doc is not None:
            if not overwrite:
                raise ParameterAlreadyExists()
            prev = doc["history"][-1]
        param_type = req.get("Type") or (prev["type"] if prev else None)
        if param_type is None:
            raise ValidationException("A parameter type is required when you create a parameter.")
        entry = self._settings(req, param_type, prev, value)
        entry["tier"] = self._tier(ctx, req, prev, entry, len(value.encode()), doc is None)
        now = self.now()
        entry.update(version=(prev["version"] + 1) if prev else 1, value=value, labels=[],
                     modified=now, user=self.user(ctx), salt=new_salt())
        if doc is None:
            if len({t["Key"] for t in tags}) > MAX_TAGS:
                raise ValidationException(f"A parameter can have at most {MAX_TAGS} tags.")
            merged = {str(t["Key"]): str(t.get("Value", "")) for t in tags}
            doc = {"name": name, "tags": [{"Key": k, "Value": v} for k, v in merged.items()],
                   "history": []}
        history: list[Doc] = doc["history"]
        if len(history) >= MAX_VERSIONS:
            oldest = history[0]
            if oldest.get("labels"):
                raise ParameterMaxVersionLimitExceeded(
                    f"You attempted to create a new version of {name} by calling the "
                    f"PutParameter API with the overwrite flag. Version {oldest['version']}, the "
                    "oldest version, can't be deleted because it has a label associated with "
                    "it. Move the label to another version of the parameter, and try again."
                )
            history.pop(0)
        history.append(entry)
        doc["expires"] = pv.expires_at(pv.parse_policies(entry.get("policies")))
        self.params.put(ctx.account_id, ctx.region, kname, doc)
        return {"Version": entry["version"], "Tier": entry["tier"]}

    @staticmethod
    def _settings(req: dict[str, Any], param_type: str, prev: Doc | None, value: str) -> Doc:
        """The new version's type, key, description, pattern, data type and policies."""
        def kept(member: str, field: str) -> Any:
            if req.get(member) is not None:
                return req[member]
            return prev.get(field) if prev else None

        key_id = req.get("KeyId")
        if key_id is not None and param_type != "SecureString":
            raise ValidationException("KeyId is required for SecureString type parameter only.")
        if param_type == "SecureString" and key_id is None:
            same = prev is not None and prev["type"] == "SecureString"
            key_id = prev.get("key_id") if same and prev else pv.DEFAULT_KEY
        data_type = kept("DataType", "data_type") or "text"
        pv.check_data_type(data_type, param_type)
        pattern = kept("AllowedPattern", "allowed_pattern")
        pv.check_pattern(pattern, value)
        policies = kept("Policies", "policies")
        pv.parse_policies(policies)
        entry: Doc = {"type": param_type, "data_type": data_type}
        for field, v in (("key_id", key_id), ("description", kept("Description", "description")),
                         ("allowed_pattern", pattern), ("policies", policies)):
            if v is not None:
                entry[field] = v
        return entry

    def _tier(self, ctx: RequestContext, req: dict[str, Any], prev: Doc | None, entry: Doc,
              size: int, new: bool) -> str:
        has_policies = bool(pv.parse_policies(entry.get("policies")))
        requested = req.get("Tier")
        standard_full = new and self._count(ctx, pv.STANDARD) >= self.max_standard
        tier = pv.choose_tier(requested, prev["tier"] if prev else None, size, has_policies,
                              standard_full)
        pv.check_size(tier, size, has_policies)
        if new and tier == pv.STANDARD and standard_full:
            raise ParameterLimitExceeded()
        if new and tier == pv.ADVANCED and self._count(ctx, pv.ADVANCED) >= self.max_advanced:
            raise ParameterLimitExceeded()
        return tier

    def _count(self, ctx: RequestContext, tier: str) -> int:
        """Parameters of a tier in the account and Region (a full scan only near a quota)."""
        limit = self.max_standard if tier == pv.STANDARD else self.max_advanced
        if self.params.count(ctx.account_id, ctx.region) < limit:
            return 0
        now = self.now()
        return sum(1 for _, d in self.params.scan(ctx.account_id, ctx.region)
                   if not expired(d, now) and d["history"][-1]["tier"] == tier)

    def delete_parameter(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, req["Name"], selectors=False)
        self.found(ctx, ref)
        self.params.delete(ctx.account_id, ctx.region, ref.name)
        return {}

    def delete_parameters(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        deleted: list[str] = []
        invalid: list[str] = []
        for name in dict.fromkeys(req["Names"]):
            try:
                ref = self.ref(ctx, name, selectors=False)
                self.found(ctx, ref)
            except AwsError:
                invalid.append(name)
                continue
            self.params.delete(ctx.account_id, ctx.region, ref.name)
            deleted.append(name)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    # -- reading ---------------------------------------------------------------------

    def get_parameter(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, req["Name"])
        doc = self.found(ctx, ref)
        entry = self.version(doc, ref)
        decrypt = bool(req.get("WithDecryption"))
        return {"Parameter": self.parameter(ctx, doc, entry, decrypt, ref.selector)}

    def get_parameters(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        decrypt = bool(req.get("WithDecryption"))
        found: list[dict[str, Any]] = []
        invalid: list[str] = []
        for text in dict.fromkeys(req["Names"]):
            try:
                ref = self.ref(ctx, text)
                doc = self.found(ctx, ref)
                entry = self.version(doc, ref)
            except AwsError:
                invalid.append(text)
                continue
            found.append(self.parameter(ctx, doc, entry, decrypt, ref.selector))
        return {"Parameters": found, "InvalidParameters": invalid}

    def get_parameters_by_path(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        path = check_path(req["Path"])
        filters = check_filters(req.get("ParameterFilters"), by_path=True)
        recursive = bool(req.get("Recursive"))
        decrypt = bool(req.get("WithDecryption"))
        size = req.get("MaxResults") or 10
        after = decode_token(req.get("NextToken"), prefix(ctx.account_id, ctx.region))
        start = "" if path == "/" else path + "/"
        now = self.now()
        out: list[dict[str, Any]] = []
        last: str | None = None
        for k, doc in self.params.scan(ctx.account_id, ctx.region, start, after):
            if expired(doc, now) or not under(path, doc["name"], recursive):
                continue
            entry = labelled_version(doc, filters)
            if entry is None or not matches(doc, entry, filters):
                continue
            if len(out) == size:
                return {"Parameters": out, "NextToken": encode_token(last or k)}
            out.append(self.parameter(ctx, doc, entry, decrypt))
            last = k
        return {"Parameters": out}

    def get_parameter_history(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, req["Name"], selectors=False)
        doc = self.found(ctx, ref)
        decrypt = bool(req.get("WithDecryption"))
        start = decode_offset(req.get("NextToken"))
        size = req.get("MaxResults") or 50
        history: list[Doc] = doc["history"]
        chosen = history[start : start + size]
        out: dict[str, Any] = {
            "Parameters": [self.history_entry(doc, e, decrypt) for e in chosen]}
        if start + size < len(history):
            out["NextToken"] = encode_offset(start + size)
        return out

    def describe_parameters(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        if req.get("Filters") and req.get("ParameterFilters"):
            raise ValidationException(
                "You can use either Filters or ParameterFilters in a single request."
            )
        filters = check_filters(req.get("ParameterFilters"), by_path=False)
        filters += old_filters(req.get("Filters"))
        size = req.get("MaxResults") or 50
        after = decode_token(req.get("NextToken"), prefix(ctx.account_id, ctx.region))
        if req.get("Shared"):
            return {"Parameters": []}  # nothing is shared with this account
        now = self.now()
        out: list[dict[str, Any]] = []
        last: str | None = None
        for k, doc in self.params.scan(ctx.account_id, ctx.region, "", after):
            if expired(doc, now) or not matches(doc, doc["history"][-1], filters):
                continue
            if len(out) == size:
                return {"Parameters": out, "NextToken": encode_token(last or k)}
            out.append(self.metadata(ctx, doc))
            last = k
        return {"Parameters": out}

