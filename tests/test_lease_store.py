"""The poster lease and the remembered starts in the SQLite store: two real Store objects on one
file, as two processes would have them (issue 11: one poster per store)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.lease import holder_is_gone, new_holder
from bot.store import open_store
from bot.store.base import Start
from bot.store.sqlite import SqliteStore

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SqliteStore, SqliteStore]]:
    db = tmp_path / "shared.sqlite3"
    async with open_store(db) as a, open_store(db) as b:
        yield a, b


async def test_a_held_lease_is_refused_until_it_expires(
    two: tuple[SqliteStore, SqliteStore],
) -> None:
    a, b = two
    got = await a.acquire_lease("poster", "A", now=T0, ttl=TTL)
    assert (got.holder, got.acquired_at, got.expires_at) == ("A", T0, T0 + TTL)
    seen = await b.acquire_lease("poster", "B", now=T0 + timedelta(seconds=59), ttl=TTL)
    assert seen.holder == "A"  # refused: A's lease runs until T0 + 60 s
    renewed = await a.acquire_lease("poster", "A", now=T0 + timedelta(seconds=20), ttl=TTL)
    assert renewed.holder == "A" and renewed.acquired_at == T0
    assert renewed.expires_at == T0 + timedelta(seconds=80)
    assert (
        await b.acquire_lease("poster", "B", now=T0 + timedelta(seconds=79), ttl=TTL)
    ).holder == "A"
    late = T0 + timedelta(seconds=80)
    taken = await b.acquire_lease("poster", "B", now=late, ttl=TTL)
    assert (taken.holder, taken.acquired_at) == ("B", late)
    # A, back from a long pause, does not get it back while B renews.
    assert (await a.acquire_lease("poster", "A", now=late, ttl=TTL)).holder == "B"
    assert await a.get_lease("poster") == taken


async def test_release_lets_the_next_one_take_over_at_once(
    two: tuple[SqliteStore, SqliteStore],
) -> None:
    a, b = two
    await a.acquire_lease("poster", "A", now=T0, ttl=TTL)
    assert await b.release_lease("poster", "B") is False  # not B's to release
    assert await a.release_lease("poster", "A") is True
    assert await a.get_lease("poster") is None
    assert (await b.acquire_lease("poster", "B", now=T0, ttl=TTL)).holder == "B"


async def test_a_holder_known_to_be_gone_is_taken_over_before_expiry(
    two: tuple[SqliteStore, SqliteStore],
) -> None:
    a, b = two
    await a.acquire_lease("poster", "A", now=T0, ttl=TTL)
    kept = await b.acquire_lease("poster", "B", now=T0, ttl=TTL, dead=lambda h: False)
    assert kept.holder == "A"
    taken = await b.acquire_lease("poster", "B", now=T0, ttl=TTL, dead=lambda h: h == "A")
    assert taken.holder == "B"


async def test_concurrent_acquires_from_two_stores_have_one_winner(
    two: tuple[SqliteStore, SqliteStore],
) -> None:
    a, b = two
    for round_ in range(20):
        now = T0 + timedelta(hours=round_)  # each round starts after the last lease expired
        got = await asyncio.gather(
            a.acquire_lease("poster", f"A{round_}", now=now, ttl=TTL),
            b.acquire_lease("poster", f"B{round_}", now=now, ttl=TTL),
        )
        assert got[0].holder == got[1].holder  # both see the same single winner


async def test_starts_are_recorded_listed_and_pruned(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.sqlite3") as store:
        for minutes in (0, 1, 2, 3):
            at = T0 + timedelta(minutes=minutes)
            await store.record_start(Start(at, timedelta(seconds=minutes)), forget_before=T0)
        assert await store.list_starts(T0 + timedelta(minutes=2)) == [
            Start(T0 + timedelta(minutes=2), timedelta(seconds=2)),
            Start(T0 + timedelta(minutes=3), timedelta(seconds=3)),
        ]
        later = Start(T0 + timedelta(days=1, minutes=2))
        await store.record_start(later, forget_before=T0 + timedelta(minutes=2))
        assert len(await store.list_starts(T0 - timedelta(days=9))) == 3


@pytest.mark.slow
def test_holder_ids_and_who_is_known_to_be_gone() -> None:
    me = new_holder()
    host, pid, token = me.rsplit(":", 2)
    assert pid.isdigit() and len(token) == 8
    assert holder_is_gone(me, me=me) is False
    assert holder_is_gone(f"{host}:{pid}:00000000", me=me) is True  # an earlier start, same PID
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(child.stdout)  # exited and reaped
    assert holder_is_gone(f"{host}:{dead}:abcdabcd", me=me) is True
    import os

    assert holder_is_gone(f"{host}:{os.getppid()}:abcdabcd", me=me) is False  # running
    assert holder_is_gone(f"elsewhere:{dead}:abcdabcd", me=me) is False  # another host: unknown
    assert holder_is_gone("garbage", me=me) is False
