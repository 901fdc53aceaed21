"""Contract: subscriptions (`bot.store.subscriptions.SubscriptionStore`), for every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.models import Subscription
from bot.store.base import Store
from tests.store.backends import Backend, post

T0 = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 2, 8, 0, tzinfo=UTC)


def sub(channel_id: int, guild_id: int = 1, **kw: object) -> Subscription:
    return Subscription(guild_id=guild_id, channel_id=channel_id, **kw)


async def test_an_upsert_returns_what_is_stored_and_keeps_created_at(store: Store) -> None:
    first = await store.upsert_subscription(
        sub(10, categories=["cs.CV", "-cs.RO"], keywords=["ünïcode"], created_at=T0)
    )
    assert first == sub(10, categories=["cs.CV", "-cs.RO"], keywords=["ünïcode"], created_at=T0)
    changed = sub(
        10,
        guild_id=2,
        post_time="07:30",
        timezone="Europe/Paris",
        categories=[],
        limit=3,
        format="detailed",
        min_score=2.5,
        keywords=[],
        post_empty=False,
        source="hf",
        created_at=T1,
    )
    again = await store.upsert_subscription(changed)
    assert again == changed.model_copy(update={"created_at": T0})  # the first one stays
    assert await store.get_subscription(10) == again
    assert len(await store.list_subscriptions()) == 1


async def test_created_at_defaults_to_now(store: Store) -> None:
    before = datetime.now(UTC)
    got = await store.upsert_subscription(sub(1))
    assert got.created_at is not None and before <= got.created_at <= datetime.now(UTC)


async def test_lists_are_by_channel_id_per_guild_and_enabled(store: Store) -> None:
    for channel, guild in ((30, 1), (10, 2), (20, 1), (40, 2)):
        await store.upsert_subscription(sub(channel, guild))
    await store.set_enabled(20, False)
    assert [s.channel_id for s in await store.list_subscriptions()] == [10, 20, 30, 40]
    assert [s.channel_id for s in await store.list_subscriptions(1)] == [20, 30]
    assert [s.channel_id for s in await store.list_subscriptions(enabled_only=True)] == [10, 30, 40]
    assert [s.channel_id for s in await store.list_subscriptions(1, enabled_only=True)] == [30]
    assert await store.list_subscriptions(3) == []


async def test_failing_is_set_with_its_time_and_cleared(store: Store) -> None:
    await store.upsert_subscription(sub(10))
    await store.mark_failing(10, "403 Missing Permissions", at=T0)
    got = await store.get_subscription(10)
    assert got is not None and (got.failing_reason, got.failing_at) == (
        "403 Missing Permissions",
        T0,
    )
    await store.mark_failing(10, None, at=T1)
    got = await store.get_subscription(10)
    assert got is not None and (got.failing_reason, got.failing_at) == (None, None)


async def test_resubscribing_clears_the_reason_but_keeps_when_it_last_failed(store: Store) -> None:
    await store.upsert_subscription(sub(10))
    await store.mark_failing(10, "403 Missing Permissions", at=T0)
    again = await store.upsert_subscription(sub(10, post_time="10:00"))
    assert (again.failing_reason, again.failing_at, again.post_time) == (None, T0, "10:00")


async def test_enable_disable_and_delete(store: Store) -> None:
    await store.upsert_subscription(sub(10))
    await store.set_enabled(10, False)
    got = await store.get_subscription(10)
    assert got is not None and not got.enabled
    await store.set_enabled(10, True)
    got = await store.get_subscription(10)
    assert got is not None and got.enabled
    assert await store.delete_subscription(10) is True
    assert await store.get_subscription(10) is None
    assert await store.delete_subscription(10) is False


async def test_changes_to_an_unknown_channel_create_nothing(store: Store) -> None:
    await store.mark_failing(99, "403", at=T0)
    await store.set_enabled(99, False)
    assert await store.get_subscription(99) is None
    assert await store.list_subscriptions() == []


async def test_deleting_a_subscription_keeps_its_posts(store: Store) -> None:
    await store.upsert_subscription(sub(10))
    await store.claim_post(post(10, date(2021, 3, 1)))
    await store.delete_subscription(10)
    assert [p.channel_id for p in await store.list_posts(channel_id=10)] == [10]


async def test_unreadable_times_read_as_none(backend: Backend) -> None:
    store = await backend.open()
    await store.upsert_subscription(sub(10, created_at=T0))
    await store.mark_failing(10, "403", at=T0)
    backend.update("subscriptions", {"created_at": "not a time", "failing_at": "2021-13-45"})
    got = await store.get_subscription(10)
    assert got is not None and (got.created_at, got.failing_at, got.failing_reason) == (
        None,
        None,
        "403",
    )
