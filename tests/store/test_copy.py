"""Copying a whole store (`bot.store.copy`, behind `hotpapers migrate-store`), on every backend:
a SQLite store holding the bundled sample digest and a row in every table is copied into the
backend and back into a new SQLite file, and every read through `Store` agrees at each step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Digest, FollowUp, Paper, Subscription
from bot.sources.hotpapers_md import load_path
from bot.store import connect
from bot.store.base import Store
from bot.store.copy import TABLES, compare, copy_store
from bot.store.values import Start
from tests.store.backends import Backend, post

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "data" / "hot-papers-2021-03-12.md"
T0 = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)
DAY = date(2021, 3, 12)
BLEND, BLEND_DAY = "hot", DAY - timedelta(days=1)  # the day before: `preview` shows DAY


def blended() -> Digest:
    """A blended digest (issue 13): archives, crowds ok and failed, read times, a NULL score."""
    hot = Paper(
        arxiv_id="2103.99001", title="Hot", score=4.5, metrics={"upvotes": 3}, read_at={"hf": T0}
    )
    quiet = Paper(arxiv_id="2103.99002", title="Quiet", score=None)
    return Digest(
        day=BLEND_DAY,
        source=BLEND,
        papers=[hot, quiet],
        fetched_at=T0,
        archives=["math", "quant-ph"],
        signals_ok=["hf"],
        signals_failed={"hn": "HN is down."},
    )


def climbing(subscription_id: int) -> FollowUp:
    """A late riser's follow-up, ids beyond 32 bits."""
    return FollowUp(
        subscription_id=subscription_id,
        arxiv_id="2103.99002",
        day=DAY,
        channel_id=10,
        place_id=2**61,
        rank=2,
        content="📈 Climbing: **Quiet** é",
        nonce="c" * 25,
        created_at=T0,
    )


async def populate(store: Store) -> None:
    """The sample digest, a blended digest, two subscriptions, posts in three states, health,
    a lease, starts, saved papers and votes."""
    digest = load_path(SAMPLE)
    assert await store.save_digest(digest)
    assert await store.save_digest(blended())
    keys = []
    for channel, zone, name in ((10, "Europe/Paris", "daily"), (11, "Asia/Tokyo", "daily")):
        saved = await store.upsert_subscription(
            Subscription(guild_id=1, channel_id=channel, timezone=zone, keywords=["é"], name=name)
        )
        assert saved.id is not None
        keys.append(saved.id)
    weekly = await store.upsert_subscription(
        Subscription(guild_id=1, channel_id=10, name="weekly", cadence="weekly", role_id=7)
    )
    assert weekly.id is not None
    await store.mark_failing(keys[1], "Missing Access", at=T0)
    ids = [p.arxiv_id for p in digest.papers[:3]]
    await store.claim_post(post(10, DAY, arxiv_ids=ids, created_at=T0, subscription_id=keys[0]))
    await store.finish_post(keys[0], DAY, status="sent", message_ids=[2**62, 5], posted_at=T0)
    await store.claim_post(post(10, DAY, subscription_id=weekly.id))
    await store.claim_post(
        post(11, DAY, status="missed", error="came back at 10:00", subscription_id=keys[1])
    )
    await store.claim_post(post(10, DAY - timedelta(days=1), subscription_id=keys[0]))
    await store.claim_followup(climbing(keys[0]))  # a late riser's follow-up (0009)
    await store.finish_followup(keys[0], "2103.99002", status="sent", message_id=2**62 + 1)
    await store.delete_subscription(weekly.id)  # its history is copied, and its id kept
    await store.record_source_health("hotpapers-md", ok=False, error="503", at=T0)
    await store.acquire_lease("poster", "host:1:x", now=T0, ttl=timedelta(minutes=1))
    await store.record_start(Start(T0, timedelta(seconds=1.5)), forget_before=T0)
    await store.record_start(Start(T0), forget_before=T0)
    await store.save_paper(7, ids[0], at=T0)
    await store.save_paper(7, ids[1], at=T0 + timedelta(seconds=1))
    await store.add_vote(1, ids[0], 7, at=T0)
    await store.add_vote(1, ids[0], 8, at=T0)


async def same_reads(a: Store, b: Store) -> None:
    """Everything `Store` can say about the data is the same in `a` and `b`."""
    assert await a.counts() == await b.counts()
    for source in ("hotpapers-md", BLEND):
        start = BLEND_DAY
        assert await a.digests_between(source, start, DAY) == await b.digests_between(
            source, start, DAY
        )
        assert await a.window_entries(source, start, DAY) == await b.window_entries(
            source, start, DAY
        )
    assert await a.list_subscriptions() == await b.list_subscriptions()
    assert await a.list_posts() == await b.list_posts()
    assert await a.list_followups() == await b.list_followups()
    assert await a.source_health() == await b.source_health()
    assert await a.get_lease("poster") == await b.get_lease("poster")
    assert await a.list_starts(T0 - timedelta(days=1)) == await b.list_starts(
        T0 - timedelta(days=1)
    )
    assert await a.saved_papers(7) == await b.saved_papers(7)
    ids = [p.arxiv_id for p in load_path(SAMPLE).papers]
    assert await a.vote_counts(1, ids) == await b.vote_counts(1, ids)


async def test_a_populated_sqlite_store_is_copied_there_and_back_row_for_row(
    backend: Backend, tmp_path: Path
) -> None:
    original = await connect(tmp_path / "original.sqlite3")
    back = await connect(tmp_path / "back.sqlite3")
    try:
        await populate(original)
        target = await backend.open()
        report = await copy_store(original, target, force=True)  # the lease is held
        assert report.ok and [t.table for t in report.tables] == list(TABLES)
        counts = {t.table: t.rows for t in report.tables}
        assert counts["digest_entries"] == len(load_path(SAMPLE).papers) + 2 > 12
        assert counts["posts"] == 4 and counts["starts"] == 2 and counts["leases"] == 1
        assert counts["saved"] == 2 and counts["votes"] == 2
        assert counts["followups"] == 1
        await same_reads(original, target)
        assert await target.get_digest(BLEND, BLEND_DAY) == blended()
        again = await copy_store(target, back, force=True)
        assert again.ok and again.rows == report.rows
        await same_reads(original, back)
        assert (await compare(original, back)).ok
        # the ids came along, and the deleted weekly digest's id stays taken in the copy
        fresh = await back.upsert_subscription(Subscription(guild_id=1, channel_id=12))
        assert fresh.id == 4
    finally:
        await original.close()
        await back.close()


async def test_a_copy_refuses_a_filled_target_or_a_held_lease_and_writes_nothing(
    backend: Backend, tmp_path: Path
) -> None:
    source = await connect(tmp_path / "source.sqlite3")
    try:
        await populate(source)
        target = await backend.open()
        with pytest.raises(
            StoreError, match=r"posting from the source store \(lease held by host:1:x\).*--force"
        ):
            await copy_store(source, target, now=T0)
        await target.upsert_subscription(Subscription(guild_id=2, channel_id=99))
        later = T0 + timedelta(hours=1)  # the source's lease has expired by then
        with pytest.raises(StoreError, match=r"not empty \(subscriptions\).*--force"):
            await copy_store(source, target, now=later)
        assert [s.channel_id for s in await target.list_subscriptions()] == [99]
        assert (await target.counts())["digests"] == 0
        assert (await copy_store(source, target, force=True)).ok  # replaces, never merges
        assert [s.channel_id for s in await target.list_subscriptions()] == [10, 11]
    finally:
        await source.close()


async def test_the_comparison_finds_a_row_that_differs(backend: Backend, tmp_path: Path) -> None:
    source = await connect(tmp_path / "source.sqlite3")
    try:
        await populate(source)
        target = await backend.open()
        assert (await copy_store(source, target, force=True)).ok
        backend.update("posts", {"attempts": 7}, where={"channel_id": 11})
        report = await compare(source, target)
        assert not report.ok
        assert [t.table for t in report.tables if not t.ok] == ["posts"]
    finally:
        await source.close()
