"""The arithmetic of ECS managed scaling (Developer Guide, "Amazon ECS capacity
provider managed scaling" / "CapacityProviderReservation"):

- CapacityProviderReservation = M / N × 100, where N is the number of instances
  already running in the Auto Scaling group and M the number of instances needed to
  run all the provider's tasks, those still waiting for capacity included.  With N = 0
  it is 100 when M = 0 (nothing wanted, nothing there) and 200 when M > 0.
- Target tracking on the metric keeps it at targetCapacity: the instances wanted are
  ceil(M × 100 / targetCapacity); one scale-out adds at least minimumScalingStepSize
  and at most maximumScalingStepSize instances, within the group's MaxSize.
- Scale-in happens after the metric stays below the target for 15 one-minute
  datapoints (the target tracking policy's low alarm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the target tracking low alarm: 15 datapoints of one minute below the target
SCALE_IN_MINUTES = 15
#: ECS publishes the metric once a minute
PERIOD = 60.0


@dataclass(frozen=True)
class Demand:
    """``count`` tasks, each needing ``cpu`` units and ``memory`` MiB."""

    count: int
    cpu: int
    memory: int


def reservation(m: int, n: int) -> float:
    if n == 0:
        return 100.0 if m == 0 else 200.0
    return m * 100.0 / n


def per_instance(d: Demand, cpu: int, memory: int) -> int:
    """How many such tasks one empty instance of (cpu, memory) holds."""
    fits = []
    if d.cpu > 0:
        fits.append(cpu // d.cpu)
    if d.memory > 0:
        fits.append(memory // d.memory)
    return min(fits) if fits else d.count


def instances_for(demands: list[Demand], cpu: int, memory: int) -> int:
    """Empty instances needed for the waiting tasks (each kind packed on its own);
    tasks bigger than an instance need none (they can never be placed)."""
    total = 0
    for d in demands:
        per = per_instance(d, cpu, memory)
        if d.count > 0 and per > 0:
            total += math.ceil(d.count / per)
    return total


def wanted(m: int, target_capacity: int) -> int:
    return math.ceil(m * 100 / target_capacity)


def scale_out_to(m: int, n: int, target_capacity: int, min_step: int, max_step: int,
                 max_size: int) -> int | None:
    """The desired capacity a scale-out sets, or None when none is due."""
    want = wanted(m, target_capacity)
    if want <= n or n >= max_size:
        return None
    step = min(max(want - n, min_step), max_step)
    return min(n + step, max_size)
