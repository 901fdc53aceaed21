"""The tick reads subscriptions a page at a time, fresh from the store (bot/app/scan.py).

Nothing of the schedule is kept between ticks: what another process (another store
connection here) subscribes, removes, pauses or edits between two ticks is what the next
tick posts by. Real scheduler, real publisher, real SQLite stores on one file; pages of two
subscriptions so that every test crosses page boundaries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import Subscription
from bot.sharding import Shards, shard_of
from bot.store import open_store
from bot.store.base import Store
from tests.test_isolation import DAY, GOOD, NINE, build, subscribe


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """The scheduler's store, and another connection to the same file (another process)."""
    path = tmp_path / "db.sqlite3"
    async with open_store(path) as mine, open_store(path) as other:
        yield mine, other


def scheduler_on(store: Store, **kw: Any) -> Any:
    scheduler, discord, clock = build(store, {"good": GOOD}, **kw)
    scheduler.settler.page = 2
    clock.set(NINE - timedelta(minutes=1))
    return scheduler, discord, clock


def posted(report: Any) -> list[tuple[int, str]]:
    return [(o.channel_id, o.status) for o in report.outcomes]


async def test_what_another_connection_changes_between_ticks_is_what_is_posted(
    stores: tuple[Store, Store],
) -> None:
    mine, other = stores
    for channel in (1, 2, 3, 4, 5):
        await subscribe(other, channel, "good")
    scheduler, discord, clock = scheduler_on(mine)
    assert (await scheduler.tick()).due == 0  # 08:59: every page read, nobody due yet
    await subscribe(other, 6, "good")  # subscribed by another process
    assert await other.delete_subscription(2)  # unsubscribed
    await other.set_paused(3, True)  # paused
    await other.upsert_subscription(  # moved to 09:30
        Subscription(guild_id=1, channel_id=4, id=4, source="good", post_time="09:30")
    )
    clock.set(NINE)
    report = await scheduler.tick()
    assert posted(report) == [(1, "sent"), (5, "sent"), (6, "sent")]
    assert report.due == 3 and report.broken == []
    clock.set(NINE + timedelta(minutes=30))
    assert posted(await scheduler.tick()) == [(4, "sent")]  # at its new time, once
    clock.set(NINE + timedelta(minutes=31))
    assert (await scheduler.tick()).outcomes == []  # never twice
    assert sorted(discord.channels) == [1, 4, 5, 6]
    assert [(p.subscription_id, p.day, p.status) for p in await mine.list_posts()] == [
        (1, DAY, "sent"),
        (4, DAY, "sent"),
        (5, DAY, "sent"),
        (6, DAY, "sent"),
    ]


async def test_one_paused_or_removed_after_the_scan_of_its_tick_is_not_posted(
    stores: tuple[Store, Store],
) -> None:
    mine, other = stores
    for channel in (1, 2, 3):
        await subscribe(other, channel, "good")
    scheduler, _, clock = scheduler_on(mine)
    clock.set(NINE)
    real = mine.get_subscriptions

    async def meanwhile(ids: Any) -> list[Subscription]:
        # between the scan that found them due and their models being read
        await other.set_paused(2, True)
        assert await other.delete_subscription(3)
        return await real(ids)

    mine.get_subscriptions = meanwhile  # type: ignore[method-assign]
    report = await scheduler.tick()
    assert posted(report) == [(1, "sent")]
    assert [p.subscription_id for p in await mine.list_posts()] == [1]


async def test_a_corrupt_row_in_one_page_hides_nothing_in_the_others(
    stores: tuple[Store, Store],
) -> None:
    mine, _ = stores
    for channel in (1, 2, 3, 4, 5):
        zone = "Mars/Olympus" if channel == 3 else "UTC"
        await subscribe(mine, channel, "good", timezone=zone)
    scheduler, _, clock = scheduler_on(mine)
    clock.set(NINE)
    report = await scheduler.tick()
    assert posted(report) == [(1, "sent"), (2, "sent"), (4, "sent"), (5, "sent")]
    assert report.broken == ["3: ValueError"]


async def test_a_sharded_process_pages_through_its_own_guilds_only(
    stores: tuple[Store, Store],
) -> None:
    mine, _ = stores
    guilds = [g << 22 for g in range(1, 9)]  # shards 1, 0, 1, 0, … of 2
    for n, guild in enumerate(guilds, start=1):
        await mine.upsert_subscription(
            Subscription(
                guild_id=guild,
                channel_id=n,
                id=n,
                source="good",
                created_at=NINE - timedelta(hours=1),
            )
        )
    await mine.upsert_subscription(  # a personal digest: guild 0, shard 0's
        Subscription(
            guild_id=0,
            channel_id=99,
            id=99,
            user_id=7,
            source="good",
            created_at=NINE - timedelta(hours=1),
        )
    )
    scheduler, _, clock = scheduler_on(mine, shards=Shards(2, (0,)))
    clock.set(NINE)
    channels = [c for c, _ in posted(await scheduler.tick())]
    ours = [n for n, g in enumerate(guilds, start=1) if shard_of(g, 2) == 0]
    assert channels == [*ours, 99] and ours == [2, 4, 6, 8]


async def test_settlement_pages_through_every_subscription(stores: tuple[Store, Store]) -> None:
    mine, _ = stores
    for channel in (1, 2, 3, 4, 5):
        await mine.upsert_subscription(
            Subscription(
                guild_id=1,
                channel_id=channel,
                id=channel,
                source="good",
                created_at=NINE - timedelta(days=2),
            )
        )
    scheduler, _, clock = scheduler_on(mine)
    clock.set(NINE)
    report = await scheduler.tick()
    assert posted(report) == [(c, "sent") for c in (1, 2, 3, 4, 5)]
    # the days before (two for each channel) are recorded missed, in (day, id) order
    assert [(p.day, p.subscription_id, p.status) for p in report.settled] == [
        (DAY - timedelta(days=d), c, "missed") for d in (2, 1) for c in (1, 2, 3, 4, 5)
    ]
    assert (await scheduler.tick()).settled == []
