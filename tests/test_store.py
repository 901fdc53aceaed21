"""The SQLite store on real files in a temp dir: migrations, idempotency, concurrency, ledger."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Digest, Paper, PostRecord, Subscription
from bot.sources.hotpapers_md import load_path
from bot.store import open_store
from bot.store.migrations import available

SAMPLE = Path(__file__).resolve().parent.parent / "bot" / "data" / "hot-papers-2021-03-12.md"


def _digest(day: str, ids: list[str], source: str = "test") -> Digest:
    return Digest(
        day=date.fromisoformat(day),
        source=source,
        papers=[Paper(arxiv_id=i, title=f"Paper {i}", score=10 - n) for n, i in enumerate(ids)],
    )


async def test_migrations_from_empty(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    async with open_store(db) as store:
        assert await store.counts() == dict.fromkeys(
            ["papers", "digests", "digest_entries", "subscriptions", "posts", "source_health"], 0
        )
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == len(available())
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    async with open_store(db):  # reopening applies nothing and loses nothing
        pass


async def test_database_from_the_future_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 999")
    con.close()
    with pytest.raises(StoreError, match="newer than this code"):
        async with open_store(db):
            pass


async def test_roundtrip_and_idempotent_save(tmp_path: Path) -> None:
    sample = load_path(SAMPLE)
    async with open_store(tmp_path / "s.db") as store:
        assert await store.save_digest(sample) is True
        before = await store.counts()
        assert await store.save_digest(sample) is False
        assert await store.counts() == before
        got = await store.get_digest(sample.source, sample.day)
        assert got == sample
        meta = await store.digest_meta(sample.source, sample.day)
        assert meta is not None and meta.final and meta.paper_count == 16
        assert await store.latest_day() == sample.day


async def test_changed_digest_replaces_entries_and_keeps_metadata(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        full = Paper(arxiv_id="2101.00001", title="T", abstract="An abstract.", score=5)
        await store.save_digest(Digest(day=date(2021, 1, 1), source="a", papers=[full]))
        blank = Paper(arxiv_id="2101.00001v2", title="T", abstract="", score=7)
        other = Paper(arxiv_id="2101.00002", title="U", score=9)
        await store.save_digest(Digest(day=date(2021, 1, 1), source="a", papers=[other, blank]))
        got = await store.get_digest("a", date(2021, 1, 1))
        assert got is not None
        assert [p.arxiv_id for p in got.papers] == ["2101.00002", "2101.00001"]
        assert got.papers[1].abstract == "An abstract."  # never replaced by an empty one
        assert got.papers[1].version == 2
        assert (await store.counts())["digest_entries"] == 2


async def test_two_writers_at_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    async with open_store(db) as a, open_store(db) as b:
        digests_a = [_digest(f"2021-02-{d:02d}", [f"2102.{d:05d}"], "a") for d in range(1, 21)]
        digests_b = [
            _digest(f"2021-02-{d:02d}", [f"2102.{d:05d}", "2102.99999"], "b") for d in range(1, 21)
        ]

        async def write(store: object, items: list[Digest]) -> None:
            for d in items:
                await store.save_digest(d)  # type: ignore[attr-defined]

        await asyncio.gather(write(a, digests_a), write(b, digests_b))
        counts = await a.counts()
        assert counts["digests"] == 40
        assert counts["papers"] == 21
        assert counts["digest_entries"] == 60


async def test_window_query(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        for d in range(1, 10):
            await store.save_digest(_digest(f"2021-03-{d:02d}", [f"2103.{d:05d}"]))
        got = await store.digests_between("test", date(2021, 3, 3), date(2021, 3, 5))
        assert [g.day.day for g in got] == [5, 4, 3]


async def test_entry_papers_are_the_stored_papers_without_tweets(tmp_path: Path) -> None:
    sample = load_path(SAMPLE)
    async with open_store(tmp_path / "s.db") as store:
        await store.save_digest(sample)
        (full,) = await store.digests_between(sample.source, sample.day, sample.day)
        assert full == sample
        titles, entries = await store.window_entries(sample.source, sample.day, sample.day)
        assert titles == {sample.day: sample.title}
        assert [(e.arxiv_id, e.rank, e.score) for e in entries] == [
            (p.arxiv_id, n, p.score) for n, p in enumerate(sample.papers, start=1)
        ]
        assert [e.categories for e in entries] == [p.categories for p in sample.papers]
        light = await store.entry_papers(sample.source, entries)
        assert any(p.tweets for p in sample.papers)
        assert light == [p.model_copy(update={"tweets": []}) for p in sample.papers]


async def test_subscriptions(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        sub = Subscription(guild_id=1, channel_id=10, categories=["cs.CV"], keywords=["ünïcode"])
        stored = await store.upsert_subscription(sub)
        assert stored.categories == ["cs.CV"] and stored.created_at is not None
        await store.upsert_subscription(sub.model_copy(update={"post_time": "07:30"}))
        assert len(await store.list_subscriptions(1)) == 1
        await store.mark_failing(10, "403 Missing Permissions")
        await store.set_enabled(10, False)
        got = await store.get_subscription(10)
        assert (
            got is not None and got.failing_reason == "403 Missing Permissions" and not got.enabled
        )
        assert await store.list_subscriptions(enabled_only=True) == []
        assert await store.delete_subscription(10) is True
        assert await store.delete_subscription(10) is False


async def test_post_ledger_claims_once(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        rec = PostRecord(
            guild_id=1,
            channel_id=10,
            day=date(2021, 3, 12),
            source="s",
            nonce="n" * 25,
            arxiv_ids=["2103.06874"],
        )
        first = (await store.claim_post(rec)).record
        again = (await store.claim_post(rec.model_copy(update={"nonce": "other"}))).record
        assert first.status == again.status == "pending" and again.nonce == "n" * 25
        await store.finish_post(
            10, date(2021, 3, 12), status="sent", message_ids=[5, 6], thread_id=7
        )
        got = await store.get_post(10, date(2021, 3, 12))
        assert got is not None and got.status == "sent" and got.message_ids == [5, 6]
        assert got.posted_at is not None and got.attempts == 1
        assert [
            p.channel_id for p in await store.list_posts(guild_id=1, arxiv_id="2103.06874")
        ] == [10]
        assert await store.list_posts(arxiv_id="2101.00001") == []


async def test_nonce_longer_than_discord_allows_is_refused(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        rec = PostRecord(guild_id=1, channel_id=1, day=date(2021, 1, 1), source="s", nonce="x" * 26)
        with pytest.raises(sqlite3.IntegrityError):
            await store.claim_post(rec)
        assert (await store.counts())["posts"] == 0


async def test_source_health(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        t0 = datetime(2021, 1, 1, tzinfo=UTC)
        await store.record_source_health("hf", ok=True, at=t0)
        await store.record_source_health("hf", ok=False, error="503", at=t0)
        await store.record_source_health("hf", ok=False, error="timeout", at=t0)
        (h,) = await store.source_health()
        assert (h.ok, h.error, h.consecutive_failures, h.last_ok_at) == (False, "timeout", 2, t0)
        await store.record_source_health("hf", ok=True, at=t0)
        (h,) = await store.source_health()
        assert h.ok and h.consecutive_failures == 0


async def test_concurrent_writes_on_one_connection(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        subs = [Subscription(guild_id=1, channel_id=c) for c in range(50)]
        recs = [
            PostRecord(guild_id=1, channel_id=c, day=date(2021, 3, 12), source="s", nonce=f"n{c}")
            for c in range(50)
        ]
        await asyncio.gather(
            *(store.upsert_subscription(s) for s in subs),
            *(store.claim_post(r) for r in recs),
            *(
                store.save_digest(_digest(f"2021-01-{d:02d}", [f"2101.{d:05d}"]))
                for d in range(1, 29)
            ),
        )
        counts = await store.counts()
        assert (counts["subscriptions"], counts["posts"], counts["digests"]) == (50, 50, 28)


async def test_cancelled_write_leaves_no_open_transaction(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        for _ in range(20):
            task = asyncio.create_task(store.save_digest(load_path(SAMPLE)))
            await asyncio.sleep(0)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await store.upsert_subscription(Subscription(guild_id=1, channel_id=1))
        assert (await store.counts())["subscriptions"] == 1
