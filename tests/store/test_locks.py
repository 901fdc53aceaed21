"""Contract: fetch locks (`bot.store.locks.FetchLockStore`), for every backend; two stores on
one database stand for two processes (issue 15: one process at a time fetches each source).
A store closed without releasing stands for a killed process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.store.base import Store
from tests.store.backends import Backend

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


async def test_one_holder_until_released_then_the_next(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    assert await a.acquire_fetch_lock("hf", "A1", now=T0, ttl=TTL) is True
    assert await b.acquire_fetch_lock("hf", "B1", now=T0, ttl=TTL) is False
    # Not re-entrant: another acquisition in the same process is refused as well.
    assert await a.acquire_fetch_lock("hf", "A2", now=T0, ttl=TTL) is False
    assert await b.release_fetch_lock("hf", "B1") is False  # not B's to release
    assert await b.acquire_fetch_lock("hf", "B1", now=T0, ttl=TTL) is False
    assert await a.release_fetch_lock("hf", "A1") is True
    assert await a.release_fetch_lock("hf", "A1") is False
    assert await b.acquire_fetch_lock("hf", "B1", now=T0, ttl=TTL) is True


async def test_keys_are_independent(store: Store) -> None:
    assert await store.acquire_fetch_lock("hf", "A", now=T0, ttl=TTL) is True
    assert await store.acquire_fetch_lock("arxiv", "B", now=T0, ttl=TTL) is True
    assert await store.acquire_fetch_lock("hf", "C", now=T0, ttl=TTL) is False


async def test_a_live_holder_keeps_it_and_a_dead_one_is_taken_over(backend: Backend) -> None:
    """While its process lives (its store open, `dead` says no) the holder keeps the lock;
    once the process is gone (its store closed without releasing, as by SIGKILL) another
    takes it over when `dead` says so, and at the latest when the lock's TTL ran out."""
    a, b = await backend.open(), await backend.open()
    assert await a.acquire_fetch_lock("hf", "A", now=T0, ttl=TTL) is True
    almost = T0 + TTL - timedelta(seconds=1)
    assert await b.acquire_fetch_lock("hf", "B", now=almost, ttl=TTL, dead=lambda t: False) is False
    await a.close()  # killed: never released
    gone = await b.acquire_fetch_lock("hf", "B", now=T0, ttl=TTL, dead=lambda t: t == "A")
    assert gone is True
    assert await b.release_fetch_lock("hf", "B") is True


async def test_an_abandoned_lock_expires_after_its_ttl(backend: Backend) -> None:
    a, b = await backend.open(), await backend.open()
    assert await a.acquire_fetch_lock("arxiv", "A", now=T0, ttl=TTL) is True
    await a.close()  # killed on another host: `dead` cannot tell
    assert await b.acquire_fetch_lock("arxiv", "B", now=T0 + TTL, ttl=TTL) is True


async def test_of_concurrent_acquires_from_several_stores_exactly_one_wins(
    backend: Backend,
) -> None:
    stores = [await backend.open() for _ in range(4)]
    won = await asyncio.gather(
        *(
            s.acquire_fetch_lock("arxiv", f"P{i}-{j}", now=T0, ttl=TTL)
            for i, s in enumerate(stores)
            for j in range(3)
        )
    )
    assert sum(won) == 1
