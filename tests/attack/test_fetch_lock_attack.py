"""Attacks on the fetch lock (issue 15): a stored day must not wait behind another fetch."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.config import SourcesConfig
from bot.models import Digest
from bot.services.fetching import FetchLocking, OneFetcher
from bot.sources.cache import get_digest
from bot.store import open_store
from tests.services.conftest import DAY, NOW
from tests.store.backends import PostgresBackend


class Upstream:
    """A source whose fetch of `slow_day` waits for `go` (forever, unless set)."""

    name = "hf"

    def __init__(self, slow_day: date) -> None:
        self.slow_day = slow_day
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def fetch_day(self, day: date) -> Digest:
        if day == self.slow_day:
            self.started.set()
            await self.go.wait()
        return sample_digest().model_copy(update={"source": self.name, "day": day})


async def test_a_stored_day_is_read_while_another_day_of_the_source_is_being_fetched(
    tmp_path: Path,
) -> None:
    """Found: in a sharded process every read of a source's day went through the source's
    in-process turn (`OneFetcher._turns`) before looking at the store, so while the scheduler
    fetched today's arXiv (up to the 120 s fetch deadline, or waited on another process's
    lock) a `/hot` for yesterday, stored long ago, waited behind it: past the interaction's
    3 s, where the unsharded bot answers at once. Promised: a day stored fresh is read from
    the store without waiting for any fetch."""
    earlier = DAY - timedelta(days=1)
    upstream = Upstream(slow_day=DAY)
    config = SourcesConfig()
    async with open_store(tmp_path / "s.sqlite3") as store:
        locking = FetchLocking("host-a:1:aaaa", timedelta(seconds=60), poll_seconds=0.01)
        fetcher = OneFetcher(store, config, lambda: NOW, locking)

        def fetch(day: date) -> asyncio.Task[Digest]:
            return asyncio.create_task(
                fetcher.run(
                    "hf", day, lambda: get_digest(store, upstream, day, now=NOW, config=config)
                )
            )

        await fetch(earlier)  # stored
        slow = fetch(DAY)
        await upstream.started.wait()  # today's fetch holds the lock
        async with asyncio.timeout(10):  # a hang guard only: the bug waited forever here
            got = await fetch(earlier)
        assert got.day == earlier and got.papers
        assert not slow.done()
        upstream.go.set()
        assert (await slow).day == DAY


class _Answered:
    """A session whose answer comes back as its caller is cancelled (a deadline firing just
    as PostgreSQL answers: the server did what was asked, the caller never hears it)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    async def fetchval(self, *args: Any) -> Any:
        await self.conn.fetchval(*args)
        raise asyncio.CancelledError


class _CancelledOnAnswer:
    """A pool lending `_Answered` sessions; it remembers those not given back."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.lent: set[Any] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)

    async def acquire(self) -> Any:
        conn = await self.pool.acquire()
        self.lent.add(conn)
        return _Answered(conn)

    async def release(self, conn: Any) -> None:
        real = conn.conn if isinstance(conn, _Answered) else conn
        self.lent.discard(real)
        await self.pool.release(real)


@pytest.mark.slow
async def test_a_cancelled_postgresql_lock_acquire_leaves_no_lock_held(tmp_path: Path) -> None:
    """Found: on PostgreSQL, `acquire_fetch_lock` gave its session back only on an
    `Exception`; a cancel (the fetch deadline of `/hot` or of the scheduler firing while the
    query ran) left the session out of the pool holding the advisory lock once the server had
    granted it: a live process then held the source's lock for ever, and every process's
    fetches of that source waited until their deadline, every day until a restart.
    Promised: a cancelled acquire holds nothing; the next acquisition takes the lock."""
    backend = PostgresBackend(tmp_path)
    a, b = await backend.open(), await backend.open()
    pool = a._pool  # type: ignore[attr-defined]
    faulty = _CancelledOnAnswer(pool)
    try:
        a._pool = faulty  # type: ignore[attr-defined]
        with pytest.raises(asyncio.CancelledError):
            await a.acquire_fetch_lock("hf", "A1", now=NOW, ttl=timedelta(seconds=60))
        a._pool = pool  # type: ignore[attr-defined]
        assert not faulty.lent  # the session went back to the pool
        assert await b.acquire_fetch_lock("hf", "B1", now=NOW, ttl=timedelta(seconds=60))
        assert await b.release_fetch_lock("hf", "B1")
    finally:
        for conn in faulty.lent:  # what the bug leaked, so that closing does not wait for it
            await pool.release(conn)
        await backend.close()


async def test_a_fetch_cancelled_while_taking_the_lock_leaves_it_free(tmp_path: Path) -> None:
    """Found: a fetch cancelled (its deadline) while the store granted its lock never released
    it: on SQLite the row stood until its TTL (two fetch deadlines, 240 s), and every process,
    this one included (a fresh token each time), waited for it, its fetches of that source
    failing their own deadlines meanwhile. Promised: a cancelled acquire leaves the lock free."""
    async with open_store(tmp_path / "s.sqlite3") as store:
        real = store.acquire_fetch_lock

        async def granted_as_cancelled(*args: Any, **kwargs: Any) -> bool:
            await real(*args, **kwargs)
            raise asyncio.CancelledError

        store.acquire_fetch_lock = granted_as_cancelled  # type: ignore[method-assign]
        locking = FetchLocking("host-a:1:aaaa", timedelta(seconds=60), poll_seconds=0.01)
        fetcher = OneFetcher(store, SourcesConfig(), lambda: NOW, locking)
        upstream = Upstream(slow_day=DAY - timedelta(days=30))
        with pytest.raises(asyncio.CancelledError):
            await fetcher.run(
                "hf",
                DAY,
                lambda: get_digest(store, upstream, DAY, now=NOW, config=SourcesConfig()),
            )
        store.acquire_fetch_lock = real  # type: ignore[method-assign]
        assert await store.acquire_fetch_lock("hf", "B#1", now=NOW, ttl=timedelta(seconds=60))
