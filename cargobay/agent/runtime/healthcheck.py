"""Container health as Docker decides it, for runtimes that run the probes themselves.

Docker's rules (``docker run --health-*``; ECS's healthCheck maps onto them): the
status starts ``starting`` (ECS: UNKNOWN); the first probe runs ``interval`` seconds
after the container started, and each next one ``interval`` seconds after the previous
one finished; a probe exiting 0 makes the container healthy and resets the failure
streak; any other exit, or a probe still running after ``timeout``, is a failure;
``retries`` consecutive failures make it unhealthy; during ``start_period`` failures
are not counted as long as the container has never been healthy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cargobay.agent.runtime.base import HealthCheck, HealthStatus
from cargobay.clock import Clock

#: Docker's retries when a check gives none (or zero).
DEFAULT_RETRIES = 3

#: Runs one probe with the given timeout (seconds); True when it passed.
Probe = Callable[[float], Awaitable[bool]]


@dataclass
class HealthTracker:
    """The status of one container's health check, fed one probe result at a time."""

    check: HealthCheck
    started: float  # clock.monotonic() when the container started
    status: HealthStatus = HealthStatus.UNKNOWN
    failing_streak: int = 0

    def record(self, passed: bool, probe_started: float) -> HealthStatus:
        """Fold in one probe result; ``probe_started`` is its clock.monotonic() start."""
        if passed:
            self.failing_streak = 0
            self.status = HealthStatus.HEALTHY
            return self.status
        in_start_period = probe_started - self.started < self.check.start_period
        if self.status is HealthStatus.UNKNOWN and in_start_period:
            return self.status
        self.failing_streak += 1
        retries = self.check.retries if self.check.retries > 0 else DEFAULT_RETRIES
        if self.failing_streak >= retries:
            self.status = HealthStatus.UNHEALTHY
        return self.status


async def run_health_checks(clock: Clock, tracker: HealthTracker, probe: Probe) -> None:
    """Probe forever on the check's interval (cancel the task to end it)."""
    check = tracker.check
    interval = max(check.interval, 0.001)
    while True:
        await clock.sleep(interval)
        started = clock.monotonic()
        try:
            passed = await probe(check.timeout)
        except OSError:
            passed = False
        tracker.record(passed, started)
