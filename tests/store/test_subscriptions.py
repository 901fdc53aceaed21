"""Contract: subscriptions (`bot.store.subscriptions.SubscriptionStore`), for every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.errors import StoreError
from bot.models import Subscription
from bot.store.base import Store
from tests.store.backends import Backend, post

T0 = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2021, 3, 2, 8, 0, tzinfo=UTC)


def sub(channel_id: int, guild_id: int = 1, **kw: object) -> Subscription:
    return Subscription(guild_id=guild_id, channel_id=channel_id, **kw)


async def stored(store: Store, s: Subscription) -> int:
    """Store `s`; its id."""
    got = await store.upsert_subscription(s)
    assert got.id is not None
    return got.id


async def test_an_upsert_returns_what_is_stored_and_keeps_created_at(store: Store) -> None:
    first = await store.upsert_subscription(
        sub(10, categories=["cs.CV", "-cs.RO"], keywords=["ünïcode"], created_at=T0)
    )
    assert first == sub(
        10, id=first.id, categories=["cs.CV", "-cs.RO"], keywords=["ünïcode"], created_at=T0
    )
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
    again = await store.upsert_subscription(changed)  # no id: the same (channel, name)
    assert again == changed.model_copy(update={"id": first.id, "created_at": T0})
    assert first.id is not None and await store.get_subscription(first.id) == again
    assert len(await store.list_subscriptions()) == 1


async def test_every_field_of_the_contract_round_trips(store: Store) -> None:
    full = sub(
        10,
        name="cv-weekly",
        cadence="weekly",
        weekday=4,
        paused=True,
        resumed_at=T1,
        role_id=2**62,
        ping="score",
        ping_min_score=7.5,
        self_roles=True,
        late_risers=10,
        user_id=2**61,
        server_votes=True,
        created_at=T0,
    )
    got = await store.upsert_subscription(full)
    assert got == full.model_copy(update={"id": got.id})
    assert await store.find_subscription(10, "cv-weekly") == got
    assert await store.find_subscription(10, "daily") is None


async def test_a_channel_holds_several_subscriptions_by_name(store: Store) -> None:
    daily = await stored(store, sub(10, created_at=T0))
    weekly = await stored(store, sub(10, name="weekly", cadence="weekly", created_at=T0))
    assert daily != weekly
    assert [s.name for s in await store.list_subscriptions(channel_id=10)] == ["daily", "weekly"]
    # the same name again updates that one only
    await store.upsert_subscription(sub(10, name="weekly", cadence="monthly"))
    got = {s.name: s for s in await store.list_subscriptions(channel_id=10)}
    assert (got["daily"].cadence, got["weekly"].cadence) == ("daily", "monthly")
    assert got["weekly"].id == weekly


async def test_an_upsert_by_id_renames_and_a_taken_name_is_refused(store: Store) -> None:
    daily = await store.upsert_subscription(sub(10))
    await store.upsert_subscription(sub(10, name="weekly"))
    renamed = await store.upsert_subscription(daily.model_copy(update={"name": "cv"}))
    assert renamed.id == daily.id and renamed.name == "cv"
    with pytest.raises(StoreError, match="already has a subscription named 'weekly'"):
        await store.upsert_subscription(renamed.model_copy(update={"name": "weekly"}))
    assert [s.name for s in await store.list_subscriptions(channel_id=10)] == ["cv", "weekly"]


async def test_ids_are_never_reused_not_even_those_only_the_ledger_remembers(
    store: Store,
) -> None:
    first = await stored(store, sub(10))
    second = await stored(store, sub(11))
    await store.claim_post(post(11, date(2021, 3, 1), subscription_id=second))
    assert await store.delete_subscription(second)
    third = await stored(store, sub(11))  # the same channel and name: a new subscription
    assert third > second > first
    assert await store.get_post(third, date(2021, 3, 1)) is None  # it inherits no history
    # an id only a post row holds (a deleted subscription's, or one migrated) is taken too
    await store.claim_post(post(12, date(2021, 3, 1), subscription_id=third + 5))
    assert await stored(store, sub(13)) == third + 6


async def test_created_at_defaults_to_now(store: Store) -> None:
    before = datetime.now(UTC)
    got = await store.upsert_subscription(sub(1))
    assert got.created_at is not None and before <= got.created_at <= datetime.now(UTC)


async def test_lists_are_by_channel_then_name_per_guild_channel_and_active(store: Store) -> None:
    ids = {}
    for channel, guild, name in ((30, 1, "daily"), (10, 2, "b"), (20, 1, "daily"), (10, 2, "a")):
        ids[(channel, name)] = await stored(store, sub(channel, guild, name=name))
    ids[(40, "daily")] = await stored(store, sub(40, 2))
    await store.set_enabled(ids[(20, "daily")], False)
    await store.set_paused(ids[(10, "b")], True)

    def keys(subs: list[Subscription]) -> list[tuple[int, str]]:
        return [(s.channel_id, s.name) for s in subs]

    everything = [(10, "a"), (10, "b"), (20, "daily"), (30, "daily"), (40, "daily")]
    assert keys(await store.list_subscriptions()) == everything
    assert keys(await store.list_subscriptions(1)) == [(20, "daily"), (30, "daily")]
    assert keys(await store.list_subscriptions(channel_id=10)) == [(10, "a"), (10, "b")]
    assert keys(await store.list_subscriptions(2, 10)) == [(10, "a"), (10, "b")]
    assert keys(await store.list_subscriptions(1, 10)) == []
    active = [(10, "a"), (30, "daily"), (40, "daily")]  # neither disabled nor paused
    assert keys(await store.list_subscriptions(enabled_only=True)) == active
    assert keys(await store.list_subscriptions(1, enabled_only=True)) == [(30, "daily")]
    assert await store.list_subscriptions(3) == []


async def test_pause_and_resume_from_a_time(store: Store) -> None:
    key = await stored(store, sub(10))
    await store.set_paused(key, True, at=T0)
    got = await store.get_subscription(key)
    assert got is not None and got.paused and got.enabled and not got.active
    assert got.resumed_at is None
    await store.set_paused(key, False, at=T1)
    got = await store.get_subscription(key)
    assert got is not None and not got.paused and got.active and got.resumed_at == T1


async def test_failing_is_set_with_its_time_and_cleared(store: Store) -> None:
    key = await stored(store, sub(10))
    other = await stored(store, sub(10, name="weekly"))
    await store.mark_failing(key, "403 Missing Permissions", at=T0)
    got = await store.get_subscription(key)
    assert got is not None and (got.failing_reason, got.failing_at) == (
        "403 Missing Permissions",
        T0,
    )
    neighbour = await store.get_subscription(other)
    assert neighbour is not None and neighbour.failing_reason is None  # one subscription only
    await store.mark_failing(key, None, at=T1)
    got = await store.get_subscription(key)
    assert got is not None and (got.failing_reason, got.failing_at) == (None, None)


async def test_resubscribing_clears_the_reason_but_keeps_when_it_last_failed(store: Store) -> None:
    key = await stored(store, sub(10))
    await store.mark_failing(key, "403 Missing Permissions", at=T0)
    again = await store.upsert_subscription(sub(10, post_time="10:00"))
    assert (again.id, again.failing_reason, again.failing_at, again.post_time) == (
        key,
        None,
        T0,
        "10:00",
    )


async def test_enable_disable_and_delete(store: Store) -> None:
    key = await stored(store, sub(10))
    await store.set_enabled(key, False)
    got = await store.get_subscription(key)
    assert got is not None and not got.enabled
    await store.set_enabled(key, True)
    got = await store.get_subscription(key)
    assert got is not None and got.enabled
    assert await store.delete_subscription(key) is True
    assert await store.get_subscription(key) is None
    assert await store.delete_subscription(key) is False


async def test_changes_to_an_unknown_id_create_nothing(store: Store) -> None:
    await store.mark_failing(99, "403", at=T0)
    await store.set_enabled(99, False)
    await store.set_paused(99, True)
    assert await store.get_subscription(99) is None
    assert await store.list_subscriptions() == []


async def test_deleting_a_subscription_keeps_its_posts(store: Store) -> None:
    key = await stored(store, sub(10))
    await store.claim_post(post(10, date(2021, 3, 1), subscription_id=key))
    await store.delete_subscription(key)
    kept = await store.list_posts(channel_id=10)
    assert [(p.channel_id, p.subscription_id) for p in kept] == [(10, key)]
    assert await store.list_posts(subscription_id=key) == kept


async def test_unreadable_times_read_as_none(backend: Backend) -> None:
    store = await backend.open()
    key = await stored(store, sub(10, created_at=T0))
    await store.mark_failing(key, "403", at=T0)
    backend.update("subscriptions", {"created_at": "not a time", "failing_at": "2021-13-45"})
    got = await store.get_subscription(key)
    assert got is not None and (got.created_at, got.failing_at, got.failing_reason) == (
        None,
        None,
        "403",
    )
