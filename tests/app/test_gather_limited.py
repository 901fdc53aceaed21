"""`gather_limited`: a fixed pool of workers over the jobs (the scheduler's fan-out)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.app.sender import gather_limited


async def test_results_in_order_and_never_more_than_limit_at_once() -> None:
    running = peak = 0
    tasks_seen = 0

    def job(i: int) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            nonlocal running, peak, tasks_seen
            running += 1
            peak = max(peak, running)
            tasks_seen = max(tasks_seen, len(asyncio.all_tasks()))
            await asyncio.sleep(0)
            running -= 1
            return i * i

        return run

    before = len(asyncio.all_tasks())
    results = await gather_limited(4, [job(i) for i in range(500)])
    assert results == [i * i for i in range(500)]
    assert peak == 4
    # A task per worker, not one per job: 500 jobs never meant 500 tasks.
    assert tasks_seen <= before + 4


async def test_no_jobs_and_a_limit_below_one() -> None:
    assert await gather_limited(8, []) == []

    async def one() -> int:
        return 1

    assert await gather_limited(0, [one, one]) == [1, 1]


async def test_the_first_exception_propagates_and_stops_the_other_workers() -> None:
    started: list[int] = []

    def job(i: int) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            started.append(i)
            if i == 3:
                raise ValueError("boom")
            await asyncio.sleep(0.01 if i < 3 else 0)
            return i

        return run

    with pytest.raises(ValueError, match="boom"):
        await gather_limited(2, [job(i) for i in range(100)])
    await asyncio.sleep(0.05)
    assert len(started) < 100  # the rest were never started
    assert [t for t in asyncio.all_tasks() if "gather_limited" in repr(t.get_coro())] == []
