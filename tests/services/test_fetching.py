"""One process at a time fetches each source (`bot.services.fetching`, issue 15).

Two stores on one SQLite file stand for two bot processes; one fake upstream counts the
requests both make. With fetch locking the second process waits for the first and reads the
day it stored; without it (one process, the default) each would ask upstream itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bot.cli.preview import sample_digest
from bot.config import SourcesConfig
from bot.models import Digest
from bot.services.fetching import FetchLocking, OneFetcher
from bot.sources.cache import get_digest
from bot.store import open_store
from bot.store.base import Store
from tests.services.conftest import DAY, NOW

TTL = timedelta(seconds=60)


class Upstream:
    """A source whose fetches wait for `go`, counted."""

    name = "hf"

    def __init__(self) -> None:
        self.calls = 0
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def fetch_day(self, day: object) -> Digest:
        self.calls += 1
        self.started.set()
        await self.go.wait()
        return sample_digest().model_copy(update={"source": self.name})


def fetcher(store: Store, holder: str | None, dead: set[str] | None = None) -> OneFetcher:
    locking = None
    if holder is not None:
        gone = dead or set()
        locking = FetchLocking(holder, TTL, dead=gone.__contains__, poll_seconds=0.01)
    return OneFetcher(store, SourcesConfig(), lambda: NOW, locking)


def fetch(store: Store, upstream: Upstream) -> Callable[[], Awaitable[Digest]]:
    """What `DigestService` hands the fetcher: the store first, upstream on a miss."""
    return lambda: get_digest(store, upstream, DAY, now=NOW, config=SourcesConfig())


async def test_the_second_process_waits_and_reads_what_the_first_stored(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    upstream = Upstream()
    async with open_store(db) as a, open_store(db) as b:
        fa, fb = fetcher(a, "host-a:1:aaaa"), fetcher(b, "host-b:2:bbbb")
        first = asyncio.create_task(fa.run("hf", DAY, fetch(a, upstream)))
        await upstream.started.wait()  # A holds the lock and is fetching
        second = asyncio.create_task(fb.run("hf", DAY, fetch(b, upstream)))
        while fb.waited == 0:  # B found A fetching
            await asyncio.sleep(0.01)
        upstream.go.set()
        got = await asyncio.gather(first, second)
        assert upstream.calls == 1  # one request upstream, for two processes
        assert got[0].papers == got[1].papers and got[1].papers
        assert (fa.waited, fb.waited) == (0, 1)
        # The lock was released: the next fetch of another day takes it at once.
        assert await b.acquire_fetch_lock("hf", "x#1", now=NOW, ttl=TTL)


async def test_without_locking_two_processes_each_ask_upstream(tmp_path: Path) -> None:
    """The control: what the lock prevents (one process alone needs no lock)."""
    db = tmp_path / "s.sqlite3"
    upstream = Upstream()
    async with open_store(db) as a, open_store(db) as b:
        fa, fb = fetcher(a, None), fetcher(b, None)
        tasks = [
            asyncio.create_task(f.run("hf", DAY, fetch(s, upstream))) for f, s in ((fa, a), (fb, b))
        ]
        while upstream.calls < 2:
            await asyncio.sleep(0.01)
        upstream.go.set()
        await asyncio.gather(*tasks)
        assert upstream.calls == 2


async def test_a_lock_left_by_a_dead_process_is_taken_over_at_once(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    upstream = Upstream()
    upstream.go.set()
    async with open_store(db) as a, open_store(db) as b:
        assert await a.acquire_fetch_lock("hf", "host-a:1:aaaa#1", now=NOW, ttl=TTL)  # then killed
        fb = fetcher(b, "host-b:2:bbbb", dead={"host-a:1:aaaa"})
        got = await fb.run("hf", DAY, fetch(b, upstream))
        assert got.papers and upstream.calls == 1 and fb.waited == 0
