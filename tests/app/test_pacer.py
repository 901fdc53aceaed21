"""The sender's pacer: requests spaced evenly, never more than `rate` in any one-second window."""

from __future__ import annotations

import asyncio
import itertools

from bot.app.sender import Pacer


async def test_concurrent_callers_get_evenly_spaced_slots() -> None:
    now = 100.0
    starts: list[float] = []

    async def sleep(seconds: float) -> None:
        starts.append(now + seconds)

    pacer = Pacer(rate=10.0, clock=lambda: now, sleep=sleep)

    async def caller() -> None:
        before = len(starts)
        await pacer.wait()
        if len(starts) == before:  # no wait: starts now
            starts.append(now)

    await asyncio.gather(*(caller() for _ in range(25)))
    starts.sort()
    assert len(starts) == 25 and starts[0] == now
    assert all(abs((b - a) - 0.1) < 1e-9 for a, b in itertools.pairwise(starts))
    assert max(sum(1 for s in starts if t <= s < t + 1.0 - 1e-9) for t in starts) == 10


async def test_an_idle_pacer_does_not_wait() -> None:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    clock = iter([0.0, 5.0, 10.0])
    pacer = Pacer(rate=1.0, clock=lambda: next(clock), sleep=sleep)
    for _ in range(3):
        await pacer.wait()
    assert waited == []
