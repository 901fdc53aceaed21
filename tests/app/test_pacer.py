"""The sender's pacer: requests spaced evenly, never more than `rate` in any one-second window."""

from __future__ import annotations

import asyncio
import itertools

from bot.app.pacing import Pacer, window_limit


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


class FakeTime:
    """A clock that only moves when a caller sleeps (to the end of its sleep)."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now = max(self.now, self.now + seconds)
        await asyncio.sleep(0)


async def test_the_window_holds_requests_in_flight_and_answered_in_the_last_second() -> None:
    t = FakeTime()
    pacer = Pacer(rate=1000.0, clock=t.clock, sleep=t.sleep, window=(3, 1.0))
    for _ in range(3):
        await pacer.wait()  # three go at once (spacing 1 ms)
    assert pacer.in_flight == 3
    fourth = asyncio.ensure_future(pacer.wait())
    await asyncio.sleep(0)
    assert not fourth.done()  # three in flight: it waits for an answer
    t.now = 0.5
    pacer.done()  # answered at 0.5: it still counts until 1.5
    for _ in range(5):
        await asyncio.sleep(0)
    assert fourth.done() and t.now >= 1.5
    assert pacer.in_flight == 3


def test_a_share_of_the_window() -> None:
    assert window_limit(1.0) == 50
    assert window_limit(0.5) == 25
    assert window_limit(1 / 3) == 16
    assert window_limit(0.001) == 1
