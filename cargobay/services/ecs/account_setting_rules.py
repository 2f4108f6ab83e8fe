"""Which ECS account settings exist, what values each accepts, and ECS's defaults.

Sources (ECS API Reference, PutAccountSetting / PutAccountSettingDefault; Developer
Guide, "Access Amazon ECS features with account settings" and "Prepare for AWS Fargate
task retirement"):

- ``serviceLongArnFormat``, ``taskLongArnFormat``, ``containerInstanceLongArnFormat``:
  ``enabled`` / ``disabled``; "The default is enabled."
- ``awsvpcTrunking``, ``fargateFIPSMode``, ``fargateEventWindows``: ``enabled`` /
  ``disabled``; off unless turned on.
- ``containerInsights``: ``enabled`` / ``disabled`` / ``enhanced``; off by default.
- ``tagResourceAuthorization``: ``on`` / ``off``; on for every account since the end of
  the tagging-authorization timeline.
- ``fargateTaskRetirementWaitPeriod``: ``0`` / ``7`` / ``14`` days; "7 ... This is the
  default."  Only the root user may set it.
- ``defaultLogDriverMode``: ``blocking`` / ``non-blocking``; ``non-blocking`` since
  June 25, 2025.
- ``guardDutyActivate``: read-only, controlled by GuardDuty (type ``aws_managed``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cargobay.services.ecs.errors import InvalidParameterException

_ON_OFF = ("enabled", "disabled")


@dataclass(frozen=True)
class SettingRule:
    values: tuple[str, ...]
    default: str
    #: settings only AWS changes (PutAccountSetting* refuse them)
    read_only: bool = False
    #: settings only the root user may set
    root_only: bool = False

    @property
    def type(self) -> str:
        return "aws_managed" if self.read_only else "user"


RULES: dict[str, SettingRule] = {
    "serviceLongArnFormat": SettingRule(_ON_OFF, "enabled"),
    "taskLongArnFormat": SettingRule(_ON_OFF, "enabled"),
    "containerInstanceLongArnFormat": SettingRule(_ON_OFF, "enabled"),
    "awsvpcTrunking": SettingRule(_ON_OFF, "disabled"),
    "containerInsights": SettingRule(("enabled", "disabled", "enhanced"), "disabled"),
    "fargateFIPSMode": SettingRule(_ON_OFF, "disabled"),
    "tagResourceAuthorization": SettingRule(("on", "off"), "on"),
    "fargateTaskRetirementWaitPeriod": SettingRule(("0", "7", "14"), "7", root_only=True),
    "guardDutyActivate": SettingRule(("on", "off"), "off", read_only=True),
    "defaultLogDriverMode": SettingRule(("blocking", "non-blocking"), "non-blocking"),
    "fargateEventWindows": SettingRule(_ON_OFF, "disabled"),
}

NAMES: tuple[str, ...] = tuple(sorted(RULES))


def rule(name: str) -> SettingRule:
    found = RULES.get(name)
    if found is None:
        raise InvalidParameterException(f"Unknown account setting name: {name}.")
    return found


def check_value(name: str, value: str, *, root: bool) -> None:
    """Refuse a value ECS does not accept for ``name`` (or a setting users cannot set)."""
    r = rule(name)
    if r.read_only:
        raise InvalidParameterException(
            f"The {name} account setting is read-only and can't be modified."
        )
    if r.root_only and not root:
        raise InvalidParameterException(
            f"The {name} account setting can only be modified by the root user."
        )
    if value not in r.values:
        allowed = ", ".join(r.values)
        raise InvalidParameterException(
            f"Invalid value '{value}' for the {name} account setting. "
            f"Valid values are: {allowed}."
        )
