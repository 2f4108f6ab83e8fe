"""Waiting with a deadline on the runtime's clock (never asyncio's own timers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from cargobay.clock import Clock

T = TypeVar("T")


async def wait_for(clock: Clock, awaitable: Awaitable[T], seconds: float) -> T:
    """``awaitable``'s result, or TimeoutError once ``seconds`` pass on ``clock``.

    A coroutine is cancelled on timeout; a future or task passed in is left running
    (others may be waiting on it too).
    """
    owned = not isinstance(awaitable, asyncio.Future)
    work: asyncio.Future[T] = asyncio.ensure_future(awaitable)
    if work.done():
        return work.result()
    timer: asyncio.Future[None] = asyncio.ensure_future(clock.sleep(max(0.0, seconds)))
    both: set[asyncio.Future[Any]] = {work, timer}
    try:
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        if owned:
            work.cancel()
        raise
    finally:
        timer.cancel()
    if work.done():
        return work.result()
    if owned:
        work.cancel()
    raise TimeoutError(f"not done within {seconds} s")
