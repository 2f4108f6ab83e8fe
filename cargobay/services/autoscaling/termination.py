"""Which instances a scale-in removes: AWS's default termination policy, simplified.

EC2 Auto Scaling User Guide, "Default termination policy": among the instances not
protected from scale in,

1. the Availability Zone with the most instances loses one (zones stay balanced);
2. within it, an instance from a launch configuration other than the group's current
   one goes first (the oldest launch configuration, approximated: "not current");
3. then the instance closest to its next billing hour (``(now - launched) mod 3600``
   largest);
4. ties: the earliest launched, then the instance id (AWS picks at random; cargobay
   stays deterministic).

Pending instances count like InService ones.  Protected instances are never chosen;
when too few are unprotected the group stays above its desired capacity.
"""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]

HOUR = 3600.0


def choose(instances: list[Doc], count: int, current_lc: str | None, now: float) -> list[Doc]:
    """Up to ``count`` of ``instances`` (the group's live ones) to terminate, in order."""
    candidates = [i for i in instances if not i.get("ProtectedFromScaleIn")]
    live = list(instances)
    chosen: list[Doc] = []
    while candidates and len(chosen) < count:
        per_zone: dict[str, int] = {}
        for inst in live:
            per_zone[inst["AvailabilityZone"]] = per_zone.get(inst["AvailabilityZone"], 0) + 1
        zones = {c["AvailabilityZone"] for c in candidates}
        most = max(per_zone.get(z, 0) for z in zones)
        pool = [c for c in candidates if per_zone.get(c["AvailabilityZone"], 0) == most]

        def rank(inst: Doc) -> tuple[int, float, float, str]:
            old_config = 0 if inst.get("LaunchConfigurationName") != current_lc else 1
            billing = -((now - float(inst.get("launchedAt", now))) % HOUR)
            return (old_config, billing, float(inst.get("launchedAt", 0.0)), inst["InstanceId"])

        pick = min(pool, key=rank)
        chosen.append(pick)
        candidates.remove(pick)
        live.remove(pick)
    return chosen
