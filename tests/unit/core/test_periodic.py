from __future__ import annotations

import asyncio

from cargobay.clock import SimClock
from cargobay.services.periodic import Periodic


def test_runs_every_interval_outlives_a_failing_round_and_stops() -> None:
    async def main() -> list[float]:
        clock = SimClock(start=0.0)
        ran: list[float] = []

        def job() -> None:
            ran.append(clock.now())
            if len(ran) == 2:
                raise RuntimeError("a bad document")

        sweeps = Periodic(clock, 60.0, job, "test-sweep")
        await sweeps.start()
        await clock.advance(59)
        assert ran == []
        await clock.advance(150)
        await sweeps.stop()
        await clock.advance(600)
        await sweeps.stop()  # a second stop is harmless
        return ran

    assert asyncio.run(main()) == [60.0, 120.0, 180.0]
