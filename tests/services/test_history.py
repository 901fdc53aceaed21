"""`HistoryService`: `/history` where it works, where it does not, and what each day shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.history import HistoryService
from bot.store.base import Store

from .conftest import GUILD, HERE, subscription

LINK = f"https://discord.com/channels/{GUILD}/{HERE}/1000"


@pytest.fixture
def service(store: Store, clock: ManualClock) -> HistoryService:
    return HistoryService(store, clock=clock, lag_days=1, grace=timedelta(hours=12))


@pytest.mark.parametrize(
    ("guild_id", "channel_id", "days", "message"),
    [
        (GUILD, HERE, 0, "days must be a whole number from 1 to 90 (got 0)."),
        (GUILD, HERE, 91, "days must be a whole number from 1 to 90 (got 91)."),
        (GUILD, None, 7, "/history works only in a server channel."),
        (None, HERE, 7, "/history works only in a server channel."),
    ],
)
async def test_history_is_refused_outside_its_bounds(
    service: HistoryService, guild_id: int | None, channel_id: int | None, days: int, message: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        await service.history(guild_id, channel_id, days)
    assert str(caught.value) == message


async def test_a_channel_with_nothing_says_how_to_start(service: HistoryService) -> None:
    assert await service.history(GUILD, HERE, 7) == (
        f"Nothing was posted in <#{HERE}> in the last 7 days, and it has no digest "
        "subscription. /digest subscribe sets one up."
    )


async def test_every_day_of_the_window_has_its_outcome(
    service: HistoryService, store: Store, publisher: Publisher
) -> None:
    sub = await store.upsert_subscription(subscription())
    await publisher.publish(sub, sample_digest())
    assert await service.history(GUILD, HERE, 3) == (
        f"**Every day of the last 3 days in <#{HERE}>**\n"
        "• 2021-03-13 · not yet due (<t:1615712400:R>)\n"
        f"• 2021-03-12 · ✅ [sent]({LINK}) · 10 papers\n"
        "• 2021-03-11 · not posted: past the catch-up window, no record"
    )


async def test_after_unsubscribing_what_was_recorded_stays(
    service: HistoryService, store: Store, publisher: Publisher
) -> None:
    sub = await store.upsert_subscription(subscription())
    await publisher.publish(sub, sample_digest())
    await store.delete_subscription(HERE)
    assert await service.history(GUILD, HERE, 7) == (
        f"**Every day of the last 7 days in <#{HERE}>**\n"
        "(no digest subscription now; what was recorded before)\n"
        f"• 2021-03-12 · ✅ [sent]({LINK}) · 10 papers"
    )


async def test_another_servers_subscription_is_not_shown(
    service: HistoryService, store: Store
) -> None:
    await store.upsert_subscription(subscription(guild_id=GUILD + 1))
    text = await service.history(GUILD, HERE, 7)
    assert text.startswith(f"Nothing was posted in <#{HERE}>")
