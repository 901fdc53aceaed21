# ruff: noqa: F811 - the service fixtures are imported and used by name
"""The services called with plain data in orders the cogs would not (issue 12 attack)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import UserInputError
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.posting import NOT_POSTER, PostingService
from bot.services.subscriptions import Changes, SubscriptionService
from bot.store.base import Store
from tests.services.conftest import (  # noqa: F401 - the fixtures, used by name
    GUILD,
    HERE,
    MemoryDiscord,
    clock,
    config,
    digests,
    fake_discord,
    publisher,
    store,
    subscription,
    where,
)


class Gate:
    def __init__(self, held: bool) -> None:
        self.held = held

    async def holds(self) -> bool:
        return self.held


async def test_post_now_refused_by_the_lease_leaves_a_disabled_subscription_disabled(
    store: Store, digests: DigestService, publisher: Publisher, clock: ManualClock
) -> None:
    """ "Nothing was posted: this bot process may not post right now" must be the whole
    story: the disabled subscription was silently enabled again before the lease was asked."""
    await store.upsert_subscription(subscription(enabled=False))
    service = PostingService(
        store,
        digests,
        publisher,
        clock=clock,
        catch_up=timedelta(hours=12),
        gate=Gate(held=False),
    )
    with pytest.raises(UserInputError) as caught:
        await service.post_now(await service.check(where(), None))
    assert str(caught.value) == NOT_POSTER
    stored = await store.find_subscription(HERE, "daily")
    assert stored is not None and not stored.enabled


async def test_subscribe_does_not_take_over_another_servers_subscription(
    store: Store, clock: ManualClock
) -> None:
    """A channel id that another server's subscription holds is not "Updated" into this
    server's (the Where of a command never mixes servers, but the service must not trust
    it): refused, and the other server's subscription stays as it was."""
    await store.upsert_subscription(subscription(guild_id=GUILD + 1))
    service = SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )
    with pytest.raises(UserInputError):
        await service.subscribe(where(), Changes(time="10:00"))
    stored = await store.find_subscription(HERE, "daily")
    assert stored is not None and (stored.guild_id, stored.post_time) == (GUILD + 1, "09:00")


async def test_unsubscribe_twice_says_so(store: Store, clock: ManualClock) -> None:
    await store.upsert_subscription(subscription())
    service = SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )
    assert (await service.unsubscribe(where())).startswith("Unsubscribed")
    with pytest.raises(UserInputError) as caught:
        await service.unsubscribe(where())
    assert "has no digest subscription" in str(caught.value)
