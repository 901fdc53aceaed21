"""What only the SQLite backend promises: its file settings, one connection shared by many
coroutines, cancellation, which sqlite3 errors count as faults (tests/store/ has the contract)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Subscription
from bot.sources.hotpapers_md import load_path
from bot.store.migrations import available
from bot.store.sqlite import SqliteStore, connect, fault_reason, open_store
from tests.store.backends import digest, post

SAMPLE = Path(__file__).resolve().parents[3] / "bot" / "data" / "hot-papers-2021-03-12.md"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with open_store(tmp_path / "s.sqlite3") as s:
        yield s


async def test_a_new_file_is_in_wal_mode_at_the_newest_version(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    async with open_store(db):
        pass
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(available("sqlite"))
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


async def test_an_in_memory_store_works_without_a_reader() -> None:
    store = await connect(":memory:")
    try:
        assert store._reader is None
        assert await store.save_digest(digest("2021-03-01", ["2103.00001"])) is True
        assert await store.get_digest("test", date(2021, 3, 1)) is not None
    finally:
        await store.close()


async def test_concurrent_writes_on_one_connection(store: SqliteStore) -> None:
    subs = [Subscription(guild_id=1, channel_id=c, id=c) for c in range(50)]
    recs = [post(c, date(2021, 3, 12), nonce=f"n{c}") for c in range(50)]
    writes = asyncio.gather(
        *(store.upsert_subscription(s) for s in subs),
        *(store.save_digest(digest(f"2021-01-{d:02d}", [f"2101.{d:05d}"])) for d in range(1, 29)),
    )
    claims = await asyncio.gather(*(store.claim_post(r) for r in recs))
    await writes
    assert all(c.won for c in claims)
    counts = await store.counts()
    assert (counts["subscriptions"], counts["posts"], counts["digests"]) == (50, 50, 28)


async def test_a_cancelled_write_leaves_no_open_transaction(store: SqliteStore) -> None:
    for _ in range(20):
        task = asyncio.create_task(store.save_digest(load_path(SAMPLE)))
        await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await store.upsert_subscription(Subscription(guild_id=1, channel_id=1))
    assert (await store.counts())["subscriptions"] == 1


async def test_the_nonce_check_is_the_schemas(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.claim_post(post(1, date(2021, 1, 1), nonce="x" * 26))
    assert store.write_health().ok  # a constraint is a bug, not a fault of the disk


async def test_a_bug_is_not_a_store_fault(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with store._write() as db:
            await db.execute("INSERT INTO starts (at) VALUES (NULL)")
    assert store.write_health().ok
    await store.upsert_subscription(Subscription(guild_id=1, channel_id=2))  # still usable


def _error(cls: type[sqlite3.Error], code: int | None) -> sqlite3.Error:
    exc = cls("boom")
    if code is not None:
        exc.sqlite_errorcode = code
    return exc


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (_error(sqlite3.OperationalError, 13), "the disk is full"),
        (_error(sqlite3.OperationalError, 13 | (1 << 8)), "the disk is full"),  # extended code
        (_error(sqlite3.OperationalError, 8), "the store is read-only"),
        (_error(sqlite3.DatabaseError, 26), "the file is not a SQLite database"),
        (_error(sqlite3.OperationalError, None), "boom"),  # no code: Python's own I/O error
        (_error(sqlite3.IntegrityError, 19), None),  # SQLITE_CONSTRAINT: a bug
        (_error(sqlite3.IntegrityError, None), None),
        (ValueError("not sqlite"), None),
    ],
)
def test_which_errors_are_faults_of_the_file(exc: BaseException, reason: str | None) -> None:
    got = fault_reason(exc)
    assert got == reason or (reason is not None and got is not None and got.startswith(reason))


async def test_a_store_error_at_open_names_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a database at all, not even close" * 100)
    with pytest.raises(StoreError, match=f"^store {bad}: the file is not a SQLite database$"):
        await connect(bad)


async def test_the_open_check_reads_through_a_small_cache_then_restores_it(
    tmp_path: Path,
) -> None:
    # quick_check reads every page: through SQLite's default 2 MB cache the writer would keep
    # the last 2 MB of them resident (docs/benchmarks.md, "Fourth pass: memory").
    from bot.store.sqlite.open import CHECK_CACHE_KIB, _quick_check, open_connection

    async with open_store(tmp_path / "s.sqlite3") as s:
        await s.upsert_subscription(Subscription(guild_id=1, channel_id=2))
    db = await open_connection(tmp_path / "s.sqlite3")
    try:
        await db.execute("PRAGMA cache_size = -500")
        seen: list[str] = []
        await db.set_trace_callback(seen.append)
        row = await _quick_check(db)
        assert tuple(row) == ("ok",)
        assert seen == [
            "PRAGMA cache_size",
            f"PRAGMA cache_size = {CHECK_CACHE_KIB}",
            "PRAGMA quick_check(1)",
            "PRAGMA cache_size = -500",
        ]
        async with db.execute("PRAGMA cache_size") as cur:
            assert tuple(await cur.fetchone() or ()) == (-500,)
    finally:
        await db.close()


async def test_an_opened_store_keeps_sqlites_default_cache(store: SqliteStore) -> None:
    async with store._db.execute("PRAGMA cache_size") as cur:
        assert tuple(await cur.fetchone() or ()) == (-2000,)
