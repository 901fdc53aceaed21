"""/history with several digests and one since unsubscribed: each row under its own digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli.preview import sample_digest
from bot.publish import Publisher
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.history import HistoryService
from bot.services.status import LoopState, StatusService
from bot.store.base import Store
from tests.services.conftest import (  # noqa: F401 - the fixtures, used by name
    GUILD,
    HERE,
    clock,
    config,
    digests,
    fake_discord,
    publisher,
    store,
    subscription,
)


@pytest.fixture
def service(store: Store, clock: ManualClock) -> HistoryService:  # noqa: F811
    return HistoryService(store, clock=clock, lag_days=1, grace=timedelta(hours=12))


async def test_an_unsubscribed_digests_day_neither_hides_nor_takes_a_current_ones_name(
    service: HistoryService,
    store: Store,  # noqa: F811
    publisher: Publisher,  # noqa: F811
) -> None:
    # three digests posted the same day; then "old" is unsubscribed
    subs = [
        await store.upsert_subscription(subscription(id=None, name=name))
        for name in ("cv", "ml", "old")
    ]
    for sub in subs:
        await publisher.publish(sub, sample_digest())
    await store.delete_subscription(subs[2].id or 0)
    link = f"https://discord.com/channels/{GUILD}/{HERE}/"
    assert await service.history(GUILD, HERE, 2) == (
        f"**Every day of the last 2 days in <#{HERE}>**\n"
        "• 2021-03-13 · cv: not yet due (<t:1615712400:R>)\n"
        "• 2021-03-13 · ml: not yet due (<t:1615712400:R>)\n"
        f"• 2021-03-12 · cv: ✅ [sent]({link}1000) · 10 papers\n"
        f"• 2021-03-12 · ml: ✅ [sent]({link}1001) · 10 papers\n"
        f"• 2021-03-12 · an unsubscribed digest: ✅ [sent]({link}1002) · 10 papers"
    )


async def test_a_disabled_digests_unposted_day_is_not_called_paused(
    service: HistoryService,
    store: Store,  # noqa: F811
    clock: ManualClock,  # noqa: F811
) -> None:
    # /digest pause exists now: "paused" sends a moderator to /digest resume, which answers
    # "is not paused" for a digest the bot disabled (its channel gave 404) or that fails (403)
    sub = await store.upsert_subscription(subscription(id=None, name="cv"))
    assert sub.id is not None
    await store.set_enabled(sub.id, False)
    clock.advance(timedelta(days=1))
    lines = (await service.history(GUILD, HERE, 3)).splitlines()
    assert "• 2021-03-12 · not posted: the digest is disabled" in lines, lines
    await store.set_enabled(sub.id, True)
    await store.mark_failing(sub.id, "I am missing Send Messages there.")
    lines = (await service.history(GUILD, HERE, 3)).splitlines()
    assert "• 2021-03-12 · not posted: the digest is failing" in lines, lines


async def test_a_channel_with_two_failing_digests_is_one_failing_channel(
    store: Store,  # noqa: F811
    digests: DigestService,  # noqa: F811
    clock: ManualClock,  # noqa: F811
) -> None:
    for name in ("cv", "ml"):
        sub = await store.upsert_subscription(subscription(id=None, name=name))
        await store.mark_failing(sub.id or 0, "I am missing Send Messages there.")
    status = StatusService(
        store,
        digests,
        clock=clock,
        grace=timedelta(hours=12),
        loop=lambda: LoopState(running=True),
    )
    lines = (await status.status(GUILD)).splitlines()
    assert f"Failing channels: <#{HERE}>" in lines, lines
