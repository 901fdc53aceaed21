"""Attacks on several digests per channel in the services: the cap under concurrent
subscribes, ids of concurrent creates, names typed for commands about one digest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import UserInputError
from bot.schedule import ManualClock
from bot.services.subscribe_options import MAX_PER_CHANNEL, SubscribeOptions
from bot.services.subscriptions import Kind, Place, SubscriptionService, Where
from bot.store import open_store
from bot.store.base import Store

GUILD = 10
HERE = 100


def where() -> Where:
    return Where(guild_id=GUILD, here_id=HERE, here=Place(Kind.TEXT))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "bot.sqlite3") as s:
        yield s


@pytest.fixture
def service(store: Store) -> SubscriptionService:
    clock = ManualClock(datetime(2021, 3, 13, 8, 0, tzinfo=UTC))
    return SubscriptionService(
        store, clock=clock, lag_days=1, default_time="09:00", default_timezone="UTC"
    )


async def test_concurrent_subscribes_never_pass_the_cap(
    service: SubscriptionService, store: Store
) -> None:
    for i in range(MAX_PER_CHANNEL - 1):
        await service.subscribe(where(), SubscribeOptions(name=f"d{i}"))
    results = await asyncio.gather(
        *(service.subscribe(where(), SubscribeOptions(name=f"new{k}")) for k in range(3)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, UserInputError)]
    assert len(refused) == 2, results
    subs = await store.list_subscriptions(channel_id=HERE)
    assert len(subs) == MAX_PER_CHANNEL
    assert len({s.id for s in subs}) == MAX_PER_CHANNEL


async def test_concurrent_creates_get_distinct_ids(
    service: SubscriptionService, store: Store
) -> None:
    await asyncio.gather(
        *(service.subscribe(where(), SubscribeOptions(name=f"n{k}")) for k in range(5))
    )
    ids = sorted(s.id or 0 for s in await store.list_subscriptions(channel_id=HERE))
    assert ids == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("command", ["unsubscribe", "pause", "resume"])
async def test_a_long_name_is_refused_as_a_name_not_echoed_whole(
    service: SubscriptionService, command: str
) -> None:
    await service.subscribe(where(), SubscribeOptions())
    with pytest.raises(UserInputError) as err:
        await getattr(service, command)(where(), "x" * 3000)
    assert str(err.value) == (
        "`xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…` is not a digest name: use 1 to 32 "
        "lowercase letters, digits or dashes, e.g. daily or cv-weekly."
    )


async def test_a_blank_name_is_a_name_left_out(service: SubscriptionService) -> None:
    await service.subscribe(where(), SubscribeOptions(name="cv"))
    assert (await service.pause(where(), "   ")).startswith(f"Paused <#{HERE}> (cv): ")
    await service.subscribe(where(), SubscribeOptions(name="ml"))
    with pytest.raises(UserInputError) as err:
        await service.resume(where(), "  ")
    assert str(err.value) == f"<#{HERE}> has 2 digests (cv, ml): say which with the name option."
