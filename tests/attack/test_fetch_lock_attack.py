"""Attacks on the fetch lock (issue 15): a stored day must not wait behind another fetch."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from bot.cli.preview import sample_digest
from bot.config import SourcesConfig
from bot.models import Digest
from bot.services.fetching import FetchLocking, OneFetcher
from bot.sources.cache import get_digest
from bot.store import open_store
from tests.services.conftest import DAY, NOW


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
