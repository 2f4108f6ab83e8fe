"""Availability Zones of a group, and which one a new instance goes to.

cargobay has no EC2 subnets: a VPCZoneIdentifier's subnets are accepted as given and
map, in the order listed, to the region's zones ``a``, ``b``, ``c``… (a subnet id
that ends in ``-<region><letter>`` or names a zone keeps that zone).  New instances go
to the zone with the fewest of the group's instances, as AWS balances them.
"""

from __future__ import annotations

import string
from typing import Any

from cargobay.services.autoscaling.errors import AsgValidationError


def subnets(vpc_zone_identifier: str | None) -> list[str]:
    return [s.strip() for s in (vpc_zone_identifier or "").split(",") if s.strip()]


def zones_for(region: str, azs: list[str] | None, vpc_zone_identifier: str | None
              ) -> tuple[list[str], dict[str, str]]:
    """The group's zones, and subnet → zone.  ValidationError when neither is given."""
    subs = subnets(vpc_zone_identifier)
    if subs:
        mapping: dict[str, str] = {}
        for i, sub in enumerate(subs):
            zone = next((region + c for c in string.ascii_lowercase
                         if sub.endswith(region + c)), None)
            mapping[sub] = zone or region + string.ascii_lowercase[i % 26]
        return sorted(set(mapping.values())), mapping
    if azs:
        for az in azs:
            if not az.startswith(region):
                raise AsgValidationError(f"Invalid Availability Zone: {az}")
        return list(dict.fromkeys(azs)), {}
    raise AsgValidationError("At least one Availability Zone or VPC Subnet is required.")


def pick_zone(zones: list[str], live: list[dict[str, Any]]) -> str:
    """The zone with the fewest live instances (ties: the first listed)."""
    counts = {z: 0 for z in zones}
    for inst in live:
        if inst["AvailabilityZone"] in counts:
            counts[inst["AvailabilityZone"]] += 1
    return min(zones, key=lambda z: counts[z])


def subnet_in(mapping: dict[str, str], zone: str) -> str | None:
    return next((s for s, z in mapping.items() if z == zone), None)
