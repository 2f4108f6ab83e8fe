"""PutAccountSetting, PutAccountSettingDefault, ListAccountSettings, DeleteAccountSetting."""

from __future__ import annotations

from typing import Any

from cargobay.protocol.base import RequestContext
from cargobay.services.ecs import account_setting_store as settings_db
from cargobay.services.ecs.account_setting_rules import NAMES, check_value, rule
from cargobay.services.ecs.base import EcsBase
from cargobay.services.ecs.errors import InvalidParameterException
from cargobay.services.ecs.pagination import decode_token, page_size, take_page

#: ListAccountSettings: "This value can be between 1 and 10 ... returns up to 10 results"
LIST_PAGE = 10


def _setting(name: str, value: str, principal: str) -> dict[str, str]:
    return {"name": name, "value": value, "principalArn": principal, "type": rule(name).type}


class AccountSettingOps(EcsBase):
    def put_account_setting(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name, value = req["name"], req["value"]
        principal = settings_db.principal_for(ctx, req.get("principalArn"))
        check_value(name, value, root=settings_db.is_root(ctx, principal))
        settings_db.put_setting(self.store, ctx, principal, name, value)
        return {"setting": _setting(name, value, principal)}

    def put_account_setting_default(
        self, ctx: RequestContext, req: dict[str, Any]
    ) -> dict[str, Any]:
        name, value = req["name"], req["value"]
        check_value(name, value, root=True)
        root = settings_db.root_arn(ctx)
        settings_db.put_setting(self.store, ctx, root, name, value)
        return {"setting": _setting(name, value, root)}

    def delete_account_setting(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name = req["name"]
        if rule(name).read_only:
            raise InvalidParameterException(
                f"The {name} account setting is read-only and can't be modified."
            )
        principal = settings_db.principal_for(ctx, req.get("principalArn"))
        old = settings_db.delete_setting(self.store, ctx, principal, name)
        if old is None:
            # nothing of its own to delete: answer with what stays in force
            old = settings_db.effective(self.store, ctx, name, principal)[0]
        return {"setting": _setting(name, old, principal)}

    def list_account_settings(self, ctx: RequestContext, req: dict[str, Any]) -> dict[str, Any]:
        name: str | None = req.get("name")
        value: str | None = req.get("value")
        if value is not None and name is None:
            raise InvalidParameterException(
                "You must also specify an account setting name to use the value parameter."
            )
        size = page_size(req.get("maxResults"), default=LIST_PAGE, limit=LIST_PAGE)
        after = decode_token(req.get("nextToken"))
        if after is not None and after not in NAMES:
            raise InvalidParameterException("Invalid nextToken.")
        principal = settings_db.principal_for(ctx, req.get("principalArn"))
        names = [name] if name is not None else list(NAMES)

        found: list[tuple[str, dict[str, str]]] = []
        if req.get("effectiveSettings"):
            for n in names:
                v, whose = settings_db.effective(self.store, ctx, n, principal)
                found.append((n, _setting(n, v, whose)))
        else:
            own = settings_db.own_settings(self.store, ctx, principal)
            found = [(n, _setting(n, own[n], principal)) for n in names if n in own]
        items = (
            (n, s) for n, s in found
            if (value is None or s["value"] == value) and (after is None or n > after)
        )
        page, token = take_page(items, size)
        out: dict[str, Any] = {"settings": page}
        if token is not None:
            out["nextToken"] = token
        return out
