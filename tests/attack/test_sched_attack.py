"""Outsider attacks on the paged tick (bot/app/scan.py, bot/app/scheduler.py, bot/app/settle.py).

Real scheduler, publisher and SQLite stores (two connections to one file: another process);
Discord is the scripted `FakeDiscord`, digests the scripted service of tests/test_isolation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import PostRecord, Subscription
from bot.store import open_store
from bot.store.base import Store
from tests.test_isolation import DAY, GOOD, NINE, build, config

Stores = tuple[Store, Store, Path]


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[Stores]:
    """The scheduler's store, another connection to the same file, and the file."""
    path = tmp_path / "db.sqlite3"
    async with open_store(path) as mine, open_store(path) as other:
        yield mine, other, path


def by_hand(path: Path, sql: str) -> None:
    """A row edited by hand (or by a bug) behind the store's back."""
    with sqlite3.connect(path) as db:
        db.execute(sql)


async def make(store: Store, channel: int, **kw: Any) -> None:
    fields: dict[str, Any] = {"source": "good", "created_at": NINE - timedelta(hours=1), **kw}
    await store.upsert_subscription(
        Subscription(guild_id=1, channel_id=channel, id=channel, **fields)
    )


async def test_one_unreadable_ledger_row_hides_no_other_subscriptions_missed_days(
    stores: Stores,
) -> None:
    """Expected: after an outage every (subscription, day) whose window closed gets its one
    outcome, whatever one other ledger row holds.

    Before: posts_of leaves an unreadable row out, so settlement thought its day was never
    attempted and claimed it; the lost claim's read-back raised, which failed the claims of
    its whole page and ended the scan there: no later page was ever settled, and every tick
    tried again (and failed again) over the whole lookback.
    """
    mine, _, path = stores
    for channel in (1, 2, 3, 4, 5):
        await make(mine, channel, created_at=NINE - timedelta(days=2))
    early = DAY - timedelta(days=2)
    claim = await mine.claim_post(
        PostRecord(subscription_id=1, guild_id=1, channel_id=1, day=early, source="good", nonce="n")
    )
    assert claim.won
    by_hand(path, "UPDATE posts SET message_ids = 'not json' WHERE subscription_id = 1")
    scheduler, _, clock = build(mine, {"good": GOOD})
    scheduler.settler.page = 2
    report = await scheduler.tick()
    assert sorted((o.channel_id, o.status) for o in report.outcomes) == [
        (c, "sent") for c in (1, 2, 3, 4, 5)
    ]
    expected = [(d, c) for d in (early, DAY - timedelta(days=1)) for c in (1, 2, 3, 4, 5)]
    expected.remove((early, 1))  # its row exists (unreadable): not claimed again
    assert [(p.day, p.subscription_id, p.status) for p in report.settled] == [
        (d, c, "missed") for d, c in expected
    ]
    assert scheduler.settler.settled_at == NINE
    clock.advance(timedelta(minutes=1))
    assert (await scheduler.tick()).settled == []


async def test_a_time_edited_between_the_scan_and_the_post_is_honoured(stores: Stores) -> None:
    """Expected: a digest moved to 18:00 by another process while its 09:00 tick was
    fetching is posted at 18:00 (the new time), once.

    Before: the tick read the fresh model only to see it still active, and posted it by the
    scan's (old) slot at 09:00; the edit was honoured from the next day only.
    """
    mine, other, _ = stores
    for channel in (1, 2):
        await make(other, channel)
    scheduler, discord, clock = build(mine, {"good": GOOD})
    real = mine.get_subscriptions

    async def meanwhile(ids: Any) -> list[Subscription]:
        await make(other, 2, post_time="18:00")  # between the scan and the models' read
        return await real(ids)

    mine.get_subscriptions = meanwhile  # type: ignore[method-assign]
    report = await scheduler.tick()
    assert [(o.channel_id, o.status) for o in report.outcomes] == [(1, "sent")]
    mine.get_subscriptions = real  # type: ignore[method-assign]
    clock.set(NINE + timedelta(hours=9))
    report = await scheduler.tick()
    assert [(o.channel_id, o.status) for o in report.outcomes] == [(2, "sent")]
    row = await mine.get_post(2, DAY)
    assert row is not None and row.posted_at == NINE + timedelta(hours=9)
    assert sorted(discord.channels) == [1, 2]


async def test_one_paused_and_resumed_between_the_scan_and_the_post_is_not_posted(
    stores: Stores,
) -> None:
    """Expected: a day whose slot came before the subscription's resume is never posted
    (pausing skips days), however quickly the pause and resume followed each other.

    Before: the fresh model was active again, so the scan's slot was posted."""
    mine, other, _ = stores
    for channel in (1, 2):
        await make(other, channel)
    scheduler, discord, _ = build(mine, {"good": GOOD})
    real = mine.get_subscriptions

    async def meanwhile(ids: Any) -> list[Subscription]:
        await other.set_paused(2, True)
        await other.set_paused(2, False, at=NINE + timedelta(seconds=1))
        return await real(ids)

    mine.get_subscriptions = meanwhile  # type: ignore[method-assign]
    report = await scheduler.tick()
    assert [(o.channel_id, o.status) for o in report.outcomes] == [(1, "sent")]
    assert await mine.get_post(2, DAY) is None
    assert sorted(discord.channels) == [1]


async def test_a_subscription_that_cannot_be_read_whole_backs_off_then_fails_with_why(
    stores: Stores,
) -> None:
    """Expected: a subscription whose timing reads but whose whole row does not (its
    categories edited by hand) is tried on the post backoff, not at every tick, and its day
    ends `failed` with a true, private-safe reason when the window closes.

    Before: every tick (each minute, for the whole catch-up window) fetched its period again
    and read its row again, logging a warning each time.
    """
    mine, _, path = stores
    for channel in (1, 2):
        await make(mine, channel)
    by_hand(path, "UPDATE subscriptions SET categories = '[not json' WHERE id = 2")
    scheduler, _, clock = build(mine, {"good": GOOD}, cfg=config(catch_up_hours=1))
    real = mine.get_subscriptions
    asked: list[int] = []

    async def counted(ids: Any) -> list[Subscription]:
        if 2 in ids:
            asked.append(int((clock.now - NINE) / timedelta(minutes=1)))
        return await real(ids)

    mine.get_subscriptions = counted  # type: ignore[method-assign]
    settled: list[PostRecord] = []
    for _ in range(80):  # the window closes at 10:00, settled at the 10:15 settle
        settled += (await scheduler.tick()).settled
        clock.advance(timedelta(minutes=1))
    assert asked == [0, 1, 3, 7, 15, 31]
    assert [(p.subscription_id, p.day, p.status, p.error) for p in settled] == [
        (
            2,
            DAY,
            "failed",
            "not posted within the catch-up window: its subscription could not be read"
            " from the store (see the bot's log)",
        )
    ]
