"""Contract: the scheduler's bounded reads (`schedule_page`, `get_subscriptions`, `posts_of`).

The tick never holds every subscription: it reads them a page at a time by id as `Timing`
rows (bot/app/scan.py), reads whole models for the ones that post only, and the ledger rows
of the ones it looks at only. These pin what it relies on, for every backend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.models import Subscription
from bot.store.base import Store
from bot.store.subscriptions import Timing
from tests.store.backends import Backend, post

T0 = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 2, 8, 0, tzinfo=UTC)


async def make(store: Store, channel_id: int, guild_id: int = 1, **kw: Any) -> int:
    got = await store.upsert_subscription(
        Subscription(guild_id=guild_id, channel_id=channel_id, **kw)
    )
    assert got.id is not None
    return got.id


async def every_page(store: Store, limit: int) -> list[list[int]]:
    """The ids of each page, reading on until `after` says the last page was read."""
    pages: list[list[int]] = []
    after: int | None = 0
    while after is not None:
        page = await store.schedule_page(after, limit)
        pages.append([t.id for t in page.rows])
        after = page.after
    return pages


async def test_a_page_is_the_timing_of_each_posting_subscription_by_id(store: Store) -> None:
    first = await make(
        store,
        10,
        guild_id=7,
        name="weekly",
        cadence="weekly",
        weekday=4,
        post_time="07:30",
        timezone="Europe/Berlin",
        source="hf",
        late_risers=3,
        created_at=T0,
    )
    await store.mark_failing(first, "403 Missing Permissions", at=T1)
    await store.set_paused(first, True)
    await store.set_paused(first, False, at=T1)
    page = await store.schedule_page()
    assert page.after is None
    assert page.rows == [
        Timing(
            id=first,
            guild_id=7,
            channel_id=10,
            cadence="weekly",
            weekday=4,
            post_time="07:30",
            timezone="Europe/Berlin",
            source="hf",
            enabled=True,
            paused=False,
            resumed_at=T1,
            created_at=T0,
            failing_reason="403 Missing Permissions",
            failing_at=T1,
            late_risers=3,
        )
    ]
    assert page.rows[0].active


async def test_paused_and_disabled_subscriptions_are_not_in_any_page(store: Store) -> None:
    ids = [await make(store, ch) for ch in (1, 2, 3, 4)]
    await store.set_paused(ids[1], True)
    await store.set_enabled(ids[2], False)
    assert await every_page(store, 500) == [[ids[0], ids[3]]]
    await store.set_paused(ids[1], False)
    await store.set_enabled(ids[2], True)
    assert await every_page(store, 500) == [ids]


async def test_pages_follow_the_ids_and_say_where_the_next_starts(store: Store) -> None:
    ids = [await make(store, ch) for ch in (50, 40, 30, 20, 10)]  # ids in creation order
    assert await every_page(store, 2) == [ids[:2], ids[2:4], ids[4:]]
    # a last page exactly full: one more (empty) read says it was the last
    assert await every_page(store, 5) == [ids, []]
    page = await store.schedule_page(ids[-1], 2)
    assert page.rows == [] and page.after is None


async def test_an_unreadable_row_is_left_out_without_ending_the_scan(
    backend: Backend, store: Store
) -> None:
    ids = [await make(store, ch) for ch in (1, 2, 3)]
    backend.update("subscriptions", {"cadence": "hourly"}, where={"id": ids[0]})
    backend.update("subscriptions", {"created_at": "not a time"}, where={"id": ids[2]})
    # the first page held only the bad row: the scan still goes on past it
    assert await every_page(store, 1) == [[], [ids[1]], [ids[2]], []]
    [_, last] = (await store.schedule_page(ids[0], 5)).rows
    assert last.created_at is None  # an unreadable time is None, not a lost row


async def test_a_write_by_another_connection_between_pages_is_seen(backend: Backend) -> None:
    reader, writer = await backend.open(), await backend.open()
    first = await make(writer, 1)
    page = await reader.schedule_page(0, 1)
    assert [t.id for t in page.rows] == [first] and page.after == first
    later = await make(writer, 2, post_time="06:15")
    assert [(t.id, t.post_time) for t in (await reader.schedule_page(first, 1)).rows] == [
        (later, "06:15")
    ]
    await writer.upsert_subscription(
        Subscription(guild_id=1, channel_id=2, id=later, post_time="18:45")
    )
    assert [t.post_time for t in (await reader.schedule_page(first, 1)).rows] == ["18:45"]
    assert await writer.delete_subscription(later)
    assert (await reader.schedule_page(first, 1)).rows == []


async def test_get_subscriptions_reads_whole_models_of_the_ids_given(
    backend: Backend, store: Store
) -> None:
    ids = [await make(store, ch, keywords=[f"k{ch}"]) for ch in (3, 1, 2)]
    backend.update("subscriptions", {"categories": "[not json"}, where={"id": ids[1]})
    got = await store.get_subscriptions([ids[2], ids[0], 999, ids[2], ids[1]])
    assert got == [await store.get_subscription(ids[0]), await store.get_subscription(ids[2])]
    assert [s.keywords for s in got] == [["k3"], ["k2"]]
    assert await store.get_subscriptions([]) == []


async def test_posts_of_reads_only_the_given_subscriptions_from_a_day(store: Store) -> None:
    d1, d2, d3 = date(2021, 3, 10), date(2021, 3, 11), date(2021, 3, 12)
    for sid, channel in ((1, 10), (2, 20), (3, 30)):
        for day in (d1, d2, d3):
            await store.claim_post(post(channel, day, subscription_id=sid, nonce=f"{sid}{day}"))
    got = await store.posts_of([3, 1, 404], since=d2)
    assert [(p.subscription_id, p.day) for p in got] == [(1, d3), (3, d3), (1, d2), (3, d2)]
    everything = await store.list_posts(since=d2)
    assert got == [p for p in everything if p.subscription_id in (1, 3)]
    assert await store.posts_of([], since=d1) == []
